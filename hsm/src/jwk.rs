//! Public JSON Web Keys (RFC 7517) and JWK thumbprints (RFC 7638).

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ED25519, ParsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::JoseAlg;

/// The key-type-specific members of a public JWK, tagged by `kty`.
///
/// Values are base64url without padding, as on the wire. These are exactly
/// the members RFC 7638 §3.2 requires for the thumbprint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kty")]
pub enum JwkKey {
    /// `"kty": "EC"` (RFC 7518 §6.2.1).
    #[serde(rename = "EC")]
    Ec {
        /// Curve.
        crv: EcCurve,
        /// Affine x coordinate, 32 bytes for P-256.
        x: String,
        /// Affine y coordinate, 32 bytes for P-256.
        y: String,
    },
    /// `"kty": "RSA"` (RFC 7518 §6.3.1).
    #[serde(rename = "RSA")]
    Rsa {
        /// Modulus, big-endian, minimal length.
        n: String,
        /// Public exponent, big-endian, minimal length.
        e: String,
    },
    /// `"kty": "OKP"` (RFC 8037 §2).
    #[serde(rename = "OKP")]
    Okp {
        /// Curve.
        crv: OkpCurve,
        /// The 32-byte public key.
        x: String,
    },
}

/// `crv` of an EC key. Only P-256 (for ES256).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EcCurve {
    /// NIST P-256.
    #[serde(rename = "P-256")]
    P256,
}

/// `crv` of an OKP key. Only Ed25519 (for EdDSA).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OkpCurve {
    /// Ed25519.
    Ed25519,
}

/// `use` of a JWK. Fiducia's signing keys are only ever `"sig"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyUse {
    /// `"sig"`.
    #[serde(rename = "sig")]
    Sig,
}

impl JwkKey {
    /// The only algorithm Fiducia uses with this key type.
    pub fn alg(&self) -> JoseAlg {
        match self {
            JwkKey::Ec { .. } => JoseAlg::Es256,
            JwkKey::Rsa { .. } => JoseAlg::Ps256,
            JwkKey::Okp { .. } => JoseAlg::EdDsa,
        }
    }

    /// RFC 7638 JWK thumbprint: SHA-256 over the required members in
    /// lexicographic order, no whitespace, base64url without padding.
    pub fn thumbprint(&self) -> String {
        let canonical = match self {
            JwkKey::Ec { crv, x, y } => format!(
                r#"{{"crv":{},"kty":"EC","x":{},"y":{}}}"#,
                json_str(ec_curve_name(*crv)),
                json_str(x),
                json_str(y)
            ),
            JwkKey::Rsa { n, e } => {
                format!(r#"{{"e":{},"kty":"RSA","n":{}}}"#, json_str(e), json_str(n))
            }
            JwkKey::Okp { crv, x } => format!(
                r#"{{"crv":{},"kty":"OKP","x":{}}}"#,
                json_str(okp_curve_name(*crv)),
                json_str(x)
            ),
        };
        URL_SAFE_NO_PAD.encode(digest(&SHA256, canonical.as_bytes()))
    }
}

fn ec_curve_name(crv: EcCurve) -> &'static str {
    match crv {
        EcCurve::P256 => "P-256",
    }
}

fn okp_curve_name(crv: OkpCurve) -> &'static str {
    match crv {
        OkpCurve::Ed25519 => "Ed25519",
    }
}

/// A JSON string literal (quotes and escapes) for `s`.
fn json_str(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// The public key is malformed or not one Fiducia signs with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid public key: {0}")]
pub struct JwkError(pub &'static str);

/// A public signing key as published in the JWKS: the key members, plus
/// `kid` (always the RFC 7638 thumbprint), `alg` and `"use": "sig"`.
///
/// Built only through the constructors, which validate the key and derive
/// `kid` and `alg`; deserializing re-runs that validation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawJwk")]
pub struct PublicJwk {
    #[serde(flatten)]
    key: JwkKey,
    kid: String,
    alg: JoseAlg,
    #[serde(rename = "use")]
    key_use: KeyUse,
}

#[derive(Deserialize)]
struct RawJwk {
    #[serde(flatten)]
    key: JwkKey,
    kid: String,
    alg: JoseAlg,
    #[serde(rename = "use")]
    key_use: KeyUse,
}

impl TryFrom<RawJwk> for PublicJwk {
    type Error = JwkError;

    fn try_from(raw: RawJwk) -> Result<Self, JwkError> {
        let KeyUse::Sig = raw.key_use;
        let jwk = PublicJwk::from_key(&raw.key)?;
        if jwk.alg != raw.alg {
            return Err(JwkError("alg does not match the key type"));
        }
        if jwk.kid != raw.kid {
            return Err(JwkError("kid is not the RFC 7638 thumbprint"));
        }
        Ok(jwk)
    }
}

fn b64(s: &str) -> Result<Vec<u8>, JwkError> {
    URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| JwkError("member is not base64url without padding"))
}

impl PublicJwk {
    /// Validates key members received from elsewhere (a client's JWKS, a
    /// DPoP proof's `jwk` header) exactly as deserialization does: base64url
    /// without padding, the point on the curve, RSA 2048 to 8192 bits with
    /// minimally encoded `n` and `e`. `kid` and `alg` are derived, so a
    /// caller keeps the sender's own `kid` (an arbitrary string) separately.
    pub fn from_key(key: &JwkKey) -> Result<Self, JwkError> {
        match key {
            JwkKey::Ec {
                crv: EcCurve::P256,
                x,
                y,
            } => PublicJwk::ec_p256(&b64(x)?, &b64(y)?),
            JwkKey::Rsa { n, e } => {
                let jwk = PublicJwk::rsa(&b64(n)?, &b64(e)?)?;
                if &jwk.key != key {
                    return Err(JwkError("RSA n/e not minimally encoded"));
                }
                Ok(jwk)
            }
            JwkKey::Okp {
                crv: OkpCurve::Ed25519,
                x,
            } => PublicJwk::ed25519(&b64(x)?),
        }
    }

    fn from_validated_key(key: JwkKey) -> Self {
        PublicJwk {
            kid: key.thumbprint(),
            alg: key.alg(),
            key,
            key_use: KeyUse::Sig,
        }
    }

    /// An ES256 key from the affine coordinates of a P-256 point (32 bytes
    /// each). The point is checked to be on the curve.
    pub fn ec_p256(x: &[u8], y: &[u8]) -> Result<Self, JwkError> {
        if x.len() != 32 || y.len() != 32 {
            return Err(JwkError("P-256 coordinates must be 32 bytes each"));
        }
        let mut point = Vec::with_capacity(65);
        point.push(0x04);
        point.extend_from_slice(x);
        point.extend_from_slice(y);
        PublicJwk::ec_p256_uncompressed(&point)
    }

    /// An ES256 key from an uncompressed SEC1 point `0x04 || x || y`
    /// (65 bytes), as aws-lc-rs and PKCS#11 `CKA_EC_POINT` give it.
    pub fn ec_p256_uncompressed(point: &[u8]) -> Result<Self, JwkError> {
        let [0x04, coords @ ..] = point else {
            return Err(JwkError("P-256 point must be uncompressed (0x04 || x || y)"));
        };
        if coords.len() != 64 {
            return Err(JwkError("P-256 point must be 65 bytes"));
        }
        ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
            .map_err(|_| JwkError("not a valid P-256 point"))?;
        let (x, y) = coords.split_at(32);
        Ok(PublicJwk::from_validated_key(JwkKey::Ec {
            crv: EcCurve::P256,
            x: URL_SAFE_NO_PAD.encode(x),
            y: URL_SAFE_NO_PAD.encode(y),
        }))
    }

    /// A PS256 key from the big-endian modulus and public exponent. Leading
    /// zero bytes are stripped (RFC 7518 §6.3.1 wants minimal encodings);
    /// the modulus must be 2048 to 8192 bits and the exponent odd and > 1.
    pub fn rsa(n: &[u8], e: &[u8]) -> Result<Self, JwkError> {
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        let bits = match n.first() {
            Some(&first) => n.len() * 8 - first.leading_zeros() as usize,
            None => 0,
        };
        if !(2048..=8192).contains(&bits) {
            return Err(JwkError("RSA modulus must be 2048 to 8192 bits"));
        }
        if e.len() > 8 || e.last().is_none_or(|last| last & 1 == 0) || e == [1] {
            return Err(JwkError(
                "RSA public exponent must be odd, > 1 and at most 64 bits",
            ));
        }
        Ok(PublicJwk::from_validated_key(JwkKey::Rsa {
            n: URL_SAFE_NO_PAD.encode(n),
            e: URL_SAFE_NO_PAD.encode(e),
        }))
    }

    /// An EdDSA key from a 32-byte Ed25519 public key.
    pub fn ed25519(x: &[u8]) -> Result<Self, JwkError> {
        if x.len() != 32 {
            return Err(JwkError("Ed25519 public key must be 32 bytes"));
        }
        ParsedPublicKey::new(&ED25519, x).map_err(|_| JwkError("not a valid Ed25519 public key"))?;
        Ok(PublicJwk::from_validated_key(JwkKey::Okp {
            crv: OkpCurve::Ed25519,
            x: URL_SAFE_NO_PAD.encode(x),
        }))
    }

    /// The key-type-specific members.
    pub fn key(&self) -> &JwkKey {
        &self.key
    }

    /// `kid`: the RFC 7638 thumbprint of this key.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// `alg`.
    pub fn alg(&self) -> JoseAlg {
        self.alg
    }

    /// Length in bytes of a JOSE signature by this key: 64 for ES256
    /// (`r || s`) and EdDSA, the modulus length for PS256.
    pub fn signature_len(&self) -> usize {
        match &self.key {
            JwkKey::Ec { .. } | JwkKey::Okp { .. } => 64,
            // Unpadded base64url: 4 characters per 3 bytes, remainder 2 or 3.
            JwkKey::Rsa { n, .. } => n.len() * 3 / 4,
        }
    }

    /// RFC 7638 JWK thumbprint (equal to [`PublicJwk::kid`]).
    pub fn thumbprint(&self) -> String {
        self.key.thumbprint()
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// A JWK Set (RFC 7517 §5), as served at `jwks_uri`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    /// The keys.
    pub keys: Vec<PublicJwk>,
}

impl Jwks {
    /// The set of the signers' public keys, in order.
    pub fn from_signers<'a>(signers: impl IntoIterator<Item = &'a dyn crate::Signer>) -> Self {
        Jwks {
            keys: signers.into_iter().map(|s| s.public_jwk().clone()).collect(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// RFC 7638 §3.1: the example RSA key (from RFC 7517 Appendix A.1).
    const RFC7638_N: &str = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6\
        tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2\
        QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0f\
        M4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
    const RFC7638_THUMBPRINT: &str = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

    #[test]
    fn rfc7638_section_3_1_example_thumbprint() {
        let key = JwkKey::Rsa {
            n: RFC7638_N.to_owned(),
            e: "AQAB".to_owned(),
        };
        assert_eq!(key.thumbprint(), RFC7638_THUMBPRINT);
    }

    #[test]
    fn rsa_constructor_reproduces_rfc7638_kid() {
        let n = URL_SAFE_NO_PAD.decode(RFC7638_N).unwrap();
        assert_eq!(n.len(), 256);
        // A leading zero byte (as in DER INTEGERs) must not change the key.
        let mut padded = vec![0u8];
        padded.extend_from_slice(&n);
        let jwk = PublicJwk::rsa(&padded, &[0, 1, 0, 1]).unwrap();
        assert_eq!(jwk.kid(), RFC7638_THUMBPRINT);
        assert_eq!(jwk.thumbprint(), RFC7638_THUMBPRINT);
        assert_eq!(jwk.alg(), JoseAlg::Ps256);

        let json = serde_json::to_value(&jwk).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "kty": "RSA", "n": RFC7638_N, "e": "AQAB",
                "kid": RFC7638_THUMBPRINT, "alg": "PS256", "use": "sig"
            })
        );
        assert_eq!(serde_json::from_value::<PublicJwk>(json).unwrap(), jwk);
    }

    #[test]
    fn rejects_weak_or_malformed_rsa() {
        let n = URL_SAFE_NO_PAD.decode(RFC7638_N).unwrap();
        assert!(PublicJwk::rsa(&n[..128], &[1, 0, 1]).is_err(), "1024-bit modulus");
        assert!(PublicJwk::rsa(&n, &[]).is_err());
        assert!(PublicJwk::rsa(&n, &[1]).is_err());
        assert!(PublicJwk::rsa(&n, &[1, 0, 0]).is_err(), "even exponent");
    }

    #[test]
    fn rejects_off_curve_or_misshapen_points() {
        assert!(PublicJwk::ec_p256(&[1; 32], &[2; 32]).is_err());
        assert!(PublicJwk::ec_p256(&[1; 31], &[2; 32]).is_err());
        assert!(PublicJwk::ec_p256_uncompressed(&[0x02; 33]).is_err());
        assert!(PublicJwk::ed25519(&[0; 31]).is_err());
    }

    #[test]
    fn deserialize_rejects_wrong_kid_alg_or_use() {
        let n = URL_SAFE_NO_PAD.decode(RFC7638_N).unwrap();
        let good = serde_json::to_value(PublicJwk::rsa(&n, &[1, 0, 1]).unwrap()).unwrap();
        for (member, value) in [
            ("kid", "2011-04-29"),
            ("alg", "ES256"),
            ("alg", "RS256"),
            ("use", "enc"),
        ] {
            let mut bad = good.clone();
            bad[member] = value.into();
            assert!(
                serde_json::from_value::<PublicJwk>(bad).is_err(),
                "{member}={value}"
            );
        }
        let mut padded = good.clone();
        padded["n"] = URL_SAFE_NO_PAD.encode([&[0u8][..], &n].concat()).into();
        assert!(serde_json::from_value::<PublicJwk>(padded).is_err());
    }
}
