//! `POST /token` (RFC 6749 §3.2).
//!
//! What is here: the request-level rules every grant shares — a form body
//! (RFC 6749 §3.2), no repeated parameter (§3.1), a `grant_type` (§4.1.3) —
//! and the grant table. What is not here yet: client authentication and the
//! grants themselves (authorization code, refresh, client credentials, CIBA),
//! which arrive with the client registry. Until then no client can
//! authenticate, and the endpoint says so with `invalid_client`.

use super::OpState;
use crate::http::context::RequestContext;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::form::Form;
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{Request, Response};

/// Grant types the OP knows by name (RFC 6749 §4, OpenID CIBA Core §10.1).
const KNOWN_GRANT_TYPES: &[&str] = &[
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "urn:openid:params:grant-type:ciba",
];

/// Handles a token request.
pub async fn post(
    _op: &OpState,
    request: &Request<Bytes>,
    _context: &RequestContext,
) -> Result<Response<Bytes>, OAuthError> {
    require_form_content_type(request)?;
    let form = Form::parse(request.body())?;
    let grant_type = form.require("grant_type")?;
    if !KNOWN_GRANT_TYPES.contains(&grant_type) {
        return Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            format!("grant_type `{grant_type}` is not supported"),
        ));
    }
    Err(OAuthError::new(
        ErrorCode::InvalidClient,
        "client authentication failed: no client is registered with this OP",
    ))
}

/// RFC 6749 §3.2: parameters are sent as `application/x-www-form-urlencoded`.
fn require_form_content_type(request: &Request<Bytes>) -> Result<(), OAuthError> {
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        Ok(())
    } else {
        Err(OAuthError::invalid_request(
            "the token request must be application/x-www-form-urlencoded (RFC 6749 §3.2)",
        ))
    }
}
