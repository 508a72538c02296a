//! Public keys received as JSON (RFC 7517): a member of a client's JWKS or a
//! DPoP proof's `jwk` header. The key members are validated by
//! [`PublicJwk::from_key`] (curve point, RSA size, minimal encodings), so a
//! [`PublicJwk`] is always a key we can verify with and its thumbprint is
//! the RFC 7638 thumbprint of the members as the sender wrote them.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use fiducia_hsm::{JwkKey, PublicJwk};
use serde_json::{Map, Value};

/// Why a JWK was not usable. Also the reason a client JWKS member was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JwkProblem {
    /// Private key members (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`) or a
    /// symmetric `k`: never accepted where a public key is expected
    /// (RFC 9449 §4.3 item 7; RFC 7517 §9.2 asks for protection of private keys).
    #[error("contains private key members")]
    PrivateMembers,
    /// `kty` other than EC, RSA, OKP (RFC 7518 §6.1, RFC 8037 §2).
    #[error("unsupported `kty`")]
    UnsupportedKty,
    /// EC not on P-256, OKP not Ed25519 (FAPI 2.0 §5.4.1).
    #[error("unsupported `crv`")]
    UnsupportedCurve,
    /// Members missing or of the wrong JSON type.
    #[error("malformed JWK")]
    Malformed,
    /// The key material itself is invalid (off-curve point, RSA < 2048 bits,
    /// non-minimal encoding, bad base64url).
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    /// The JWK's own `alg` is not the one algorithm we use with its key type
    /// (e.g. RS256 on an RSA key; FAPI 2.0 §5.4.1 allows only PS256).
    #[error("`alg` not usable with this key")]
    AlgNotUsable,
    /// `use` is `enc` or unknown (RFC 7517 §4.2): not a signature key.
    #[error("`use` is not `sig`")]
    NotForSignatures,
    /// `key_ops` without `verify` (RFC 7517 §4.3).
    #[error("`key_ops` does not include `verify`")]
    NotForVerification,
    /// `x5c` is not a non-empty array of base64 (not base64url) DER certificates
    /// (RFC 7517 §4.7).
    #[error("malformed `x5c`")]
    MalformedX5c,
    /// The key in `x5c[0]` is not this JWK's key (RFC 7517 §4.7: it MUST match).
    #[error("`x5c[0]` holds a different key")]
    X5cKeyMismatch,
}

/// Members that only a private or symmetric JWK has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Most certificates an `x5c` may hold; a chain is a handful, not hundreds.
const MAX_X5C_LEN: usize = 10;

/// Validates the public key members of a JWK object. Refuses private
/// members, checks a declared `alg` against the key type, and ignores
/// everything else (`kid`, `use`, ... are the caller's business).
pub(crate) fn public_key_members(jwk: &Map<String, Value>) -> Result<PublicJwk, JwkProblem> {
    if PRIVATE_MEMBERS.iter().any(|m| jwk.contains_key(*m)) {
        return Err(JwkProblem::PrivateMembers);
    }
    let member = |name: &str| jwk.get(name).and_then(Value::as_str);
    let wanted: &[&str] = match (member("kty"), member("crv")) {
        (Some("EC"), Some("P-256")) => &["kty", "crv", "x", "y"],
        (Some("RSA"), _) => &["kty", "n", "e"],
        (Some("OKP"), Some("Ed25519")) => &["kty", "crv", "x"],
        (Some("EC" | "OKP"), _) => return Err(JwkProblem::UnsupportedCurve),
        (Some(_), _) => return Err(JwkProblem::UnsupportedKty),
        (None, _) => return Err(JwkProblem::Malformed),
    };
    // Only the key members go to serde, so a large `x5c` is not copied.
    let members: Map<String, Value> = wanted
        .iter()
        .filter_map(|name| jwk.get(*name).map(|v| ((*name).to_owned(), v.clone())))
        .collect();
    let key: JwkKey = serde_json::from_value(Value::Object(members)).map_err(|_| JwkProblem::Malformed)?;
    let public = PublicJwk::from_key(&key).map_err(|e| JwkProblem::InvalidKey(e.0))?;
    match jwk.get("alg") {
        None => {}
        Some(Value::String(alg)) if alg == public.alg().as_str() => {}
        Some(_) => return Err(JwkProblem::AlgNotUsable),
    }
    Ok(public)
}

/// Decodes an `x5c` value: a non-empty array of standard base64 DER
/// certificates (RFC 7515 §4.1.6, RFC 7517 §4.7). The certificates are not
/// parsed here.
pub(crate) fn parse_x5c(value: &Value) -> Option<Vec<Vec<u8>>> {
    let items = value.as_array()?;
    if items.is_empty() || items.len() > MAX_X5C_LEN {
        return None;
    }
    items
        .iter()
        .map(|item| STANDARD.decode(item.as_str()?).ok())
        .collect()
}
