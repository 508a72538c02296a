//! The app's routes. `GET /login?interaction_id=` reads the interaction at
//! the OP and opens a sign-in; the forms after it are checked against the
//! sign-in's CSRF token (RFC 6749 §10.12). The login is reported with
//! `acr` `urn:openbanking:psd2:sca` and `amr` `pwd otp mfa` (RFC 8176 §2)
//! only when the code was checked, else `urn:openbanking:psd2:ca` and
//! `pwd`. A customer without a factor whose request needs SCA (PSD2 RTS
//! Art. 4) is never let through with the password: the app gives the
//! interaction up (`POST /interaction-api/abandon`, `sca_unavailable`), so
//! the client gets `unmet_authentication_requirements` (OpenID Connect
//! Core Unmet Authentication Requirements 1.0 §2) at its redirect URI. A wrong
//! password or code stays on the app's page (401); past `max_failures` the
//! sign-in ends (429).

use super::customers::{Code, SignedIn};
use super::op_api::{Failure, Login};
use super::pages;
use super::sessions::{SESSION_COOKIE, SignIn, Step, cookie};
use super::settings::{CONSENT_PATH, OTP_PATH};
use super::state::AppState;
use crate::http::browser;
use crate::login::csrf;
use crate::protocol::acr;
use crate::protocol::form::Form;
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};

/// The longest interaction id taken from a query (the OP's are 43 characters).
const MAX_ID_LEN: usize = 256;
/// The query parameter the OP's redirect carries the interaction in.
const ID_PARAM: &str = "interaction_id";

/// `GET /login?interaction_id=`.
pub async fn start(state: &AppState, request: &Request<Bytes>) -> Response<Bytes> {
    let id = browser::query(request.uri())
        .ok()
        .and_then(|q| q.get(ID_PARAM).map(str::to_string));
    let Some(id) = id.filter(|id| !id.is_empty() && id.len() <= MAX_ID_LEN) else {
        return error(
            StatusCode::BAD_REQUEST,
            "This sign-in link is not complete",
            "Start again from the application.",
        );
    };
    let asked = match state.op.read(&id).await {
        Ok(asked) => asked,
        Err(failure) => return op_failure(&failure),
    };
    if asked.stage != "login" {
        return error(
            StatusCode::CONFLICT,
            "Already signed in",
            "This sign-in was used already. Start again from the application.",
        );
    }
    let now = state.clock.now_unix();
    let (client_name, hint, redirect_uri) = (
        asked.client.client_name.clone().unwrap_or_default(),
        asked.login_hint.clone(),
        asked.redirect_uri.clone(),
    );
    let Some((session, token)) = state.sessions.open(&id, asked, now) else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "Please try again",
            "The page could not be made.",
        );
    };
    let html = pages::login(&client_name, &token, hint.as_deref(), None);
    let mut response = page(state, StatusCode::OK, html, &redirect_uri);
    add_cookie(&mut response, &cookie(&session, state.sessions.ttl()));
    response
}

/// `POST /login`: the password.
pub async fn password(state: &AppState, request: &Request<Bytes>) -> Response<Bytes> {
    let (session, signin, form) = match checked(state, request) {
        Ok(checked) => checked,
        Err(response) => return *response,
    };
    if signin.step != Step::Password {
        return next_page(&signin.step);
    }
    let (username, password) = (
        form.get("username").unwrap_or(""),
        form.get("password").unwrap_or(""),
    );
    let client_name = signin.asked.client.client_name.clone().unwrap_or_default();
    let Some(customer) = state.customers.authenticate(username, password).await else {
        if let Some(response) = too_many(state, &session) {
            return response;
        }
        let html = pages::login(
            &client_name,
            &signin.csrf,
            Some(username),
            Some("Wrong username or password."),
        );
        return page(state, StatusCode::UNAUTHORIZED, html, &signin.asked.redirect_uri);
    };
    let now = state.clock.now_unix();
    if signin.asked.needs_second_factor(customer.has_factor) {
        if !customer.has_factor {
            return without_factor(state, &session, &signin, &customer, now).await;
        }
        state.sessions.advance(&session, Step::Code(customer, now));
        return browser::see_other(OTP_PATH);
    }
    let login = Login {
        sub: &customer.sub,
        acr: acr::CA,
        amr: acr::AMR_PASSWORD,
        auth_time: now,
    };
    if let Err(failure) = state.op.login(&signin.interaction_id, &login).await {
        return op_failure(&failure);
    }
    state.sessions.advance(&session, Step::Consent(customer));
    browser::see_other(CONSENT_PATH)
}

/// SCA is required and `customer` has no factor: the interaction is
/// given up with `sca_unavailable` (PSD2 RTS Art. 4: no payment on the
/// password alone), and the browser goes back to the client, which hears
/// `unmet_authentication_requirements`.
async fn without_factor(
    state: &AppState,
    session: &str,
    signin: &SignIn,
    customer: &SignedIn,
    _now: u64,
) -> Response<Bytes> {
    tracing::info!(sub = %customer.sub, "sandbox login app: SCA required and no second factor enrolled");
    state.sessions.close(session);
    match state.op.abandon(&signin.interaction_id, "sca_unavailable").await {
        Ok(return_to) => browser::see_other(&return_to),
        Err(failure) => op_failure(&failure),
    }
}

/// `GET /otp`.
pub async fn otp_page(state: &AppState, request: &Request<Bytes>) -> Response<Bytes> {
    let Some((_, signin)) = signin(state, request) else {
        return expired();
    };
    match &signin.step {
        Step::Code(customer, _) => page(
            state,
            StatusCode::OK,
            pages::otp(&customer.name, &signin.asked.payments, &signin.csrf, None),
            &signin.asked.redirect_uri,
        ),
        other => next_page(other),
    }
}

/// `POST /otp`: the code.
pub async fn otp(state: &AppState, request: &Request<Bytes>) -> Response<Bytes> {
    let (session, signin, form) = match checked(state, request) {
        Ok(checked) => checked,
        Err(response) => return *response,
    };
    let Step::Code(customer, password_at) = &signin.step else {
        return next_page(&signin.step);
    };
    let now = state.clock.now_unix();
    match state
        .customers
        .check_code(&customer.username, form.get("otp").unwrap_or(""), now)
    {
        Code::Accepted => {}
        Code::Wrong | Code::Replayed => {
            if let Some(response) = too_many(state, &session) {
                return response;
            }
            let message = "That code is not right. Enter the code your app shows now.";
            let html = pages::otp(
                &customer.name,
                &signin.asked.payments,
                &signin.csrf,
                Some(message),
            );
            return page(state, StatusCode::UNAUTHORIZED, html, &signin.asked.redirect_uri);
        }
    }
    let login = Login {
        sub: &customer.sub,
        acr: acr::SCA,
        amr: acr::AMR_SCA,
        auth_time: *password_at,
    };
    if let Err(failure) = state.op.login(&signin.interaction_id, &login).await {
        return op_failure(&failure);
    }
    state.sessions.advance(&session, Step::Consent(customer.clone()));
    browser::see_other(CONSENT_PATH)
}

/// `GET /consent`: what is asked, read again (the accounts come with the login).
pub async fn consent_page(state: &AppState, request: &Request<Bytes>) -> Response<Bytes> {
    let Some((_, signin)) = signin(state, request) else {
        return expired();
    };
    let Step::Consent(customer) = &signin.step else {
        return next_page(&signin.step);
    };
    let asked = match state.op.read(&signin.interaction_id).await {
        Ok(asked) => asked,
        Err(failure) => return op_failure(&failure),
    };
    let html = pages::consent(&pages::ConsentView {
        name: &customer.name,
        client_name: asked.client.client_name.as_deref().unwrap_or(""),
        scopes: &asked.scopes,
        payments: &asked.payments,
        accounts: &asked.debtor_accounts,
        csrf: &signin.csrf,
    });
    page(state, StatusCode::OK, html, &asked.redirect_uri)
}

/// `POST /consent`: approve or deny; the browser goes to `return_to`.
pub async fn consent(state: &AppState, request: &Request<Bytes>) -> Response<Bytes> {
    let (session, signin, form) = match checked(state, request) {
        Ok(checked) => checked,
        Err(response) => return *response,
    };
    if !matches!(signin.step, Step::Consent(_)) {
        return next_page(&signin.step);
    }
    let approve = match form.get("decision") {
        Some("approve") => true,
        Some("deny") => false,
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "Not understood",
                "Choose Approve or Deny.",
            );
        }
    };
    let account = form.get("debtor_account").filter(|_| approve);
    match state.op.consent(&signin.interaction_id, approve, account).await {
        Ok(return_to) => {
            state.sessions.close(&session);
            let mut response = browser::see_other(&return_to);
            add_cookie(&mut response, &cookie("", 0));
            response
        }
        Err(failure) => op_failure(&failure),
    }
}

/// A page of a sign-in: the login pages' headers, with the OP's and the
/// client's origins in `form-action` (CSP3 §6.4.3; browsers apply it to
/// the redirects that answer a form, so the 303 to the OP's
/// `/interaction/return` and its 303 to `redirect_uri` must be allowed:
/// `login::headers`).
fn page(state: &AppState, status: StatusCode, html: String, redirect_uri: &str) -> Response<Bytes> {
    let policy = crate::login::headers::form_action_policy(&[&state.config.op_issuer, redirect_uri]);
    browser::page(status, html, Some(&policy))
}

/// Any other route.
pub fn not_found() -> Response<Bytes> {
    error(StatusCode::NOT_FOUND, "Not found", "There is no such page.")
}

/// The sign-in of the request's cookie.
fn signin(state: &AppState, request: &Request<Bytes>) -> Option<(String, SignIn)> {
    let id = browser::cookie(request.headers(), SESSION_COOKIE)?;
    let now = state.clock.now_unix();
    state.sessions.get(id, now).map(|s| (id.to_string(), s))
}

/// The sign-in and the form of a POST whose CSRF token is the sign-in's.
fn checked(
    state: &AppState,
    request: &Request<Bytes>,
) -> Result<(String, SignIn, Form), Box<Response<Bytes>>> {
    let (session, signin) = signin(state, request).ok_or_else(|| Box::new(expired()))?;
    let form = Form::parse(request.body()).map_err(|_| {
        Box::new(error(
            StatusCode::BAD_REQUEST,
            "Not understood",
            "The form could not be read.",
        ))
    })?;
    if !csrf::matches(&signin.csrf, form.get("csrf").unwrap_or("")) {
        return Err(Box::new(error(
            StatusCode::FORBIDDEN,
            "This form is not from this page",
            "Start again from the application.",
        )));
    }
    Ok((session, signin, form))
}

/// Counts a failure; past `max_failures` the sign-in ends with 429.
fn too_many(state: &AppState, session: &str) -> Option<Response<Bytes>> {
    if state.sessions.fail(session) < state.config.max_failures {
        return None;
    }
    state.sessions.close(session);
    Some(error(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many attempts",
        "This sign-in has ended. Start again from the application.",
    ))
}

/// The page of the step the customer is at.
fn next_page(step: &Step) -> Response<Bytes> {
    match step {
        Step::Password => error(
            StatusCode::CONFLICT,
            "Sign in first",
            "Start again from the application.",
        ),
        Step::Code(..) => browser::see_other(OTP_PATH),
        Step::Consent(_) => browser::see_other(CONSENT_PATH),
    }
}

/// A refusal or failure of the OP's interaction API, as a page.
fn op_failure(failure: &Failure) -> Response<Bytes> {
    match failure {
        Failure::Refused(404, _, _) => error(
            StatusCode::NOT_FOUND,
            "This sign-in has expired",
            "The link is unknown or too old. Start again from the application.",
        ),
        Failure::Refused(409, _, _) => error(
            StatusCode::CONFLICT,
            "Already done",
            "This sign-in was completed already. Start again from the application.",
        ),
        Failure::Refused(status, kind, detail) => {
            tracing::warn!(status, kind, detail, "sandbox login app: the OP refused a report");
            error(
                StatusCode::BAD_REQUEST,
                "The bank refused this step",
                "Start again from the application.",
            )
        }
        Failure::Unreachable(reason) => {
            tracing::warn!(reason, "sandbox login app: the OP could not be reached");
            error(
                StatusCode::BAD_GATEWAY,
                "Please try again",
                "The bank could not be reached.",
            )
        }
    }
}

fn expired() -> Response<Bytes> {
    error(
        StatusCode::FORBIDDEN,
        "Your sign-in expired",
        "Start again from the application.",
    )
}

fn error(status: StatusCode, title: &str, message: &str) -> Response<Bytes> {
    browser::page(status, pages::error(title, message), None)
}

fn add_cookie(response: &mut Response<Bytes>, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().append(http::header::SET_COOKIE, value);
    }
}
