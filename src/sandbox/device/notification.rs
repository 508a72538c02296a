//! The OP's notification of a backchannel authentication request: a compact
//! JWS (`typ: ciba-request+jwt`) signed with the OP's key, whose claims say
//! which customer is asked what by whom (OpenID Connect CIBA Core 1.0 §7.1:
//! `binding_message`, `acr_values`, `scope`; RFC 9396 §2
//! `authorization_details`; the UK OBIE consent as `intent`). This file
//! checks the claims once the signature has verified (`op_keys.rs`).

use crate::protocol::jose::claims;
use serde::Serialize;
use serde_json::{Map, Value};

/// The JWS `typ` of a notification (RFC 8725 §3.11: explicit typing).
pub const NOTIFICATION_TYP: &str = "ciba-request+jwt";
/// Longest `auth_req_id` kept, in bytes.
const MAX_AUTH_REQ_ID_BYTES: usize = 256;
/// Longest `binding_message` kept, in characters (the OP limits it further).
const MAX_BINDING_MESSAGE_CHARS: usize = 256;
/// How far in the future `iat` may be (clock skew), in seconds.
const MAX_IAT_SKEW_SECS: u64 = 60;

/// A request waiting for its customer's decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PendingRequest {
    /// The OP's handle of the request.
    pub auth_req_id: String,
    /// The customer's `account_id` (OIDC `sub`).
    #[serde(skip)]
    pub sub: String,
    /// The fintech.
    pub client_id: String,
    /// The fintech's name, shown to the customer.
    pub client_name: String,
    /// The scopes asked for.
    pub scopes: Vec<String>,
    /// What the fintech shows on its own screen (CIBA Core §7.1
    /// `binding_message`): the customer compares the two.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binding_message: Option<String>,
    /// The `acr_values` asked for, space-separated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acr_values: Option<String>,
    /// RFC 9396 authorization details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_details: Option<Value>,
    /// The UK OBIE consent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intent: Option<Value>,
    /// When the request expires (unix seconds); it is never decided after.
    pub expires_at: u64,
}

/// Why verified claims are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimProblem {
    /// `iss`, `aud`, `exp`, `iat`: the token is not for us now (401).
    #[error("{0}")]
    Token(&'static str),
    /// A request claim is missing or mistyped (400).
    #[error("{0}")]
    Request(&'static str),
}

/// Checks the claims of a verified notification in the single form (one
/// request): the envelope ([`check_envelope`]) and the request
/// ([`check_request`]) are the same object.
pub fn check(
    claims: &Map<String, Value>,
    issuer: &str,
    audience: &str,
    now: u64,
) -> Result<PendingRequest, ClaimProblem> {
    check_envelope(claims, issuer, audience, now)?;
    check_request(claims, now)
}

/// Checks the envelope of a verified notification, single or batched:
/// `iss` is the OP, `aud` holds `audience`, `exp` is after `now`, `iat`
/// not in the future, a `jti`.
pub fn check_envelope(
    claims: &Map<String, Value>,
    issuer: &str,
    audience: &str,
    now: u64,
) -> Result<(), ClaimProblem> {
    use ClaimProblem::{Request, Token};
    if claims::string(claims, "iss").ok().flatten() != Some(issuer) {
        return Err(Token("`iss` is not the OP's issuer"));
    }
    if !claims::audience(claims)
        .ok()
        .flatten()
        .is_some_and(|aud| aud.contains(audience))
    {
        return Err(Token("`aud` is not this device's audience"));
    }
    expiry(claims, now)?;
    let iat = claims::numeric_date(claims, "iat")
        .ok()
        .flatten()
        .ok_or(Token("`iat` is missing"))?;
    if iat > now + MAX_IAT_SKEW_SECS {
        return Err(Token("`iat` is in the future"));
    }
    match claims::string(claims, "jti") {
        Ok(Some(jti)) if !jti.is_empty() => Ok(()),
        _ => Err(Request("`jti` is missing")),
    }
}

/// `exp`, after `now`.
fn expiry(claims: &Map<String, Value>, now: u64) -> Result<u64, ClaimProblem> {
    let exp = claims::numeric_date(claims, "exp")
        .ok()
        .flatten()
        .ok_or(ClaimProblem::Token("`exp` is missing"))?;
    if exp <= now {
        return Err(ClaimProblem::Token("the request has expired (`exp`)"));
    }
    Ok(exp)
}

/// Checks one request's claims (the single form's, or one of a batch's
/// `requests`): its own `exp` after `now`, and the request claims of the
/// channel contract with their types.
pub fn check_request(claims: &Map<String, Value>, now: u64) -> Result<PendingRequest, ClaimProblem> {
    use ClaimProblem::Request;
    let exp = expiry(claims, now)?;
    let text = |name: &'static str, problem: &'static str| -> Result<String, ClaimProblem> {
        match claims::string(claims, name) {
            Ok(Some(value)) if !value.is_empty() => Ok(value.to_owned()),
            _ => Err(Request(problem)),
        }
    };
    let optional = |name: &'static str, problem: &'static str| -> Result<Option<String>, ClaimProblem> {
        claims::string(claims, name)
            .map(|v| v.map(str::to_owned))
            .map_err(|_| Request(problem))
    };
    let auth_req_id = text("auth_req_id", "`auth_req_id` is missing")?;
    if auth_req_id.len() > MAX_AUTH_REQ_ID_BYTES {
        return Err(Request("`auth_req_id` is too long"));
    }
    let sub = text("sub", "`sub` is missing")?;
    let client_id = text("client_id", "`client_id` is missing")?;
    let client_name =
        optional("client_name", "`client_name` is not a string")?.unwrap_or_else(|| client_id.clone());
    let scope = text("scope", "`scope` is missing")?;
    let binding_message = optional("binding_message", "`binding_message` is not a string")?;
    if binding_message
        .as_ref()
        .is_some_and(|m| m.chars().count() > MAX_BINDING_MESSAGE_CHARS)
    {
        return Err(Request("`binding_message` is too long"));
    }
    let acr_values = optional("acr_values", "`acr_values` is not a string")?;
    let authorization_details = match claims.get("authorization_details") {
        None | Some(Value::Null) => None,
        Some(details @ Value::Array(_)) => Some(details.clone()),
        Some(_) => return Err(Request("`authorization_details` is not an array (RFC 9396 §2)")),
    };
    let intent = match claims.get("intent") {
        None | Some(Value::Null) => None,
        Some(intent @ Value::Object(_)) => Some(intent.clone()),
        Some(_) => return Err(Request("`intent` is not an object")),
    };
    Ok(PendingRequest {
        auth_req_id,
        sub,
        client_id,
        client_name,
        scopes: scope.split_whitespace().map(str::to_owned).collect(),
        binding_message,
        acr_values,
        authorization_details,
        intent,
        expires_at: exp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: u64 = 1_700_000_000;

    fn claims(overrides: Value) -> Map<String, Value> {
        let mut base = json!({
            "iss": "https://op.example", "aud": "device", "iat": NOW, "exp": NOW + 300,
            "jti": "j1", "auth_req_id": "r1", "sub": "acc-1", "client_id": "c1",
            "client_name": "Shop", "scope": "openid payments",
            "binding_message": "W4SCT",
        });
        for (k, v) in overrides.as_object().unwrap() {
            match v {
                Value::Null => base.as_object_mut().unwrap().remove(k),
                v => base.as_object_mut().unwrap().insert(k.clone(), v.clone()),
            };
        }
        base.as_object().unwrap().clone()
    }

    fn checked(overrides: Value) -> Result<PendingRequest, ClaimProblem> {
        check(&claims(overrides), "https://op.example", "device", NOW)
    }

    #[test]
    fn a_contract_request_is_kept_with_its_details() {
        let request = checked(json!({
            "aud": ["other", "device"],
            "authorization_details": [{"type": "payment_initiation"}],
            "intent": {"kind": "payment"},
        }))
        .unwrap();
        assert_eq!(request.auth_req_id, "r1");
        assert_eq!(request.sub, "acc-1");
        assert_eq!(request.scopes, vec!["openid", "payments"]);
        assert_eq!(request.binding_message.as_deref(), Some("W4SCT"));
        assert_eq!(request.expires_at, NOW + 300);
        assert!(request.authorization_details.is_some() && request.intent.is_some());
    }

    #[test]
    fn iss_aud_exp_iat_are_checked() {
        use ClaimProblem::Token;
        assert!(matches!(checked(json!({"iss": "https://evil"})), Err(Token(_))));
        assert!(matches!(checked(json!({"aud": "someone-else"})), Err(Token(_))));
        assert!(matches!(checked(json!({"exp": NOW})), Err(Token(_))));
        assert!(matches!(checked(json!({"exp": null})), Err(Token(_))));
        assert!(matches!(checked(json!({"iat": NOW + 3600})), Err(Token(_))));
    }

    #[test]
    fn request_claims_must_be_there_with_their_types() {
        use ClaimProblem::Request;
        for bad in [
            json!({"auth_req_id": null}),
            json!({"sub": ""}),
            json!({"scope": 7}),
            json!({"jti": null}),
            json!({"authorization_details": {"type": "x"}}),
            json!({"intent": "payment"}),
            json!({"binding_message": "x".repeat(300)}),
        ] {
            assert!(matches!(checked(bad.clone()), Err(Request(_))), "{bad}");
        }
    }
}
