//! A client's RSA encryption key from its JWKS (RFC 7517 §4, RFC 7518
//! §6.3.1): `kty: RSA`, `use: enc` or absent, `key_ops` (if any) allowing
//! `encrypt` or `wrapKey`, no private members, `alg` (if any) one of ours,
//! and a modulus of at least [`MIN_RSA_BITS`] bits (RFC 7518 §4.3).

use super::{JweError, KeyManagementAlg};
use aws_lc_rs::rsa::{OaepPublicEncryptingKey, PublicEncryptingKey, PublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// RFC 7518 §4.3: "A key of size 2048 bits or larger MUST be used".
pub const MIN_RSA_BITS: usize = 2048;

/// Members only a private RSA JWK has (RFC 7518 §6.3.2).
const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "oth"];

/// One RSA public key a client receives encrypted content with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptionJwk {
    kid: Option<String>,
    alg: Option<KeyManagementAlg>,
    n: Vec<u8>,
    e: Vec<u8>,
}

impl EncryptionJwk {
    /// Parses and validates one JWK object (rules in the module docs).
    pub fn from_json(jwk: &Map<String, Value>) -> Result<Self, JweError> {
        if jwk.get("kty").and_then(Value::as_str) != Some("RSA") {
            return Err(JweError::NotRsa);
        }
        match jwk.get("use") {
            None => {}
            Some(Value::String(u)) if u == "enc" => {}
            Some(_) => return Err(JweError::NotForEncryption),
        }
        if let Some(ops) = jwk.get("key_ops") {
            let ops = ops.as_array().ok_or(JweError::Malformed)?;
            if !ops
                .iter()
                .any(|op| matches!(op.as_str(), Some("encrypt" | "wrapKey")))
            {
                return Err(JweError::NotForEncryption);
            }
        }
        if PRIVATE_MEMBERS.iter().any(|m| jwk.contains_key(*m)) {
            return Err(JweError::PrivateMembers);
        }
        let alg = match jwk.get("alg") {
            None => None,
            Some(Value::String(alg)) => Some(KeyManagementAlg::parse(alg).ok_or(JweError::UnsupportedAlg)?),
            Some(_) => return Err(JweError::Malformed),
        };
        let kid = match jwk.get("kid") {
            None => None,
            Some(Value::String(kid)) => Some(kid.clone()),
            Some(_) => return Err(JweError::Malformed),
        };
        let member = |name: &str| -> Result<Vec<u8>, JweError> {
            let text = jwk.get(name).and_then(Value::as_str).ok_or(JweError::Malformed)?;
            let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| JweError::Malformed)?;
            // RFC 7518 §6.3.1.1: unsigned big-endian; leading zeros do not count.
            let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
            Ok(bytes[first..].to_vec())
        };
        let (n, e) = (member("n")?, member("e")?);
        let bits = n
            .first()
            .map_or(0, |top| (n.len() - 1) * 8 + (8 - top.leading_zeros() as usize));
        if bits < MIN_RSA_BITS {
            return Err(JweError::KeyTooShort(bits));
        }
        let key = EncryptionJwk { kid, alg, n, e };
        key.oaep_key()?;
        Ok(key)
    }

    /// The client's `kid`, if it gave one (put in the JWE header).
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Whether the key may be used with `alg`: it declares that `alg` or none.
    pub fn usable_with(&self, alg: KeyManagementAlg) -> bool {
        self.alg.is_none_or(|declared| declared == alg)
    }

    /// The aws-lc-rs key (validates the modulus and exponent).
    pub(super) fn oaep_key(&self) -> Result<OaepPublicEncryptingKey, JweError> {
        let public: PublicEncryptingKey = PublicKeyComponents {
            n: self.n.as_slice(),
            e: self.e.as_slice(),
        }
        .try_into()
        .map_err(|_| JweError::Malformed)?;
        OaepPublicEncryptingKey::new(public).map_err(|_| JweError::Malformed)
    }
}

/// The first key of `keys` usable with `alg` (OIDC Registration §2: the
/// client's encryption key, chosen by type, use and algorithm).
pub fn select_key(keys: &[EncryptionJwk], alg: KeyManagementAlg) -> Option<&EncryptionJwk> {
    keys.iter().find(|k| k.usable_with(alg))
}
