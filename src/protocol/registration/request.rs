//! The registration request body (RFC 7591 §3.1): JSON client metadata, or
//! (UK OBIE DCR 3.3) a JWS of it, `Content-Type: application/jwt`, signed
//! by the software with a key of its JWKS (the statement's
//! `software_jwks_endpoint`). Either carries `software_statement`.
//!
//! The signed form's claims (UK OBIE DCR 3.3 "Registration request"): `iss`
//! = the statement's `software_id`, `aud` = our issuer, `iat` not in the
//! future, `exp` in the future, `jti` present (single use is the caller's).

use super::RegistrationError;
use crate::protocol::jose::claims;
use crate::protocol::jose::{ClientJwk, MAX_FUTURE_SKEW_SECS, MAX_JTI_LEN, verify_jws};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// What came in.
#[derive(Debug, Clone, PartialEq)]
pub enum RegistrationBody {
    /// `application/json` metadata.
    Json(Map<String, Value>),
    /// `application/jwt`: a compact JWS, not yet verified.
    Signed(String),
}

fn invalid(why: &'static str) -> RegistrationError {
    RegistrationError::metadata(why)
}

/// Parses the body by its media type (RFC 7591 §3.1: JSON; UK: JWT).
pub fn parse_body(content_type: &str, body: &[u8]) -> Result<RegistrationBody, RegistrationError> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/json" => match serde_json::from_slice(body) {
            Ok(Value::Object(map)) => Ok(RegistrationBody::Json(map)),
            _ => Err(invalid("the body is not a JSON object (RFC 7591 §3.1)")),
        },
        "application/jwt" => std::str::from_utf8(body)
            .map(|s| RegistrationBody::Signed(s.trim().to_string()))
            .map_err(|_| invalid("the body is not a compact JWS")),
        _ => Err(RegistrationError::Request(
            "the body must be application/json or application/jwt".into(),
        )),
    }
}

/// The claims of a signed request before its signature is checked: they
/// hold the software statement, which says where the signing keys are.
/// Nothing from them is used unless [`verify_signed_request`] succeeds.
pub fn peek_claims(compact: &str) -> Result<Map<String, Value>, RegistrationError> {
    let payload = compact
        .split('.')
        .nth(1)
        .ok_or_else(|| invalid("the request is not a compact JWS"))?;
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| invalid("the request payload is not base64url"))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(invalid("the request payload is not a JSON object")),
    }
}

/// The `software_statement` member (RFC 7591 §2.3); it is required here.
pub fn software_statement(metadata: &Map<String, Value>) -> Result<&str, RegistrationError> {
    match metadata.get("software_statement") {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(_) => Err(RegistrationError::statement(
            "software_statement must be a compact JWS",
        )),
        None => Err(RegistrationError::statement(
            "software_statement is required (RFC 7591 §2.3)",
        )),
    }
}

/// Verifies a signed request with the software's `keys` and returns its
/// claims (the metadata) and its `jti`.
pub fn verify_signed_request(
    compact: &str,
    keys: &[ClientJwk],
    issuer: &str,
    software_id: &str,
    now: u64,
) -> Result<(Map<String, Value>, String), RegistrationError> {
    let verified = verify_jws(compact, keys, None)
        .map_err(|e| RegistrationError::metadata(format!("request signature: {e}")))?;
    let c = verified.claims;
    let bad = |name: &'static str| {
        RegistrationError::metadata(format!("request claim `{name}` is missing or wrong"))
    };
    if claims::string(&c, "iss").map_err(|_| bad("iss"))? != Some(software_id) {
        return Err(bad("iss"));
    }
    let aud = claims::audience(&c).map_err(|_| bad("aud"))?;
    if !aud.is_some_and(|a| a.contains(issuer)) {
        return Err(bad("aud"));
    }
    let iat = claims::numeric_date(&c, "iat")
        .map_err(|_| bad("iat"))?
        .ok_or(bad("iat"))?;
    if iat > now + MAX_FUTURE_SKEW_SECS {
        return Err(bad("iat"));
    }
    let exp = claims::numeric_date(&c, "exp")
        .map_err(|_| bad("exp"))?
        .ok_or(bad("exp"))?;
    if exp <= now {
        return Err(RegistrationError::metadata("the signed request has expired"));
    }
    let jti = match claims::string(&c, "jti").map_err(|_| bad("jti"))? {
        Some(j) if !j.is_empty() && j.len() <= MAX_JTI_LEN => j.to_string(),
        _ => return Err(bad("jti")),
    };
    Ok((c, jti))
}
