//! Rules the profiles share: the status rule, keys by value and where a
//! set of members names the keys.

use super::super::RegistrationError;
use super::super::statement::{SoftwareKeys, SoftwareStatement, SsaError};
use serde_json::{Map, Value};

/// Longest JWKS accepted by value: a handful of keys with certificates.
pub const MAX_JWKS_BY_VALUE: usize = 16 * 1024;

/// `software_status` and `org_status` are checked when present (UK OBIE
/// DCR 3.3; RFC 7591 defines neither): anything but `Active` is
/// unapproved, absence is not.
pub fn statuses_when_present(claims: &Map<String, Value>) -> Result<(), SsaError> {
    for status in ["software_status", "org_status"] {
        match claims.get(status) {
            None => {}
            Some(Value::String(s)) if s == "Active" => {}
            Some(Value::String(_)) => return Err(SsaError::NotActive(status)),
            Some(_) => return Err(SsaError::Claim(status)),
        }
    }
    Ok(())
}

/// Checks a JWKS given by value (RFC 7591 §2 `jwks`): an object with at
/// least one usable signature key, no private members, bounded in size.
/// Returns its JSON text as stored.
pub fn jwks_by_value(jwks: &Value) -> Result<String, &'static str> {
    let parsed = crate::protocol::jose::ClientJwks::from_value(jwks)
        .map_err(|_| "jwks is not a JWKS (RFC 7517 §5)")?;
    if parsed
        .skipped
        .iter()
        .any(|s| s.problem == crate::protocol::jose::JwkProblem::PrivateMembers)
    {
        return Err("jwks holds a private key");
    }
    if parsed.keys.is_empty() {
        return Err("jwks has no usable signature key (PS256, ES256 or EdDSA)");
    }
    let text = jwks.to_string();
    if text.len() > MAX_JWKS_BY_VALUE {
        return Err("jwks is too large");
    }
    Ok(text)
}

/// The keys named by `jwks_uri` or `jwks` in `members` (never both, RFC
/// 7591 §2); `Ok(None)` when neither is present.
pub fn keys_in(members: &Map<String, Value>) -> Result<Option<SoftwareKeys>, RegistrationError> {
    match (members.get("jwks_uri"), members.get("jwks")) {
        (Some(_), Some(_)) => Err(RegistrationError::metadata(
            "jwks_uri and jwks must not both be given (RFC 7591 §2)",
        )),
        (Some(Value::String(uri)), None) if uri.starts_with("https://") => {
            Ok(Some(SoftwareKeys::Uri(uri.clone())))
        }
        (Some(_), None) => Err(RegistrationError::metadata("jwks_uri must be an https URL")),
        (None, Some(jwks)) => jwks_by_value(jwks)
            .map(|text| Some(SoftwareKeys::Jwks(text)))
            .map_err(RegistrationError::metadata),
        (None, None) => Ok(None),
    }
}

/// Open Finance Brasil DCR 1.0 §7.1, CDS DCR: a `jwks_uri` in the request,
/// when sent, must be the statement's (the keys are the ones the directory
/// publishes for the software); `statement_claim` names it in the error.
pub fn jwks_uri_is_the_statements(
    request: &Map<String, Value>,
    ssa: &SoftwareStatement,
    statement_claim: &str,
) -> Result<(), RegistrationError> {
    let Some(sent) = request.get("jwks_uri") else {
        return Ok(());
    };
    match (&ssa.keys, sent) {
        (Some(SoftwareKeys::Uri(uri)), Value::String(sent)) if sent == uri => Ok(()),
        _ => Err(RegistrationError::metadata(format!(
            "jwks_uri must be the software statement's {statement_claim}"
        ))),
    }
}
