//! Which client a token or PAR request is from (RFC 6749 §2.3, RFC 7521
//! §4.2, RFC 7523 §3).
//!
//! - RFC 7521 §4.2: with a `client_assertion`, `client_id` is OPTIONAL;
//!   the assertion identifies the client: RFC 7523 §3 items 1 and 2.B make
//!   its `iss` and `sub` the `client_id`. The client is then looked up by
//!   that `sub`, and the assertion is verified with that client's keys
//!   (`check_client_assertion`), which checks `iss` and `sub` again against
//!   the verified claims: nothing read here is trusted before that.
//! - A `client_id` sent beside the assertion must name the same client
//!   (RFC 7521 §4.2: "MUST identify the same client"); otherwise
//!   `invalid_client`, before any client is looked up.
//! - Without an assertion (the mutual-TLS methods, RFC 8705 §2) the
//!   `client_id` is required.

use super::ClientAuthReason;
use crate::protocol::jose::{JoseError, UnverifiedJws, claims};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// The `client_id` a request claims, from its form's `client_id` and
/// `client_assertion` (see the module documentation).
pub fn claimed_client_id(
    client_id: Option<&str>,
    client_assertion: Option<&str>,
) -> Result<String, ClientAuthReason> {
    let Some(assertion) = client_assertion else {
        return client_id
            .map(str::to_string)
            .ok_or(ClientAuthReason::MissingClientId);
    };
    let claims = unverified_claims(assertion)?;
    let sub = claims::string(&claims, "sub")?.ok_or(ClientAuthReason::MissingClaim("sub"))?;
    let iss = claims::string(&claims, "iss")?.ok_or(ClientAuthReason::MissingClaim("iss"))?;
    if iss != sub {
        return Err(ClientAuthReason::IssMismatch);
    }
    if client_id.is_some_and(|id| id != sub) {
        return Err(ClientAuthReason::ClientIdMismatch);
    }
    Ok(sub.to_string())
}

/// The payload of a compact JWS, not verified; its size and header are
/// checked first (RFC 8725 §3.1: `alg: none` and HMAC fail here already).
fn unverified_claims(compact: &str) -> Result<Map<String, Value>, ClientAuthReason> {
    UnverifiedJws::parse(compact)?;
    let malformed =
        || ClientAuthReason::Jws(JoseError::Malformed("the payload is not a base64url JSON object"));
    let payload = compact.split('.').nth(1).ok_or_else(malformed)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).map_err(|_| malformed())?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(malformed()),
    }
}
