//! The UK OBIE intent an authorization request names (UK OBIE Read/Write
//! API v3.1 "Security & Access Control"): the `claims` parameter (OIDC Core
//! §5.5) carries `openbanking_intent_id` as a claim whose `value` is the
//! ConsentId. Read here, sans-IO, for PAR and for the backchannel
//! authentication request (CIBA Core §7.1 allows `claims` like OIDC Core);
//! whether the consent exists and awaits authorisation is
//! `consent::intent`'s.

use super::error::OAuthError;
use serde_json::Value;

/// The claim's name.
pub const CLAIM: &str = "openbanking_intent_id";

/// Longest `claims` parameter read: the Identity Assurance bound, so a
/// request with `verified_claims` beside the intent is read whole.
const MAX_CLAIMS_LEN: usize = super::ekyc::limits::MAX_REQUEST_BYTES;

/// The intent id requested in the `claims` parameter (JSON text), from
/// `id_token` or `userinfo`; `None` when not requested.
pub fn requested(claims: Option<&str>) -> Result<Option<String>, OAuthError> {
    let Some(claims) = claims else {
        return Ok(None);
    };
    if claims.len() > MAX_CLAIMS_LEN {
        return Err(OAuthError::invalid_request("`claims` is too long"));
    }
    let claims: Value = serde_json::from_str(claims)
        .map_err(|_| OAuthError::invalid_request("`claims` is not JSON (OIDC Core §5.5)"))?;
    if !claims.is_object() {
        return Err(OAuthError::invalid_request(
            "`claims` must be a JSON object (OIDC Core §5.5)",
        ));
    }
    let mut found = None;
    for member in ["id_token", "userinfo"] {
        let Some(request) = claims.get(member).and_then(|m| m.get(CLAIM)) else {
            continue;
        };
        let value = request
            .get("value")
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty() && v.len() <= 64)
            .ok_or_else(|| {
                OAuthError::invalid_request("`openbanking_intent_id` needs a `value`: the ConsentId")
            })?;
        match &found {
            Some(other) if other != value => {
                return Err(OAuthError::invalid_request(
                    "`openbanking_intent_id` differs between id_token and userinfo",
                ));
            }
            _ => found = Some(value.to_string()),
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::error::ErrorCode;

    #[test]
    fn the_intent_comes_from_the_claims_request_oidc_core_s5_5() {
        assert_eq!(requested(None).unwrap(), None);
        let claims = r#"{"id_token":{"openbanking_intent_id":{"value":"pdc-1","essential":true}}}"#;
        assert_eq!(requested(Some(claims)).unwrap().as_deref(), Some("pdc-1"));
        let both = r#"{"userinfo":{"openbanking_intent_id":{"value":"pdc-1"}},"id_token":{"openbanking_intent_id":{"value":"pdc-1"}}}"#;
        assert_eq!(requested(Some(both)).unwrap().as_deref(), Some("pdc-1"));
        assert_eq!(requested(Some(r#"{"id_token":{"acr":null}}"#)).unwrap(), None);
    }

    #[test]
    fn malformed_intent_requests_are_invalid_request() {
        for bad in [
            "not json",
            "[]",
            r#"{"id_token":{"openbanking_intent_id":{"essential":true}}}"#,
            r#"{"id_token":{"openbanking_intent_id":{"value":7}}}"#,
            r#"{"userinfo":{"openbanking_intent_id":{"value":"a"}},"id_token":{"openbanking_intent_id":{"value":"b"}}}"#,
        ] {
            let err = requested(Some(bad)).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidRequest, "{bad}");
        }
    }
}
