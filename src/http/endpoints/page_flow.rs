//! What the built-in pages (`interaction.rs`: login and consent;
//! `second_factor.rs`: the TOTP code) share: the interaction a page is
//! about, checked against the browser's CSRF cookie (RFC 6749 §10.12),
//! their URLs and their error answers.

use crate::http::browser;
use crate::login::csrf;
use crate::model::records::Interaction;
use crate::oauth::caller::Caller;
use crate::oauth::interaction::{self, InteractionError, Runner};
use crate::oauth::op::OpState;
use crate::protocol::error::OAuthError;
use bytes::Bytes;
use http::{Request, Response, StatusCode};

/// 503 with `Retry-After` (RFC 9110 §15.6.4, §10.2.3): the hashing queue
/// is full or the store failed; the customer may try again in a moment.
pub(super) fn login_unavailable(reason: &str, caller: &Caller) -> Response<Bytes> {
    tracing::warn!(error = %reason, "login failed to run");
    let mut response = browser::error_page(
        StatusCode::SERVICE_UNAVAILABLE,
        &OAuthError::new(
            crate::protocol::error::ErrorCode::TemporarilyUnavailable,
            "please try again",
        ),
        &caller.interaction_id,
    );
    response
        .headers_mut()
        .insert(http::header::RETRY_AFTER, http::HeaderValue::from_static("1"));
    response
}

/// The interaction named by `ix`, checked against the browser's CSRF cookie
/// (and, for POSTs, the form's token).
pub(super) async fn load(
    op: &OpState,
    request: &Request<Bytes>,
    form_token: Option<&str>,
) -> Result<(String, Interaction), InteractionError> {
    let query = browser::query(request.uri()).map_err(|_| InteractionError::Gone)?;
    let id = query.get("ix").ok_or(InteractionError::Gone)?.to_string();
    // Only an interaction of the built-in pages: one handed to an
    // interaction app is bound to its cookie, not to a CSRF token.
    let ix = interaction::load_for(&op.services.repo, &id, Runner::BuiltIn, op.now()).await?;
    let cookie = browser::cookie(request.headers(), csrf::COOKIE_NAME);
    let presented = form_token.or(cookie).unwrap_or("");
    csrf::check(&ix.csrf, cookie, presented).map_err(|_| InteractionError::WrongStage)?;
    Ok((id, ix))
}

/// The error page for an interaction that cannot go on.
pub(super) fn gone(error: &InteractionError, caller: &Caller) -> Response<Bytes> {
    browser::error_page(
        StatusCode::BAD_REQUEST,
        &OAuthError::invalid_request(error.to_string()),
        &caller.interaction_id,
    )
}

/// The consent page of interaction `id`.
pub(super) fn consent_url(op: &OpState, id: &str) -> String {
    format!(
        "{}{}?ix={id}",
        op.config.issuer_path(),
        crate::protocol::paths::CONSENT
    )
}

/// The second-factor page of interaction `id`.
pub(super) fn second_factor_url(op: &OpState, id: &str) -> String {
    format!(
        "{}{}?ix={id}",
        op.config.issuer_path(),
        crate::protocol::paths::SECOND_FACTOR
    )
}
