//! The page a person uses: `GET /` signs in or lists the customer's
//! requests; `POST /signin`, `POST /decide` (Approve / Deny) and
//! `POST /signout` are forms protected against CSRF (RFC 6749 §10.12): the
//! sign-in form by a double-submit cookie, the others by the session's
//! token, which must match both the form and the CSRF cookie
//! (`login::csrf::check`). Responses carry the login pages' security
//! headers (`login::headers`: CSP without scripts, no framing, no-store).

use super::decision::{Recorded, Verdict};
use super::page;
use super::sessions::{CSRF_COOKIE, SESSION_COOKIE, Session, cookie};
use super::state::{DeviceState, Outcome};
use crate::http::browser;
use crate::login::csrf;
use crate::protocol::form::Form;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};

/// `GET /`.
pub fn home(state: &DeviceState, request: &Request<Bytes>) -> Response<Bytes> {
    let now = state.clock.now_unix();
    match session(state, request.headers(), now) {
        Some((_, session)) => {
            let requests = state.inbox.of(&session.customer.account_id, now);
            let html = page::inbox(&session.customer.name, &session.csrf, &requests, now);
            browser::page(StatusCode::OK, html, None)
        }
        None => sign_in_page(StatusCode::OK, None),
    }
}

/// `POST /signin`.
pub async fn sign_in(state: &DeviceState, request: &Request<Bytes>) -> Response<Bytes> {
    let Ok(form) = Form::parse(request.body()) else {
        return sign_in_page(StatusCode::BAD_REQUEST, Some("The form could not be read."));
    };
    let cookie_token = browser::cookie(request.headers(), CSRF_COOKIE);
    let presented = form.get("csrf").unwrap_or("");
    // Double submit: the form's token must be the browser's cookie.
    if !cookie_token.is_some_and(|c| csrf::matches(c, presented)) {
        return sign_in_page(
            StatusCode::FORBIDDEN,
            Some("The page expired. Please sign in again."),
        );
    }
    let (username, password) = (
        form.get("username").unwrap_or(""),
        form.get("password").unwrap_or(""),
    );
    let Some(customer) = state.customers.authenticate(username, password).await else {
        return sign_in_page(StatusCode::UNAUTHORIZED, Some("Wrong username or password."));
    };
    let now = state.clock.now_unix();
    let Some((id, token)) = state.sessions.open(customer, now) else {
        return sign_in_page(StatusCode::SERVICE_UNAVAILABLE, Some("Please try again."));
    };
    let mut response = browser::see_other("/");
    let ttl = state.sessions.ttl();
    add_cookie(&mut response, &cookie(SESSION_COOKIE, &id, ttl));
    add_cookie(&mut response, &cookie(CSRF_COOKIE, &token, ttl));
    response
}

/// `POST /decide`: Approve or Deny one request, then the outcome page.
pub async fn decide(state: &DeviceState, request: &Request<Bytes>) -> Response<Bytes> {
    let now = state.clock.now_unix();
    let Some((form, session)) = checked_form(state, request, now) else {
        return forbidden();
    };
    let verdict = match form.get("decision") {
        Some("approve") => Verdict::Approved,
        Some("deny") => Verdict::Denied,
        _ => {
            return outcome(
                StatusCode::BAD_REQUEST,
                "Not understood",
                "Choose Approve or Deny.",
            );
        }
    };
    let Some(id) = form.get("auth_req_id") else {
        return outcome(
            StatusCode::BAD_REQUEST,
            "Not understood",
            "No request was chosen.",
        );
    };
    let done = match verdict {
        Verdict::Approved => (
            "Approved",
            "You approved the request. You can return to the shop.",
        ),
        Verdict::Denied => ("Denied", "You denied the request. Nothing was shared or paid."),
    };
    match state
        .decide(&session.customer, id, verdict, session.signed_in_at)
        .await
    {
        Outcome::Op(Recorded::Yes) => outcome(StatusCode::OK, done.0, done.1),
        Outcome::NotFound | Outcome::Op(Recorded::NotFound) => outcome(
            StatusCode::NOT_FOUND,
            "No longer waiting",
            "This request has expired or is not yours.",
        ),
        Outcome::Op(Recorded::AlreadyDecided) => outcome(
            StatusCode::CONFLICT,
            "Already decided",
            "This request was decided already.",
        ),
        Outcome::Op(Recorded::Refused(_)) => outcome(
            StatusCode::BAD_GATEWAY,
            "Not accepted",
            "The bank did not accept this decision.",
        ),
        Outcome::Op(Recorded::Unreachable(_)) => outcome(
            StatusCode::BAD_GATEWAY,
            "Please try again",
            "The bank could not be reached. The request is still waiting.",
        ),
    }
}

/// `POST /signout`.
pub fn sign_out(state: &DeviceState, request: &Request<Bytes>) -> Response<Bytes> {
    let now = state.clock.now_unix();
    let Some((_, _)) = checked_form(state, request, now) else {
        return forbidden();
    };
    if let Some(id) = browser::cookie(request.headers(), SESSION_COOKIE) {
        state.sessions.close(id);
    }
    let mut response = browser::see_other("/");
    add_cookie(&mut response, &cookie(SESSION_COOKIE, "", 0));
    response
}

/// The session of the request's cookie.
fn session(state: &DeviceState, headers: &HeaderMap, now: u64) -> Option<(String, Session)> {
    let id = browser::cookie(headers, SESSION_COOKIE)?;
    state.sessions.get(id, now).map(|s| (id.to_owned(), s))
}

/// The form of a signed-in POST whose CSRF token is the session's and the
/// cookie's (`login::csrf::check`).
fn checked_form(state: &DeviceState, request: &Request<Bytes>, now: u64) -> Option<(Form, Session)> {
    let (_, session) = session(state, request.headers(), now)?;
    let form = Form::parse(request.body()).ok()?;
    let cookie_token = browser::cookie(request.headers(), CSRF_COOKIE);
    csrf::check(&session.csrf, cookie_token, form.get("csrf").unwrap_or("")).ok()?;
    Some((form, session))
}

fn sign_in_page(status: StatusCode, error: Option<&str>) -> Response<Bytes> {
    let Ok(token) = csrf::new_token() else {
        return browser::page(
            StatusCode::SERVICE_UNAVAILABLE,
            page::outcome("Please try again", "The page could not be made."),
            None,
        );
    };
    let mut response = browser::page(status, page::sign_in(&token, error), None);
    add_cookie(&mut response, &cookie(CSRF_COOKIE, &token, 3600));
    response
}

fn outcome(status: StatusCode, title: &str, message: &str) -> Response<Bytes> {
    browser::page(status, page::outcome(title, message), None)
}

fn forbidden() -> Response<Bytes> {
    outcome(
        StatusCode::FORBIDDEN,
        "Please sign in again",
        "Your sign-in expired or the form was not from this page.",
    )
}

fn add_cookie(response: &mut Response<Bytes>, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().append(http::header::SET_COOKIE, value);
    }
}
