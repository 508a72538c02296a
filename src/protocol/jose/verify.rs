//! Verifying a JWS against registered keys, or against the key its own
//! header carries (DPoP).
//!
//! Key selection (RFC 7515 §4.1.4, RFC 8725 §3.1):
//! - with a `kid`: the registered key(s) with that `kid` whose algorithm is
//!   the header's `alg`; a `kid` of another algorithm is
//!   [`JoseError::AlgKeyMismatch`], an unknown `kid` is [`JoseError::UnknownKid`]
//!   (the caller may refetch the client's JWKS once);
//! - without a `kid`: the only registered key for the header's `alg`.
//!
//! The algorithm is therefore always the key's, never the attacker's choice.

use fiducia_hsm::PublicJwk;
use serde_json::{Map, Value};

use super::{ClientJwk, JoseError, JwsHeader, UnverifiedJws};

/// A key [`verify_jws`] can select: our own [`PublicJwk`]s (their `kid` is the
/// thumbprint) and clients' [`ClientJwk`]s (their `kid` is their own).
pub trait JwsKey {
    /// The `kid` a JWS header uses to name this key.
    fn kid(&self) -> Option<&str>;
    /// The key, whose algorithm the JWS must declare.
    fn public_jwk(&self) -> &PublicJwk;
}

impl JwsKey for PublicJwk {
    fn kid(&self) -> Option<&str> {
        Some(PublicJwk::kid(self))
    }

    fn public_jwk(&self) -> &PublicJwk {
        self
    }
}

impl JwsKey for ClientJwk {
    fn kid(&self) -> Option<&str> {
        ClientJwk::kid(self)
    }

    fn public_jwk(&self) -> &PublicJwk {
        ClientJwk::public_jwk(self)
    }
}

/// A JWS whose signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedJws<K = PublicJwk> {
    /// The protected header.
    pub header: JwsHeader,
    /// The payload, a JSON object. Claims are checked by the caller.
    pub claims: Map<String, Value>,
    /// The key that verified it.
    pub key: K,
}

/// Verifies a compact JWS signed by one of `keys`.
///
/// `expected_typ`: when given, `typ` must be present and equal to it as a
/// media type (RFC 8725 §3.11). Claims (`exp`, `aud`, ...) are not looked at.
pub fn verify_jws<K: JwsKey + Clone>(
    compact: &str,
    keys: &[K],
    expected_typ: Option<&str>,
) -> Result<VerifiedJws<K>, JoseError> {
    let jws = UnverifiedJws::parse(compact)?;
    if let Some(expected) = expected_typ {
        jws.header().require_typ(expected)?;
    }
    let key = select_key(jws.header(), keys)?;
    let (header, claims) = jws.verify_with(key.public_jwk())?;
    Ok(VerifiedJws {
        header,
        claims,
        key: key.clone(),
    })
}

/// Verifies a compact JWS with the public key in its own `jwk` header, as a
/// DPoP proof is (RFC 9449 §4.3 items 5-7). Proves possession of that key,
/// nothing more.
pub fn verify_jws_with_header_jwk(
    compact: &str,
    expected_typ: &str,
) -> Result<VerifiedJws<PublicJwk>, JoseError> {
    let jws = UnverifiedJws::parse(compact)?;
    jws.header().require_typ(expected_typ)?;
    let key = jws.header().jwk.clone().ok_or(JoseError::MissingHeaderJwk)?;
    let (header, claims) = jws.verify_with(&key)?;
    Ok(VerifiedJws { header, claims, key })
}

fn select_key<'k, K: JwsKey>(header: &JwsHeader, keys: &'k [K]) -> Result<&'k K, JoseError> {
    let alg = header.alg;
    let of_alg = |key: &&K| key.public_jwk().alg() == alg;
    let mut candidates: Vec<&K> = match header.kid.as_deref() {
        Some(kid) => {
            let named: Vec<&K> = keys.iter().filter(|key| key.kid() == Some(kid)).collect();
            let Some(first) = named.first() else {
                return Err(JoseError::UnknownKid);
            };
            let key_alg = first.public_jwk().alg();
            let named: Vec<&K> = named.into_iter().filter(of_alg).collect();
            if named.is_empty() {
                return Err(JoseError::AlgKeyMismatch {
                    header: alg,
                    key: key_alg,
                });
            }
            named
        }
        None => keys.iter().filter(of_alg).collect(),
    };
    match (candidates.pop(), candidates.is_empty()) {
        (Some(key), true) => Ok(key),
        (Some(_), false) => Err(JoseError::AmbiguousKey),
        (None, _) => Err(JoseError::NoKeyForAlg),
    }
}
