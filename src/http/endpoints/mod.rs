//! One file per endpoint (STYLE.md §1). Each takes the OP state
//! ([`OpState`], the application layer's), the already-limited request and
//! the [`Caller`], and returns a response or an [`OAuthError`].
//!
//! [`OAuthError`]: crate::protocol::error::OAuthError
//! [`OpState`]: crate::oauth::op::OpState
//! [`Caller`]: crate::oauth::caller::Caller

pub mod account_consents;
pub mod account_page;
pub mod account_sign_in;
pub mod authorize;
pub mod ciba;
pub mod consents;
pub mod customer_grants_api;
pub mod discovery;
pub mod grants;
pub mod interaction;
pub mod interaction_api;
pub mod interaction_return;
pub mod introspection;
pub mod jwks;
pub mod overloaded;
pub mod page_flow;
pub mod par;
pub mod payment_grants;
pub mod registration;
pub mod revocation;
pub mod sandbox_callback;
pub mod second_factor;
pub mod token;
pub mod upstream_callback;
pub mod userinfo;

use bytes::Bytes;

/// The body of a form POST (RFC 6749 §3.2: `application/x-www-form-urlencoded`),
/// parsed with repeated parameters refused.
pub fn form_body(
    request: &http::Request<Bytes>,
) -> Result<crate::protocol::form::Form, crate::protocol::error::OAuthError> {
    let content_type = request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(crate::protocol::error::OAuthError::invalid_request(
            "the request body must be application/x-www-form-urlencoded (RFC 6749 §3.2)",
        ));
    }
    crate::protocol::form::Form::parse(request.body())
}
