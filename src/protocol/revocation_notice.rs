//! The revocation notice the OP sends to an API gateway's `POST
//! /revocations`: a JWT (RFC 7519) signed as a compact JWS (RFC 7515 §7.1)
//! by the OP's active signing key, so no secret is shared and the gateway
//! verifies it with the OP's JWKS it already fetches. Explicitly typed
//! ([`TYP`], RFC 8725 §3.11) so that no other JWT of the OP (an ID token,
//! an RFC 9068 access token) is taken for one. Claims:
//!
//! - `iss`: the OP's issuer; `aud`: the gateway's `[[resource_servers]]`
//!   id (RFC 7519 §4.1.1, §4.1.3), so a notice for one gateway is refused
//!   by another;
//! - `iat`, `exp`: at most [`MAX_LIFETIME_SECS`] apart (RFC 7519 §4.1.4,
//!   §4.1.6; RFC 8725 §3.10: short-lived); `jti`: random;
//! - `token_sha256`: base64url (no padding) SHA-256 of access tokens, the
//!   form the OP's store keeps them in, so a notice never carries a token;
//! - `grant_ids`: revoked grants (the `grant_id` of RFC 7662 answers).
//!
//! A replayed notice within its lifetime only drops cache entries again
//! (the next call asks the OP), so no replay cache is kept.

use crate::protocol::jose::claims;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

/// The JOSE `typ` of a revocation notice (RFC 8725 §3.11).
pub const TYP: &str = "revocation-notice+jwt";
/// The `Content-Type` it is posted with (RFC 7515 §9.2.1: the `typ` as a
/// media type).
pub const CONTENT_TYPE: &str = "application/revocation-notice+jwt";
/// Most seconds between `iat` and `exp`.
pub const MAX_LIFETIME_SECS: u64 = 60;
/// Clock skew allowed on `iat` and `exp`.
pub const LEEWAY_SECS: u64 = 5;
/// Most hashes and grant ids in one notice (a notice stays below the
/// admin listener's body limit).
pub const MAX_ITEMS: usize = 1_000;
/// Longest grant id accepted.
const MAX_GRANT_ID_BYTES: usize = 256;

/// What a verified notice names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notice {
    /// SHA-256 of revoked access tokens.
    pub token_sha256: Vec<[u8; 32]>,
    /// Revoked grants.
    pub grant_ids: Vec<String>,
}

/// Why a notice's claims are refused (the admin listener answers 401 with
/// the reason).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoticeError {
    /// `iss` is not the OP's.
    #[error("the notice is from another issuer (RFC 7519 §4.1.1)")]
    Issuer,
    /// `aud` does not name this gateway.
    #[error("the notice is for another audience (RFC 7519 §4.1.3)")]
    Audience,
    /// `exp` has passed, or is missing.
    #[error("the notice has expired or carries no exp (RFC 7519 §4.1.4)")]
    Expired,
    /// `iat` is missing, in the future, or too far from `exp`.
    #[error("the notice's iat is missing, in the future or too far before its exp (RFC 8725 §3.10)")]
    Lifetime,
    /// The hashes or grant ids are malformed, missing, or too many.
    #[error("the notice's token_sha256 and grant_ids are malformed, empty or too many: {0}")]
    Malformed(&'static str),
}

/// The claims of a notice from `issuer` to the gateway `audience` at
/// `now`, naming `token_sha256` and `grant_ids` (at most [`MAX_ITEMS`]
/// together: the caller batches).
pub fn claims(
    issuer: &str,
    audience: &str,
    now: u64,
    jti: &str,
    token_sha256: &[[u8; 32]],
    grant_ids: &[String],
) -> Value {
    let hashes: Vec<String> = token_sha256.iter().map(|h| URL_SAFE_NO_PAD.encode(h)).collect();
    json!({
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + MAX_LIFETIME_SECS,
        "jti": jti,
        "token_sha256": hashes,
        "grant_ids": grant_ids,
    })
}

/// Checks the claims of a notice whose signature by the OP was verified:
/// from `issuer`, for `audience`, live at `now`, and what it names.
pub fn check(
    claims: &Map<String, Value>,
    issuer: &str,
    audience: &str,
    now: u64,
) -> Result<Notice, NoticeError> {
    if claims::string(claims, "iss").ok().flatten() != Some(issuer) {
        return Err(NoticeError::Issuer);
    }
    if !claims::audience(claims)
        .ok()
        .flatten()
        .is_some_and(|aud| aud.contains(audience))
    {
        return Err(NoticeError::Audience);
    }
    let exp = claims::numeric_date(claims, "exp")
        .ok()
        .flatten()
        .filter(|exp| exp.saturating_add(LEEWAY_SECS) > now)
        .ok_or(NoticeError::Expired)?;
    let iat = claims::numeric_date(claims, "iat")
        .ok()
        .flatten()
        .ok_or(NoticeError::Lifetime)?;
    if iat > now.saturating_add(LEEWAY_SECS) || exp < iat || exp - iat > MAX_LIFETIME_SECS {
        return Err(NoticeError::Lifetime);
    }
    let token_sha256 = match claims.get("token_sha256") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                let bytes = URL_SAFE_NO_PAD.decode(item.as_str()?).ok()?;
                <[u8; 32]>::try_from(bytes.as_slice()).ok()
            })
            .collect::<Option<Vec<_>>>()
            .ok_or(NoticeError::Malformed(
                "token_sha256 holds base64url SHA-256 hashes",
            ))?,
        Some(_) => return Err(NoticeError::Malformed("token_sha256 is an array")),
    };
    let grant_ids = match claims.get("grant_ids") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .filter(|id| !id.is_empty() && id.len() <= MAX_GRANT_ID_BYTES)
                    .map(str::to_string)
            })
            .collect::<Option<Vec<_>>>()
            .ok_or(NoticeError::Malformed("grant_ids holds grant ids"))?,
        Some(_) => return Err(NoticeError::Malformed("grant_ids is an array")),
    };
    match token_sha256.len() + grant_ids.len() {
        0 => Err(NoticeError::Malformed("the notice names nothing")),
        n if n > MAX_ITEMS => Err(NoticeError::Malformed("more than 1000 items")),
        _ => Ok(Notice {
            token_sha256,
            grant_ids,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISS: &str = "https://op.example";
    const AUD: &str = "api-gateway";

    fn sent(now: u64) -> Map<String, Value> {
        let value = claims(ISS, AUD, now, "j-1", &[[7u8; 32]], &["g-1".to_string()]);
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn a_notice_round_trips() {
        assert_eq!(
            check(&sent(100), ISS, AUD, 110),
            Ok(Notice {
                token_sha256: vec![[7u8; 32]],
                grant_ids: vec!["g-1".into()]
            })
        );
    }

    /// RFC 7519 §4.1.1, §4.1.3, §4.1.4; RFC 8725 §3.10.
    #[test]
    fn issuer_audience_and_lifetime_are_checked() {
        assert_eq!(
            check(&sent(100), "https://other", AUD, 110),
            Err(NoticeError::Issuer)
        );
        assert_eq!(
            check(&sent(100), ISS, "other-gateway", 110),
            Err(NoticeError::Audience)
        );
        assert_eq!(
            check(&sent(100), ISS, AUD, 100 + MAX_LIFETIME_SECS + LEEWAY_SECS),
            Err(NoticeError::Expired)
        );
        let mut long = sent(100);
        long.insert("exp".into(), json!(100 + 3_600));
        assert_eq!(check(&long, ISS, AUD, 110), Err(NoticeError::Lifetime));
        assert_eq!(
            check(&sent(200), ISS, AUD, 100),
            Err(NoticeError::Lifetime),
            "iat in the future"
        );
    }

    #[test]
    fn what_it_names_must_be_well_formed_and_bounded() {
        let mut bad = sent(100);
        bad.insert("token_sha256".into(), json!(["AAAA"]));
        assert!(matches!(
            check(&bad, ISS, AUD, 110),
            Err(NoticeError::Malformed(_))
        ));
        let mut empty = sent(100);
        empty.insert("token_sha256".into(), json!([]));
        empty.insert("grant_ids".into(), json!([]));
        assert!(matches!(
            check(&empty, ISS, AUD, 110),
            Err(NoticeError::Malformed(_))
        ));
        let mut many = sent(100);
        many.insert("grant_ids".into(), json!(vec!["g"; MAX_ITEMS + 1]));
        assert!(matches!(
            check(&many, ISS, AUD, 110),
            Err(NoticeError::Malformed(_))
        ));
    }
}
