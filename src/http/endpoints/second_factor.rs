//! The built-in login's second factor: `GET/POST /login/otp?ix=`, between
//! the password and the consent when the request needs strong customer
//! authentication (`oauth::sca`: PSD2 RTS Art. 4; a payment, or
//! `urn:openbanking:psd2:sca` demanded). Bound to the browser like the
//! other pages (the CSRF cookie and form token, RFC 6749 §10.12).
//!
//! - The page shows the payment's amount, currency and payee (RTS Art.
//!   5(1)(a)); the accepted code's report carries their digest
//!   (`protocol::payment_link`), checked again when the consent is
//!   authorised (`interaction::finish`).
//! - A code is checked with a ±1 step window and works once per customer
//!   (RFC 6238 §5.2, `sca::check_code`). A wrong and a reused code get the
//!   same answer and both count towards the lock-out: `[login.totp]
//!   max_failures` consecutive ones lock the factor for `lockout_secs`
//!   (`login::throttle`, in the store: every node), with an audit record
//!   (`second_factor_locked`) and `fiducia_second_factor_lockouts_total`.
//!   A locked factor is refused (429 + `Retry-After`, RFC 6585 §4) without
//!   checking the code, right or wrong, and the page says only that. At
//!   most `max_failures` codes of one customer are checked at once per
//!   node (`throttle::AccountGate`), so a parallel burst cannot outrun
//!   the count.
//! - A customer without an enrolled factor asked for SCA ends the request
//!   with `unmet_authentication_requirements` at the client (OpenID
//!   Connect Core Error Code 1.0), never a password-only login.

use super::page_flow::{consent_url, gone, load, login_unavailable, second_factor_url};
use crate::http::browser;
use crate::login::second_factor_page::CODE_FIELD;
use crate::login::throttle::{self, Admission, Policy, Throttle};
use crate::login::{self, DetailLine, SecondFactorView, UserRecord};
use crate::model::authentication::Authenticated;
use crate::model::records::{Interaction, Stage};
use crate::oauth::authorization_response;
use crate::oauth::caller::Caller;
use crate::oauth::id_token::ACR_SCA;
use crate::oauth::interaction::{self, InteractionError};
use crate::oauth::op::OpState;
use crate::oauth::sca::{self, CodeCheck, Requirement};
use crate::protocol::error::OAuthError;
use crate::protocol::form::Form;
use crate::protocol::payment_link::{self, PaymentTerms};
use bytes::Bytes;
use http::{Request, Response, StatusCode};

/// One message for a wrong and a reused code.
const CODE_REFUSED: &str = "That code is not right. Enter the code your authenticator app shows now.";
/// The answer while the factor is locked: no more than that.
const FACTOR_LOCKED: &str =
    "Too many wrong codes. Confirming with a code is locked for a while; try again later.";

/// Where the password login goes next.
pub(super) enum AfterPassword {
    /// The password is enough: report the login, on to the consent.
    Consent,
    /// On to the second-factor page (the interaction waits there).
    SecondFactor,
    /// The request needs SCA the customer cannot give: this response
    /// (the client's redirect with the error, or an error page).
    Refused(Response<Bytes>),
}

/// Decides, after a right password, whether interaction `id` needs the
/// second factor of `user` (`oauth::sca::requirement`), and moves it to
/// the second-factor stage when it does.
pub(super) async fn after_password(
    op: &OpState,
    (id, ix): (&str, &Interaction),
    user: &UserRecord,
    password: Authenticated,
    caller: &Caller,
) -> AfterPassword {
    let now = op.now();
    let repo = &op.services.repo;
    let terms = match sca::payment_terms(repo, &ix.request, now).await {
        Ok(terms) => terms,
        Err(e) => return AfterPassword::Refused(login_unavailable(&e.to_string(), caller)),
    };
    let payments_need_sca = !op.config.get().login.totp.danger_payments_without_sca;
    let requirement = sca::requirement(&ix.request, !terms.is_empty(), payments_need_sca);
    match (requirement, user.totp.is_some()) {
        (Requirement::Password, _) | (Requirement::Preferred, false) => AfterPassword::Consent,
        (Requirement::Required | Requirement::Preferred, true) => {
            match interaction::await_second_factor(repo, id, password, now).await {
                Ok(()) => AfterPassword::SecondFactor,
                Err(e) => AfterPassword::Refused(gone(&e, caller)),
            }
        }
        (Requirement::Required, false) => {
            tracing::info!(target: "fiducia::audit", account_id = %user.account_id, client_id = %ix.request.client_id, "strong customer authentication required and no second factor enrolled");
            AfterPassword::Refused(unmet(op, id, caller).await)
        }
    }
}

/// Ends interaction `id` with `unmet_authentication_requirements` at the
/// client's redirect URI (OpenID Connect Core Error Code 1.0; OIDC Core
/// §5.5.1.1: the authentication the request needs was not performed).
async fn unmet(op: &OpState, id: &str, caller: &Caller) -> Response<Bytes> {
    let request = match interaction::abandon(&op.services.repo, id, op.now()).await {
        Ok(request) => request,
        Err(e) => return gone(&e, caller),
    };
    let params = [
        ("error", "unmet_authentication_requirements"),
        (
            "error_description",
            "strong customer authentication (urn:openbanking:psd2:sca) could not be performed",
        ),
    ];
    match authorization_response::redirect_location(op, &request, &params).await {
        Ok(location) => browser::see_other(&location),
        Err(e) => browser::error_page(StatusCode::SERVICE_UNAVAILABLE, &e, &caller.interaction_id),
    }
}

/// `GET /login/otp`.
pub async fn get(op: &OpState, request: &Request<Bytes>, caller: &Caller) -> Response<Bytes> {
    let (id, ix) = match load(op, request, None).await {
        Ok(found) => found,
        Err(e) => return gone(&e, caller),
    };
    match &ix.stage {
        Stage::SecondFactor(_) => page(op, (&id, &ix), None, StatusCode::OK).await,
        Stage::Consent(_) => browser::see_other(&consent_url(op, &id)),
        _ => gone(&InteractionError::WrongStage, caller),
    }
}

/// `POST /login/otp`: `otp` and `csrf`.
pub async fn post(op: &OpState, request: &Request<Bytes>, caller: &Caller) -> Response<Bytes> {
    let form = match Form::parse(request.body()) {
        Ok(form) => form,
        Err(e) => return browser::error_page(StatusCode::BAD_REQUEST, &e, &caller.interaction_id),
    };
    let csrf = form.get("csrf").unwrap_or("");
    if csrf.is_empty() {
        return gone(&InteractionError::WrongStage, caller);
    }
    let (id, ix) = match load(op, request, Some(csrf)).await {
        Ok(found) => found,
        Err(e) => return gone(&e, caller),
    };
    let password = match &ix.stage {
        Stage::SecondFactor(password) => password.clone(),
        Stage::Consent(_) => return browser::see_other(&consent_url(op, &id)),
        _ => return gone(&InteractionError::WrongStage, caller),
    };
    let now = op.now();
    let config = op.config.get();
    let account_id = password.account_id.as_str();
    let user = match op.services.users.find_by_account_id(account_id, now).await {
        Ok(Some(user)) => user,
        Ok(None) => return gone(&InteractionError::Gone, caller),
        Err(e) => return login_unavailable(&e.to_string(), caller),
    };
    // Removed since the password step: the request cannot be met.
    let Some(factor) = &user.totp else {
        return unmet(op, &id, caller).await;
    };
    // Codes in flight are bounded per node as passwords are
    // (`throttle::AccountGate`): at most `max_failures` checks of one
    // customer's factor at once, the rest wait their turn and are then
    // admitted against the failures counted meanwhile. The key holds NULs,
    // which no username can.
    let gate_key = format!("\u{0}second-factor\u{0}{account_id}");
    let at_once = config.login.totp.max_failures;
    let Some(_turn) = op
        .services
        .users
        .gate()
        .enter(&gate_key, at_once, throttle::GATE_WAIT)
        .await
    else {
        return login_unavailable("too many codes of one customer at once", caller);
    };
    let throttle = Throttle::new(&op.services.repo, Policy::second_factor(&config.login));
    match throttle.admit_second_factor(account_id, now).await {
        Ok(Admission::Admitted) => {}
        Ok(Admission::Locked { retry_after }) => {
            metrics::counter!("fiducia_second_factor_throttled_total").increment(1);
            return locked(op, (&id, &ix), retry_after).await;
        }
        Err(e) => return login_unavailable(&e.to_string(), caller),
    }
    let code = form.get(CODE_FIELD).unwrap_or("");
    let checked = match sca::check_code(&op.services.repo, account_id, factor, code, now).await {
        Ok(checked) => checked,
        Err(e) => return login_unavailable(&e.to_string(), caller),
    };
    if checked != CodeCheck::Accepted {
        return refused(op, (&id, &ix), account_id, checked, caller).await;
    }
    if let Err(error) = throttle.second_factor_succeeded(account_id, now).await {
        tracing::warn!(%error, "second-factor failure counter not cleared");
    }
    // RTS Art. 5(1)(b): the authentication is specific to this payment.
    let terms = match sca::payment_terms(&op.services.repo, &ix.request, now).await {
        Ok(terms) => terms,
        Err(e) => return login_unavailable(&e.to_string(), caller),
    };
    let strong = Authenticated {
        account_id: password.account_id.clone(),
        auth_time: now,
        acr: Some(ACR_SCA.to_string()),
        amr: sca::AMR_SCA.iter().map(|m| m.to_string()).collect(),
        payment_link: payment_link::link(&terms),
    };
    match interaction::report_second_factor(&op.services.repo, &id, strong, now).await {
        Ok(()) => {
            metrics::counter!("fiducia_second_factor_successes_total").increment(1);
            tracing::info!(target: "fiducia::audit", account_id = %account_id, client_id = %ix.request.client_id, payment_linked = !terms.is_empty(), "customer strongly authenticated");
            browser::see_other(&consent_url(op, &id))
        }
        Err(e) => gone(&e, caller),
    }
}

/// A wrong or reused code: counted; the page again (401), or locked (429)
/// when this failure reached the limit, with the audit record.
async fn refused(
    op: &OpState,
    (id, ix): (&str, &Interaction),
    account_id: &str,
    checked: CodeCheck,
    caller: &Caller,
) -> Response<Bytes> {
    let now = op.now();
    let totp = &op.config.get().login.totp;
    let reason = match checked {
        CodeCheck::Replayed => "replayed",
        _ => "wrong",
    };
    metrics::counter!("fiducia_second_factor_failures_total", "reason" => reason).increment(1);
    tracing::info!(target: "fiducia::audit", account_id = %account_id, client_id = %ix.request.client_id, reason, "second factor refused");
    let throttle = Throttle::new(&op.services.repo, Policy::second_factor(&op.config.get().login));
    // The audit record is written with the lock, in its transaction.
    let event = sca::lockout_event(account_id, totp.lockout_secs);
    let locked_now = match throttle.second_factor_failed(account_id, &event, now).await {
        Ok(locked) => locked,
        Err(e) => return login_unavailable(&e.to_string(), caller),
    };
    if !locked_now {
        return page(op, (id, ix), Some(CODE_REFUSED), StatusCode::UNAUTHORIZED).await;
    }
    metrics::counter!("fiducia_second_factor_lockouts_total").increment(1);
    tracing::warn!(target: "fiducia::audit", operation = "second_factor.lockout", account_id = %account_id, client_id = %ix.request.client_id, lockout_secs = totp.lockout_secs, "too many wrong codes: second factor locked");
    locked(op, (id, ix), totp.lockout_secs).await
}

/// 429 + `Retry-After` (RFC 6585 §4): the factor is locked.
async fn locked(op: &OpState, at: (&str, &Interaction), retry_after: u64) -> Response<Bytes> {
    let mut response = page(op, at, Some(FACTOR_LOCKED), StatusCode::TOO_MANY_REQUESTS).await;
    response
        .headers_mut()
        .insert(http::header::RETRY_AFTER, http::HeaderValue::from(retry_after));
    response
}

/// The second-factor page with the payment it confirms (RTS Art. 5(1)(a)).
async fn page(
    op: &OpState,
    (id, ix): (&str, &Interaction),
    error: Option<&str>,
    status: StatusCode,
) -> Response<Bytes> {
    let terms: Vec<PaymentTerms> = match sca::payment_terms(&op.services.repo, &ix.request, op.now()).await {
        Ok(terms) => terms,
        Err(e) => {
            let error = OAuthError::new(
                crate::protocol::error::ErrorCode::TemporarilyUnavailable,
                e.to_string(),
            );
            return browser::error_page(StatusCode::SERVICE_UNAVAILABLE, &error, "");
        }
    };
    let lines: Vec<(&'static str, String)> = terms.iter().flat_map(PaymentTerms::lines).collect();
    let payment: Vec<DetailLine<'_>> = lines
        .iter()
        .map(|(label, value)| DetailLine { label, value })
        .collect();
    let html = login::second_factor_page(SecondFactorView {
        action_url: &second_factor_url(op, id),
        csrf_token: &ix.csrf,
        client_name: &ix.client_name,
        payment: &payment,
        error,
    });
    browser::page(status, html, None)
}
