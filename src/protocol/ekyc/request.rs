//! The `claims` request parameter (OIDC Core §5.5) with Identity
//! Assurance's `verified_claims` (IDA 1.0 §5.1-§5.5), parsed once into a
//! [`ClaimsRequest`]: per member (`userinfo`, `id_token`) the plain claims
//! asked for and the verified claim set requests. Anything malformed is
//! `invalid_request` naming the member (IDA 1.0 §5.6.6: OIDC Core §3.1.2.6
//! error responses). Sizes, depth and counts are bounded ([`super::limits`]).

use super::element::{self, ElementRequest};
use super::limits::{MAX_REQUEST_BYTES, MAX_REQUEST_DEPTH, MAX_REQUESTED_SETS};
use super::verification_request::{self, Members};
use crate::protocol::error::OAuthError;
use serde_json::{Map, Value};

/// A parsed `claims` parameter.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClaimsRequest {
    /// Claims for the UserInfo response (OIDC Core §5.5 `userinfo`).
    pub userinfo: MemberRequest,
    /// Claims for the ID token (OIDC Core §5.5 `id_token`).
    pub id_token: MemberRequest,
}

impl ClaimsRequest {
    /// Whether `verified_claims` is asked for anywhere.
    pub fn asks_verified_claims(&self) -> bool {
        self.userinfo.verified.is_some() || self.id_token.verified.is_some()
    }
}

/// What one of `userinfo` / `id_token` asks for.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MemberRequest {
    /// Plain claims by name, in request order (`openbanking_intent_id` and
    /// other non-standard names included; the answer only fills standard ones).
    pub plain: Vec<(String, ElementRequest)>,
    /// `verified_claims`, if asked.
    pub verified: Option<VerifiedRequest>,
}

/// `verified_claims` as asked: one object or an array (IDA 1.0 §5.5).
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedRequest {
    /// Whether the request was an array.
    pub array: bool,
    /// The set requests, in order.
    pub sets: Vec<SetRequest>,
}

/// One `verified_claims` request object (IDA 1.0 §5.1, §5.2).
#[derive(Debug, Clone, PartialEq)]
pub struct SetRequest {
    /// The requested `verification` members and their filters.
    pub verification: Members,
    /// The requested verified claims; `None` when `claims` is `null`
    /// (verification only, Schema §5.3: "The `claims` element may be empty").
    pub claims: Option<Vec<(String, ElementRequest)>>,
}

/// Parses the parameter as sent in a form (JSON text).
pub fn parse_text(text: &str) -> Result<ClaimsRequest, OAuthError> {
    if text.len() > MAX_REQUEST_BYTES {
        return Err(OAuthError::invalid_request(format!(
            "`claims` is longer than {MAX_REQUEST_BYTES} bytes"
        )));
    }
    let value: Value = serde_json::from_str(text)
        .map_err(|_| OAuthError::invalid_request("`claims` is not JSON (OIDC Core §5.5)"))?;
    parse(&value)
}

/// Parses the parameter as a JSON value (a request object's member, RFC
/// 9101 §4, or the form's text once parsed).
pub fn parse(value: &Value) -> Result<ClaimsRequest, OAuthError> {
    let map = value
        .as_object()
        .ok_or_else(|| OAuthError::invalid_request("`claims` must be a JSON object (OIDC Core §5.5)"))?;
    if depth(value) > MAX_REQUEST_DEPTH {
        return Err(OAuthError::invalid_request(format!(
            "`claims` is nested deeper than {MAX_REQUEST_DEPTH} levels"
        )));
    }
    if serde_json::to_string(value).map_or(true, |t| t.len() > MAX_REQUEST_BYTES) {
        return Err(OAuthError::invalid_request(format!(
            "`claims` is longer than {MAX_REQUEST_BYTES} bytes"
        )));
    }
    Ok(ClaimsRequest {
        userinfo: member(map, "userinfo")?,
        id_token: member(map, "id_token")?,
    })
}

fn member(claims: &Map<String, Value>, name: &str) -> Result<MemberRequest, OAuthError> {
    let map = match claims.get(name) {
        None | Some(Value::Null) => return Ok(MemberRequest::default()),
        Some(Value::Object(map)) => map,
        Some(_) => {
            return Err(OAuthError::invalid_request(format!(
                "`claims.{name}` must be an object (OIDC Core §5.5)"
            )));
        }
    };
    let mut request = MemberRequest::default();
    let mut plain = Map::new();
    for (claim, value) in map {
        if claim == "verified_claims" {
            request.verified = Some(verified(value, &format!("{name}.verified_claims"))?);
        } else {
            plain.insert(claim.clone(), value.clone());
        }
    }
    request.plain = element::claim_names(&plain, name)?;
    Ok(request)
}

fn verified(value: &Value, at: &str) -> Result<VerifiedRequest, OAuthError> {
    let (array, objects): (bool, Vec<&Value>) = match value {
        Value::Object(_) => (false, vec![value]),
        Value::Array(items) if !items.is_empty() && items.len() <= MAX_REQUESTED_SETS => {
            (true, items.iter().collect())
        }
        _ => {
            return Err(OAuthError::invalid_request(format!(
                "`{at}` must be an object or an array of 1 to {MAX_REQUESTED_SETS} objects (IDA 1.0 §5.5)"
            )));
        }
    };
    let sets = objects
        .into_iter()
        .enumerate()
        .map(|(i, set)| {
            let here = if array {
                format!("{at}[{i}]")
            } else {
                at.to_string()
            };
            set_request(set, &here)
        })
        .collect::<Result<_, _>>()?;
    Ok(VerifiedRequest { array, sets })
}

/// verified_claims_request.json `verified_claims_def`: `verification` and
/// `claims` are both required.
fn set_request(value: &Value, at: &str) -> Result<SetRequest, OAuthError> {
    let map = value
        .as_object()
        .ok_or_else(|| OAuthError::invalid_request(format!("`{at}` must be an object (IDA 1.0 §5.1)")))?;
    let verification = map.get("verification").ok_or_else(|| {
        OAuthError::invalid_request(format!("`{at}` must have `verification` (IDA 1.0 §5.2)"))
    })?;
    let claims = match map.get("claims") {
        None => {
            return Err(OAuthError::invalid_request(format!(
                "`{at}` must have `claims` (IDA 1.0 §5.1)"
            )));
        }
        Some(Value::Null) => None,
        Some(Value::Object(claims)) if !claims.is_empty() => {
            Some(element::claim_names(claims, &format!("{at}.claims"))?)
        }
        Some(_) => {
            return Err(OAuthError::invalid_request(format!(
                "`{at}.claims` must be null or an object naming claims (IDA 1.0 §5.1)"
            )));
        }
    };
    Ok(SetRequest {
        verification: verification_request::parse(verification, &format!("{at}.verification"))?,
        claims,
    })
}

fn depth(value: &Value) -> usize {
    match value {
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}
