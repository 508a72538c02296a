//! Key pairs generated inside the token, and their public halves read back
//! as JWKs.
//!
//! Private keys: `CKA_TOKEN`, `CKA_PRIVATE`, `CKA_SENSITIVE` = true and
//! `CKA_EXTRACTABLE` = false (PKCS#11 v2.40 §4.9), so the key value never
//! leaves the device. Both objects get `CKA_ID` = the key id (RFC 7638
//! thumbprint of the public JWK) and `CKA_LABEL` = `fiducia:<kid>`, which is
//! how the signer pool and the lifecycle find them.

use super::error::HsmError;
use crate::{JoseAlg, PublicJwk};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;

/// DER of OID 1.2.840.10045.3.1.7 (P-256, RFC 5480 §2.1.1.1).
const P256_PARAMS: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// DER of OID 1.3.101.112 (Ed25519, RFC 8410 §3).
const ED25519_PARAMS: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];
/// RSA public exponent 65537.
const RSA_EXPONENT: &[u8] = &[0x01, 0x00, 0x01];
/// Smallest RSA modulus accepted (FAPI 2.0 §5.4.1: 2048 bits).
pub const MIN_RSA_BITS: u64 = 2048;

/// Label prefix of Fiducia's key objects.
pub const LABEL_PREFIX: &str = "fiducia:";

/// A key pair in the token.
#[derive(Debug, Clone)]
pub struct GeneratedKey {
    /// Its public JWK (kid = thumbprint).
    pub jwk: PublicJwk,
    /// The private key object.
    pub private: ObjectHandle,
    /// The public key object.
    pub public: ObjectHandle,
}

/// Generates a key pair for `alg` (RSA: `rsa_bits`, at least 2048) and ties
/// both objects to its kid.
pub fn generate(session: &Session, alg: JoseAlg, rsa_bits: u64) -> Result<GeneratedKey, HsmError> {
    // A temporary id until the public key, hence the kid, is known.
    let temp_id = {
        let mut id = [0u8; 16];
        aws_lc_rs::rand::fill(&mut id).map_err(|_| HsmError::Lifecycle("random generator failed".into()))?;
        id.to_vec()
    };
    // A signing key does one thing. Every other usage is set false here
    // rather than left to the token's defaults (PKCS#11 v2.40 §4.8, §4.9:
    // CKA_DECRYPT, CKA_UNWRAP and CKA_DERIVE default to token-specific
    // values; SoftHSM turns decryption and unwrapping on for RSA), so a
    // signing key can never decrypt, unwrap another key into the token or
    // derive a shared secret, whoever holds a session.
    let mut public = vec![
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Verify(true),
        Attribute::VerifyRecover(false),
        Attribute::Encrypt(false),
        Attribute::Wrap(false),
        Attribute::Derive(false),
        Attribute::Id(temp_id.clone()),
    ];
    let private = vec![
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Sign(true),
        Attribute::SignRecover(false),
        Attribute::Decrypt(false),
        Attribute::Unwrap(false),
        Attribute::Derive(false),
        Attribute::Id(temp_id),
    ];
    let mechanism = match alg {
        JoseAlg::Es256 => {
            public.push(Attribute::EcParams(P256_PARAMS.to_vec()));
            Mechanism::EccKeyPairGen
        }
        JoseAlg::EdDsa => {
            public.push(Attribute::EcParams(ED25519_PARAMS.to_vec()));
            Mechanism::EccEdwardsKeyPairGen
        }
        JoseAlg::Ps256 => {
            if rsa_bits < MIN_RSA_BITS {
                return Err(HsmError::Lifecycle(format!(
                    "RSA keys must have at least {MIN_RSA_BITS} bits, not {rsa_bits}"
                )));
            }
            public.push(Attribute::ModulusBits(rsa_bits.into()));
            public.push(Attribute::PublicExponent(RSA_EXPONENT.to_vec()));
            Mechanism::RsaPkcsKeyPairGen
        }
    };
    let (public_handle, private_handle) = session
        .generate_key_pair(&mechanism, &public, &private)
        .map_err(|e| HsmError::pkcs11("C_GenerateKeyPair", &e))?;
    let jwk = read_public_jwk(session, alg, public_handle)?;
    let tie = [
        Attribute::Id(jwk.kid().as_bytes().to_vec()),
        Attribute::Label(format!("{LABEL_PREFIX}{}", jwk.kid()).into_bytes()),
    ];
    for handle in [public_handle, private_handle] {
        session
            .update_attributes(handle, &tie)
            .map_err(|e| HsmError::pkcs11("C_SetAttributeValue", &e))?;
    }
    Ok(GeneratedKey {
        jwk,
        private: private_handle,
        public: public_handle,
    })
}

/// Reads the public JWK of a public key object.
pub fn read_public_jwk(session: &Session, alg: JoseAlg, public: ObjectHandle) -> Result<PublicJwk, HsmError> {
    let bad = |reason: &str| HsmError::Key {
        kid: "(new)".into(),
        reason: reason.into(),
    };
    match alg {
        JoseAlg::Es256 | JoseAlg::EdDsa => {
            let attrs = session
                .get_attributes(public, &[AttributeType::EcPoint])
                .map_err(|e| HsmError::pkcs11("C_GetAttributeValue", &e))?;
            let point = attrs
                .into_iter()
                .find_map(|a| match a {
                    Attribute::EcPoint(p) => Some(p),
                    _ => None,
                })
                .ok_or_else(|| bad("no CKA_EC_POINT"))?;
            let point_len = if alg == JoseAlg::Es256 { 65 } else { 32 };
            let point = unwrap_der_octet_string(&point, point_len);
            let jwk = match alg {
                JoseAlg::Es256 => PublicJwk::ec_p256_uncompressed(point),
                _ => PublicJwk::ed25519(point),
            };
            jwk.map_err(|e| bad(&e.to_string()))
        }
        JoseAlg::Ps256 => {
            let attrs = session
                .get_attributes(public, &[AttributeType::Modulus, AttributeType::PublicExponent])
                .map_err(|e| HsmError::pkcs11("C_GetAttributeValue", &e))?;
            let (mut n, mut e) = (None, None);
            for attr in attrs {
                match attr {
                    Attribute::Modulus(v) => n = Some(v),
                    Attribute::PublicExponent(v) => e = Some(v),
                    _ => {}
                }
            }
            let (n, e) = n
                .zip(e)
                .ok_or_else(|| bad("no CKA_MODULUS / CKA_PUBLIC_EXPONENT"))?;
            PublicJwk::rsa(&n, &e).map_err(|err| bad(&err.to_string()))
        }
    }
}

/// The private and public key objects whose `CKA_ID` is `kid`.
pub fn find_key_objects(
    session: &Session,
    kid: &str,
) -> Result<(Option<ObjectHandle>, Option<ObjectHandle>), HsmError> {
    let find = |class| {
        session
            .find_objects(&[Attribute::Class(class), Attribute::Id(kid.as_bytes().to_vec())])
            .map(|v| v.into_iter().next())
            .map_err(|e| HsmError::pkcs11("C_FindObjects", &e))
    };
    Ok((find(ObjectClass::PRIVATE_KEY)?, find(ObjectClass::PUBLIC_KEY)?))
}

/// The key type PKCS#11 uses for `alg`.
pub fn key_type(alg: JoseAlg) -> KeyType {
    match alg {
        JoseAlg::Es256 => KeyType::EC,
        JoseAlg::Ps256 => KeyType::RSA,
        JoseAlg::EdDsa => KeyType::EC_EDWARDS,
    }
}

/// PKCS#11 v2.40 §2.3.3: `CKA_EC_POINT` is a DER OCTET STRING; some tokens
/// return the bare point of `point_len` bytes. Accept both.
fn unwrap_der_octet_string(value: &[u8], point_len: usize) -> &[u8] {
    match value {
        [0x04, len, rest @ ..] if usize::from(*len) == point_len && rest.len() == point_len => rest,
        _ => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec_point_is_unwrapped_from_der_only_when_wrapped() {
        let mut point = vec![0x04];
        point.extend([7u8; 64]);
        let mut wrapped = vec![0x04, 65];
        wrapped.extend(&point);
        assert_eq!(unwrap_der_octet_string(&wrapped, 65), &point[..]);
        assert_eq!(unwrap_der_octet_string(&point, 65), &point[..]);
        let ed = [0x04, 0x20]
            .iter()
            .chain([9u8; 32].iter())
            .copied()
            .collect::<Vec<_>>();
        assert_eq!(unwrap_der_octet_string(&ed, 32), &[9u8; 32]);
    }
}
