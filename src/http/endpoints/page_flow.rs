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
use http::{Request, Response};

/// 503 with `Retry-After` (RFC 9110 §15.6.4, §10.2.3): the hashing queue
/// is full or the store failed; the customer may try again in a moment.
pub(super) fn login_unavailable(reason: &str, caller: &Caller) -> Response<Bytes> {
    tracing::warn!(error = %reason, "login failed to run");
    browser::oauth_error_page(
        &OAuthError::new(
            crate::protocol::error::ErrorCode::TemporarilyUnavailable,
            "please try again",
        ),
        &caller.interaction_id,
    )
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

/// The error page for an interaction that cannot go on: 400
/// `invalid_request` for a step that does not fit (unknown, used, wrong
/// stage), 503 `temporarily_unavailable` with `Retry-After` when the store
/// could not be read or written (a full disk, an overloaded backend): the
/// customer may try the same step again, nothing was decided.
pub(super) fn gone(error: &InteractionError, caller: &Caller) -> Response<Bytes> {
    if let InteractionError::Store(e) = error {
        tracing::warn!(error = %e, "interaction step not run: the store failed");
    }
    browser::oauth_error_page(&error.to_oauth(), &caller.interaction_id)
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
