//! The consent dashboard's sign-in: `POST /account/sign-in` (username,
//! password, `csrf`) and `POST /account/sign-in/otp` (`otp`, `csrf`). The
//! same password check, throttle and answers as the authorization flow's
//! login (`interaction.rs`: one message for a wrong password, an unknown
//! username and a disabled account; `[login]` failures per username,
//! address and form; 429 + `Retry-After` while locked, RFC 6585 §4), and
//! a customer with an enrolled TOTP factor always gives a code (RFC 6238;
//! PSD2 RTS Art. 4: the dashboard shows and changes access to their
//! accounts), checked, counted and locked as the flow's second factor
//! (`second_factor.rs`, `oauth::sca::check_code`: each code once).
//!
//! The password form is bound to the browser by the sign-in cookie (double
//! submit, `account_page.rs`); the code form by the session and its token.

use super::account_page::{
    self, SIGN_IN_COOKIE, Urls, clear_session_cookie, forged, idle_secs, set_session_cookie, unavailable,
};
use crate::http::browser;
use crate::login::account_pages;
use crate::login::second_factor_page::CODE_FIELD;
use crate::login::throttle::{self, Admission, Attempt, Policy, Throttle};
use crate::login::{self, LoginForm, csrf};
use crate::model::account_session::AccountSessionStage;
use crate::oauth::account_session::{self, Named};
use crate::oauth::caller::Caller;
use crate::oauth::op::OpState;
use crate::oauth::sca::{self, CodeCheck};
use bytes::Bytes;
use http::{Request, Response, StatusCode};

/// One message for a wrong password, an unknown username and a disabled
/// account (as the authorization flow's login).
const SIGN_IN_FAILED: &str = "The username or password is not right, or the account is not available.";
/// The answer while a username, address or form is locked.
const SIGN_IN_LOCKED: &str = "Too many attempts to sign in. Please wait and try again later.";
/// One message for a wrong and a reused code.
const CODE_REFUSED: &str = "That code is not right. Enter the code your authenticator app shows now.";
/// The answer while the factor is locked.
const FACTOR_LOCKED: &str =
    "Too many wrong codes. Signing in with a code is locked for a while; try again later.";

/// `POST /account/sign-in`.
pub async fn post(op: &OpState, request: &Request<Bytes>, caller: &Caller) -> Response<Bytes> {
    let form = match account_page::form(request, caller) {
        Ok(form) => form,
        Err(refused) => return *refused,
    };
    let Ok(sign_in) = LoginForm::parse(&form) else {
        let message = "Enter your username and password.";
        return account_page::sign_in_page(op, request, StatusCode::BAD_REQUEST, (Some(message), None));
    };
    // Double submit: the form's token must be the browser's sign-in cookie.
    let cookie = browser::cookie(request.headers(), SIGN_IN_COOKIE);
    if csrf::check(cookie.unwrap_or(""), cookie, &sign_in.csrf).is_err() {
        return forged(caller);
    }
    let now = op.now();
    let config = op.config.get();
    let throttle = Throttle::new(&op.services.repo, Policy::from(&config.login));
    let attempt = Attempt {
        account: login::normalize_username(&sign_in.username).ok(),
        address: caller.client_addr,
        // The form's own counter, as an interaction's in the flow.
        interaction: (
            format!("account-sign-in {}", sign_in.csrf),
            config.login.failure_window_secs,
        ),
    };
    let at_once = config.login.max_failures_per_account;
    let gate = op.services.users.gate();
    let Ok(_turn) = gate.enter_login(attempt.account.as_deref(), at_once).await else {
        return unavailable("too many sign-ins of one username at once");
    };
    match throttle.admit(&attempt, now).await {
        Ok(Admission::Admitted) => {}
        Ok(Admission::Locked { retry_after }) => {
            throttle::record_refusal();
            let mut response = account_page::sign_in_page(
                op,
                request,
                StatusCode::TOO_MANY_REQUESTS,
                (Some(SIGN_IN_LOCKED), Some(&sign_in.username)),
            );
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, http::HeaderValue::from(retry_after));
            return response;
        }
        Err(e) => return unavailable(&e.to_string()),
    }
    let user = match op
        .services
        .users
        .authenticate(&sign_in.username, &sign_in.password, now)
        .await
    {
        Ok(Some(user)) => user,
        Ok(None) => {
            tracing::info!(target: "fiducia::audit", "consent dashboard sign-in failed");
            let locked = throttle.failed(&attempt, now).await.unwrap_or_else(|error| {
                tracing::warn!(%error, "sign-in failure not recorded");
                Vec::new()
            });
            throttle::record_failure(&attempt, &locked, "account-dashboard", config.login.lockout_secs);
            return account_page::sign_in_page(
                op,
                request,
                StatusCode::UNAUTHORIZED,
                (Some(SIGN_IN_FAILED), Some(&sign_in.username)),
            );
        }
        Err(e) => return unavailable(&e.to_string()),
    };
    if let Err(error) = throttle.succeeded(&attempt, now).await {
        tracing::warn!(%error, "sign-in attempt counters not cleared");
    }
    // A session the browser held before is ended: the new one has a new id.
    if let Ok(Some(old)) = account_page::session(op, request).await {
        let _ = account_session::end(&op.services.repo, &old.token).await;
    }
    let has_factor = user.totp.is_some();
    let session = match account_session::begin(
        &op.services.repo,
        &user.account_id,
        has_factor,
        idle_secs(op),
        now,
    )
    .await
    {
        Ok(session) => session,
        Err(e) => return unavailable(&e.to_string()),
    };
    tracing::info!(target: "fiducia::audit", account_id = %user.account_id, second_factor = has_factor, "consent dashboard password accepted");
    let mut response = browser::see_other(Urls::of(op).dashboard());
    set_session_cookie(&mut response, &session.token);
    response
}

/// `POST /account/sign-in/otp`.
pub async fn post_code(op: &OpState, request: &Request<Bytes>, caller: &Caller) -> Response<Bytes> {
    let form = match account_page::form(request, caller) {
        Ok(form) => form,
        Err(refused) => return *refused,
    };
    let session = match account_page::session(op, request).await {
        Ok(Some(session)) => session,
        Ok(None) => return browser::see_other(Urls::of(op).dashboard()),
        Err(refused) => return refused,
    };
    if session.session.stage != AccountSessionStage::AwaitingCode {
        return browser::see_other(Urls::of(op).dashboard());
    }
    if !csrf::matches(&session.session.csrf, form.get("csrf").unwrap_or("")) {
        return forged(caller);
    }
    let now = op.now();
    let config = op.config.get();
    let account_id = session.session.account_id.clone();
    let user = match op.services.users.find_by_account_id(&account_id, now).await {
        Ok(Some(user)) => user,
        Ok(None) => return signed_out(op, request, &session).await,
        Err(e) => return unavailable(&e.to_string()),
    };
    let Some(factor) = &user.totp else {
        // Removed since the password: sign in again.
        return signed_out(op, request, &session).await;
    };
    let gate_key = format!("\u{0}second-factor\u{0}{account_id}");
    let Some(_turn) = op
        .services
        .users
        .gate()
        .enter(&gate_key, config.login.totp.max_failures, throttle::GATE_WAIT)
        .await
    else {
        return unavailable("too many codes of one customer at once");
    };
    let throttle = Throttle::new(&op.services.repo, Policy::second_factor(&config.login));
    match throttle.admit_second_factor(&account_id, now).await {
        Ok(Admission::Admitted) => {}
        Ok(Admission::Locked { retry_after }) => return code_locked(op, &session, retry_after),
        Err(e) => return unavailable(&e.to_string()),
    }
    let code = form.get(CODE_FIELD).unwrap_or("");
    match sca::check_code(&op.services.repo, &account_id, factor, code, now).await {
        Ok(CodeCheck::Accepted) => {}
        Ok(_) => {
            tracing::info!(target: "fiducia::audit", account_id = %account_id, "consent dashboard code refused");
            let event = sca::lockout_event(&account_id, config.login.totp.lockout_secs);
            return match throttle.second_factor_failed(&account_id, &event, now).await {
                Ok(false) => code_page(op, &session, Some(CODE_REFUSED), StatusCode::UNAUTHORIZED),
                Ok(true) => code_locked(op, &session, config.login.totp.lockout_secs),
                Err(e) => unavailable(&e.to_string()),
            };
        }
        Err(e) => return unavailable(&e.to_string()),
    }
    if let Err(error) = throttle.second_factor_succeeded(&account_id, now).await {
        tracing::warn!(%error, "second-factor failure counter not cleared");
    }
    let signed_in = match account_session::signed_in(&op.services.repo, session, idle_secs(op), now).await {
        Ok(signed_in) => signed_in,
        Err(e) => return unavailable(&e.to_string()),
    };
    tracing::info!(target: "fiducia::audit", account_id = %account_id, "consent dashboard: customer strongly authenticated");
    let mut response = browser::see_other(Urls::of(op).dashboard());
    set_session_cookie(&mut response, &signed_in.token);
    response
}

/// The code page of `session`.
pub(super) fn code_page(
    op: &OpState,
    session: &Named,
    error: Option<&str>,
    status: StatusCode,
) -> Response<Bytes> {
    let urls = Urls::of(op);
    let html = account_pages::code_page(urls.view(), &session.session.csrf, error);
    browser::page(status, html, None)
}

/// 429 + `Retry-After` (RFC 6585 §4): the factor is locked.
fn code_locked(op: &OpState, session: &Named, retry_after: u64) -> Response<Bytes> {
    let mut response = code_page(op, session, Some(FACTOR_LOCKED), StatusCode::TOO_MANY_REQUESTS);
    response
        .headers_mut()
        .insert(http::header::RETRY_AFTER, http::HeaderValue::from(retry_after));
    response
}

/// The session ended (the account or its factor went away): the sign-in
/// page, the cookie cleared.
pub(super) async fn signed_out(op: &OpState, request: &Request<Bytes>, session: &Named) -> Response<Bytes> {
    if let Err(e) = account_session::end(&op.services.repo, &session.token).await {
        return unavailable(&e.to_string());
    }
    let mut response = account_page::sign_in_page(op, request, StatusCode::OK, (None, None));
    clear_session_cookie(&mut response);
    response
}
