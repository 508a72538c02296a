//! The `claims` authorization request parameter (OIDC Core §5.5) wherever
//! it came in: a PAR form, or a request object's member (RFC 9101 §4,
//! through PAR or by value). Checked once, here, with the Identity
//! Assurance request rules (`protocol::ekyc::request`), and kept as JSON
//! text on the pushed request; the consent page summarises it, the grant
//! keeps what the customer approved, and the ID token and userinfo answer
//! from it (`oauth::released_claims`).

use crate::protocol::authorization_params::AuthorizationParams;
use crate::protocol::ekyc::limits::MAX_REQUEST_BYTES;
use crate::protocol::ekyc::request::{self, ClaimsRequest, MemberRequest};
use crate::protocol::ekyc::standard_claims;
use crate::protocol::error::OAuthError;

/// The `claims` request of `params` as JSON text to store, checked; `None`
/// when the request has none. `invalid_request` (OIDC Core §3.1.2.6, IDA
/// 1.0 §5.6.6) for malformed JSON, a member of the wrong shape, a bad
/// filter or `purpose`, anything over the bounds of
/// `protocol::ekyc::limits`, and end-user claims asked without the `openid`
/// scope (the parameter is OpenID Connect's; without `openid` there is
/// neither an ID token nor userinfo to carry them).
pub fn checked(params: &AuthorizationParams, scopes: &[String]) -> Result<Option<String>, OAuthError> {
    if params
        .get("claims")
        .is_some_and(|text| text.len() > MAX_REQUEST_BYTES)
    {
        return Err(OAuthError::invalid_request(format!(
            "`claims` is longer than {MAX_REQUEST_BYTES} bytes"
        )));
    }
    let Some(value) = params.json("claims")? else {
        return Ok(None);
    };
    let parsed = request::parse(&value)?;
    if asks_end_user_claims(&parsed) && !scopes.iter().any(|s| s == "openid") {
        return Err(OAuthError::invalid_request(
            "`claims` asks for end-user claims, which needs the openid scope (OIDC Core §5.5)",
        ));
    }
    Ok(Some(value.to_string()))
}

/// The stored text parsed again (it was checked when stored); `None` for
/// none or, defensively, for text that no longer parses.
pub fn stored(text: Option<&str>) -> Option<ClaimsRequest> {
    let text = text?;
    match request::parse_text(text) {
        Ok(parsed) => Some(parsed),
        Err(error) => {
            tracing::warn!(error = ?error.description, "a stored claims request does not parse");
            None
        }
    }
}

/// Whether `request` asks for claims about the customer: `verified_claims`
/// or a standard claim, in either member (`openbanking_intent_id` alone
/// does not).
pub fn asks_end_user_claims(request: &ClaimsRequest) -> bool {
    request.asks_verified_claims() || member_asks(&request.userinfo) || member_asks(&request.id_token)
}

fn member_asks(member: &MemberRequest) -> bool {
    member
        .plain
        .iter()
        .any(|(name, _)| standard_claims::info(name).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::error::ErrorCode;
    use crate::protocol::form::Form;
    use serde_json::json;

    fn form(claims: &str) -> AuthorizationParams {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("claims", claims)
            .finish();
        AuthorizationParams::from_form(&Form::parse(body.as_bytes()).unwrap())
    }

    fn object(claims: serde_json::Value) -> AuthorizationParams {
        let serde_json::Value::Object(map) = json!({ "claims": claims }) else {
            unreachable!()
        };
        AuthorizationParams::from_request_object(map)
    }

    fn openid() -> Vec<String> {
        vec!["openid".into()]
    }

    const VERIFIED_NAME: &str = r#"{"userinfo":{"verified_claims":{"verification":{"trust_framework":null},"claims":{"given_name":null}}}}"#;

    /// OIDC Core §5.5: the form's JSON text and a request object's member
    /// are the same request, stored as the same text.
    #[test]
    fn form_text_and_request_object_member_store_the_same_text() {
        let from_form = checked(&form(VERIFIED_NAME), &openid()).unwrap().unwrap();
        let value: serde_json::Value = serde_json::from_str(VERIFIED_NAME).unwrap();
        let from_object = checked(&object(value), &openid()).unwrap().unwrap();
        assert_eq!(from_form, from_object);
        assert!(stored(Some(&from_form)).unwrap().asks_verified_claims());
    }

    /// IDA 1.0 §5.6.6: a malformed request is `invalid_request`, naming
    /// where; no parameter, no request.
    #[test]
    fn malformed_requests_are_invalid_request() {
        assert_eq!(checked(&form("{}"), &openid()).unwrap().as_deref(), Some("{}"));
        for bad in [
            "not json",
            "[]",
            r#"{"userinfo":{"verified_claims":{"claims":{"given_name":null}}}}"#,
            r#"{"id_token":{"verified_claims":[]}}"#,
        ] {
            let error = checked(&form(bad), &openid()).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidRequest, "{bad}");
        }
        let long = format!(
            r#"{{"userinfo":{{"name":{{"purpose":"{}"}}}}}}"#,
            "x".repeat(20_000)
        );
        let error = checked(&form(&long), &openid()).unwrap_err();
        assert!(
            error
                .description
                .as_deref()
                .unwrap_or_default()
                .contains("longer than")
        );
        let params = AuthorizationParams::from_form(&Form::parse(b"scope=openid").unwrap());
        assert_eq!(checked(&params, &openid()).unwrap(), None);
    }

    /// End-user claims need `openid`; the UK OBIE intent alone does not.
    #[test]
    fn end_user_claims_need_the_openid_scope() {
        let error = checked(&form(VERIFIED_NAME), &["payments".into()]).unwrap_err();
        assert!(
            error
                .description
                .as_deref()
                .unwrap_or_default()
                .contains("openid")
        );
        let plain = r#"{"id_token":{"email":{"essential":true}}}"#;
        assert!(checked(&form(plain), &["accounts".into()]).is_err());
        let intent = r#"{"id_token":{"openbanking_intent_id":{"value":"c-1","essential":true}}}"#;
        assert!(checked(&form(intent), &["payments".into()]).unwrap().is_some());
    }
}
