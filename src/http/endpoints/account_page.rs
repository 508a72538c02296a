//! What the consent dashboard's endpoints share (`account_sign_in.rs`,
//! `account_consents.rs`): their URLs, the session cookie (`__Host-`,
//! Secure, HttpOnly, SameSite=Strict: RFC 6265bis §4.1.3.2, §5.6.7), the
//! sign-in form's double-submit cookie (OWASP CSRF Prevention Cheat Sheet,
//! "Signed Double-Submit Cookie": the `__Host-` prefix keeps a sibling
//! host from planting it), the form bodies (bounded) and the error pages.

use crate::http::browser;
use crate::login::account_pages::{self, AccountUrls};
use crate::login::csrf;
use crate::oauth::account_session::{self, COOKIE_NAME, Named};
use crate::oauth::caller::Caller;
use crate::oauth::op::OpState;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::form::Form;
use crate::protocol::paths;
use bytes::Bytes;
use http::header::{HeaderValue, SET_COOKIE};
use http::{Request, Response, StatusCode};

/// The sign-in form's double-submit cookie.
pub(super) const SIGN_IN_COOKIE: &str = "__Host-fiducia-account-csrf";
/// The largest form body the dashboard reads (a sign-in is the largest:
/// username and password within their own bounds).
const MAX_FORM_BYTES: usize = 8 * 1024;
/// How long the sign-in form's cookie lives, in seconds.
const SIGN_IN_COOKIE_SECS: u64 = 3600;

/// The dashboard's URLs under the issuer's path.
pub(super) struct Urls {
    sign_in: String,
    code: String,
    revoke: String,
    sign_out: String,
    dashboard: String,
}

impl Urls {
    pub(super) fn of(op: &OpState) -> Self {
        let at = |path: &str| format!("{}{path}", op.config.issuer_path());
        Self {
            sign_in: at(paths::ACCOUNT_SIGN_IN),
            code: at(paths::ACCOUNT_SIGN_IN_CODE),
            revoke: at(paths::ACCOUNT_REVOKE),
            sign_out: at(paths::ACCOUNT_SIGN_OUT),
            dashboard: at(paths::ACCOUNT_CONSENTS),
        }
    }

    pub(super) fn view(&self) -> AccountUrls<'_> {
        AccountUrls {
            sign_in: &self.sign_in,
            code: &self.code,
            revoke: &self.revoke,
            sign_out: &self.sign_out,
            dashboard: &self.dashboard,
        }
    }

    pub(super) fn dashboard(&self) -> &str {
        &self.dashboard
    }
}

/// The idle lifetime of a dashboard session (`[login] session_ttl_secs`).
pub(super) fn idle_secs(op: &OpState) -> u64 {
    op.config.get().login.session_ttl_secs
}

/// The browser's dashboard session, alive and touched, if it has one.
pub(super) async fn session(
    op: &OpState,
    request: &Request<Bytes>,
) -> Result<Option<Named>, Response<Bytes>> {
    let cookie = browser::cookie(request.headers(), COOKIE_NAME);
    account_session::find(&op.services.repo, cookie, idle_secs(op), op.now())
        .await
        .map_err(|e| unavailable(&e.to_string()))
}

/// Sets the session cookie to `token` (the server bounds its life; the
/// browser keeps it no longer than the absolute bound).
pub(super) fn set_session_cookie(response: &mut Response<Bytes>, token: &str) {
    let max_age = crate::model::account_session::MAX_LIFETIME_SECS;
    strict_cookie(response, COOKIE_NAME, token, max_age);
}

/// Clears the session cookie.
pub(super) fn clear_session_cookie(response: &mut Response<Bytes>) {
    strict_cookie(response, COOKIE_NAME, "", 0);
}

fn strict_cookie(response: &mut Response<Bytes>, name: &str, value: &str, max_age: u64) {
    let cookie = format!("{name}={value}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={max_age}");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(SET_COOKIE, value);
    }
}

/// The sign-in page (`status`, an `error` and the username to fill in
/// again), with the sign-in cookie the form's token must match: the
/// browser's own when it has a sane one, else a new one.
pub(super) fn sign_in_page(
    op: &OpState,
    request: &Request<Bytes>,
    status: StatusCode,
    (error, username): (Option<&str>, Option<&str>),
) -> Response<Bytes> {
    let kept = browser::cookie(request.headers(), SIGN_IN_COOKIE)
        .filter(|c| {
            c.len() == 43
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_string);
    let token = match kept.clone().map_or_else(csrf::new_token, Ok) {
        Ok(token) => token,
        Err(e) => return unavailable(&e.to_string()),
    };
    let urls = Urls::of(op);
    let html = account_pages::sign_in_page(urls.view(), &token, error, username);
    let mut response = browser::page(status, html, None);
    if kept.is_none() {
        strict_cookie(&mut response, SIGN_IN_COOKIE, &token, SIGN_IN_COOKIE_SECS);
    }
    response
}

/// The form of a POST, bounded: 413 past [`MAX_FORM_BYTES`], 400 when it
/// does not parse (RFC 6749 §3.1: no repeated parameters).
pub(super) fn form(request: &Request<Bytes>, caller: &Caller) -> Result<Form, Box<Response<Bytes>>> {
    if request.body().len() > MAX_FORM_BYTES {
        let error = OAuthError::invalid_request("the form is too large");
        return Err(Box::new(browser::error_page(
            StatusCode::PAYLOAD_TOO_LARGE,
            &error,
            &caller.interaction_id,
        )));
    }
    Form::parse(request.body()).map_err(|e| {
        Box::new(browser::error_page(
            StatusCode::BAD_REQUEST,
            &e,
            &caller.interaction_id,
        ))
    })
}

/// 403: the form's CSRF token is missing or not this session's (RFC 6749
/// §10.12; OWASP: refuse the state-changing request).
pub(super) fn forged(caller: &Caller) -> Response<Bytes> {
    tracing::warn!(target: "fiducia::audit", "consent dashboard form without its CSRF token refused");
    let error = OAuthError::new(
        ErrorCode::AccessDenied,
        "This form has expired or did not come from this page. Reload the page and try again.",
    );
    browser::error_page(StatusCode::FORBIDDEN, &error, &caller.interaction_id)
}

/// 404: no grant of this customer has the id posted.
pub(super) fn no_such_grant(caller: &Caller) -> Response<Bytes> {
    let error = OAuthError::new(ErrorCode::NotFound, "There is no such access to revoke.");
    browser::error_page(StatusCode::NOT_FOUND, &error, &caller.interaction_id)
}

/// 503 with `Retry-After` (RFC 9110 §15.6.4): the store failed.
pub(super) fn unavailable(reason: &str) -> Response<Bytes> {
    tracing::warn!(error = %reason, "consent dashboard failed to run");
    let error = OAuthError::new(ErrorCode::TemporarilyUnavailable, "please try again");
    let mut response = browser::error_page(StatusCode::SERVICE_UNAVAILABLE, &error, "");
    response
        .headers_mut()
        .insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}
