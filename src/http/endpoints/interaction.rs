//! The built-in login and consent pages: `GET/POST /login`, `GET/POST
//! /consent`, addressed by the interaction id (`ix`) and bound to the
//! browser by the CSRF cookie set at `/authorize` (RFC 6749 §10.12). Every
//! POST checks the form's token against the interaction and the cookie.
//!
//! The consent decision ends at the client's redirect URI with `code` (or
//! `error=access_denied`), `state` and `iss` (RFC 6749 §4.1.2, RFC 9207 §2),
//! or all of them in one signed JWT when the request asked for JARM
//! (`oauth::authorization_response`).

use super::page_flow::{consent_url, gone, load, login_unavailable, second_factor_url};
use super::second_factor::AfterPassword;
use crate::consent::{Consent, debtor, intent};
use crate::http::browser;
use crate::login::throttle::{self, Admission, Attempt, Policy, Throttle};
use crate::login::{
    self, ConsentForm, ConsentView, Decision as ConsentDecision, DetailLine, IdentityView, LoginForm,
    LoginView,
};
use crate::model::authentication::{Authenticated, ConsentAnswer};
use crate::model::records::{Interaction, Stage};
use crate::oauth::authorization_response;
use crate::oauth::caller::Caller;
use crate::oauth::interaction::{self, InteractionError};
use crate::oauth::interaction_debtor;
use crate::oauth::op::OpState;
use crate::oauth::{claims_request, released_claims};
use crate::protocol::ekyc;
use crate::protocol::error::OAuthError;
use crate::protocol::form::Form;
use crate::protocol::rar::AuthorizationDetails;
use bytes::Bytes;
use http::{Request, Response, StatusCode};

/// One message for a wrong username and a wrong password.
/// One message for a wrong password, an unknown username and a disabled
/// account alike, so the page does not tell which.
const LOGIN_FAILED: &str = "The username or password is not right, or the account is not available.";
/// The answer while a username, address or interaction is locked.
const LOGIN_LOCKED: &str = "Too many attempts to sign in. Please wait and try again later.";

/// `GET /login`.
pub async fn login_get(op: &OpState, request: &Request<Bytes>, caller: &Caller) -> Response<Bytes> {
    match load(op, request, None).await {
        // A client whose login is the bank's OpenID Provider's
        // (`oauth::upstream`) has no password login here.
        Ok((_, ix)) if crate::oauth::upstream::for_client(op.config.get(), &ix.request.client_id) => {
            gone(&InteractionError::WrongStage, caller)
        }
        Ok((id, ix)) if ix.stage == Stage::Login => login_page(op, &id, &ix, None, None),
        Ok((id, ix)) if matches!(ix.stage, Stage::SecondFactor(_)) => {
            browser::see_other(&second_factor_url(op, &id))
        }
        Ok((id, _)) => browser::see_other(&consent_url(op, &id)),
        Err(e) => gone(&e, caller),
    }
}

/// `POST /login`.
pub async fn login_post(op: &OpState, request: &Request<Bytes>, caller: &Caller) -> Response<Bytes> {
    let form = match Form::parse(request.body()) {
        Ok(form) => form,
        Err(e) => return browser::error_page(StatusCode::BAD_REQUEST, &e, &caller.interaction_id),
    };
    let login = match LoginForm::parse(&form) {
        Ok(login) => login,
        Err(e) => {
            return browser::error_page(
                StatusCode::BAD_REQUEST,
                &OAuthError::invalid_request(e.user_message()),
                &caller.interaction_id,
            );
        }
    };
    let (id, ix) = match load(op, request, Some(&login.csrf)).await {
        Ok(found) => found,
        Err(e) => return gone(&e, caller),
    };
    if crate::oauth::upstream::for_client(op.config.get(), &ix.request.client_id) {
        return gone(&InteractionError::WrongStage, caller);
    }
    if matches!(ix.stage, Stage::SecondFactor(_)) {
        return browser::see_other(&second_factor_url(op, &id));
    }
    if ix.stage != Stage::Login {
        return browser::see_other(&consent_url(op, &id));
    }
    let now = op.now();
    let config = op.config.get();
    let throttle = Throttle::new(&op.services.repo, Policy::from(&config.login));
    let attempt = Attempt {
        account: login::normalize_username(&login.username).ok(),
        address: caller.client_addr,
        interaction: (id.clone(), config.login.interaction_ttl_secs),
    };
    // At most a few checks of one username at once on this node; then a
    // locked subject costs no hash and gets the same answer whether or not
    // the password is right.
    let at_once = config.login.max_failures_per_account;
    let gate = op.services.users.gate();
    let Ok(_turn) = gate.enter_login(attempt.account.as_deref(), at_once).await else {
        return login_unavailable("too many logins of one username at once", caller);
    };
    match throttle.admit(&attempt, now).await {
        Ok(Admission::Admitted) => {}
        Ok(Admission::Locked { retry_after }) => {
            throttle::record_refusal();
            return locked_page(op, &id, &ix, &login.username, retry_after);
        }
        Err(e) => return login_unavailable(&e.to_string(), caller),
    }
    match op
        .services
        .users
        .authenticate(&login.username, &login.password, now)
        .await
    {
        Ok(Some(user)) => {
            if let Err(error) = throttle.succeeded(&attempt, now).await {
                tracing::warn!(%error, "login attempt counters not cleared");
            }
            // The password login's report, as an interaction app reports
            // its own (OIDC Core §2; RFC 8176 `pwd`).
            let login = Authenticated {
                account_id: user.account_id.clone(),
                auth_time: now,
                acr: Some(crate::oauth::id_token::ACR_PASSWORD.to_string()),
                amr: vec!["pwd".to_string()],
                payment_link: None,
            };
            // PSD2 RTS Art. 4: a payment, or a request demanding SCA, goes
            // on to the second factor (`second_factor.rs`).
            match super::second_factor::after_password(op, (&id, &ix), &user, login.clone(), caller).await {
                AfterPassword::Consent => {}
                AfterPassword::SecondFactor => {
                    tracing::info!(target: "fiducia::audit", account_id = %user.account_id, client_id = %ix.request.client_id, "customer password accepted; second factor asked");
                    return browser::see_other(&second_factor_url(op, &id));
                }
                AfterPassword::Refused(response) => return response,
            }
            match op.services.sessions.logged_in(&id, login, now).await {
                Ok(()) => {
                    tracing::info!(target: "fiducia::audit", account_id = %user.account_id, client_id = %ix.request.client_id, "customer authenticated");
                    browser::see_other(&consent_url(op, &id))
                }
                Err(e) => gone(&e, caller),
            }
        }
        Ok(None) => {
            tracing::info!(target: "fiducia::audit", client_id = %ix.request.client_id, "customer authentication failed");
            let locked = throttle.failed(&attempt, now).await.unwrap_or_else(|error| {
                tracing::warn!(%error, "login failure not recorded");
                Vec::new()
            });
            let lockout = config.login.lockout_secs;
            throttle::record_failure(&attempt, &locked, &ix.request.client_id, lockout);
            login_page(op, &id, &ix, Some(LOGIN_FAILED), Some(&login.username))
        }
        // Not a guess: nothing was counted.
        Err(e) => login_unavailable(&e.to_string(), caller),
    }
}

/// The login page for a locked username, address or interaction: 429 with
/// `Retry-After` (RFC 6585 §4), the same whatever the password was.
fn locked_page(
    op: &OpState,
    id: &str,
    ix: &Interaction,
    username: &str,
    retry_after: u64,
) -> Response<Bytes> {
    let mut response = login_page(op, id, ix, Some(LOGIN_LOCKED), Some(username));
    *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    response
        .headers_mut()
        .insert(http::header::RETRY_AFTER, http::HeaderValue::from(retry_after));
    response
}

/// `GET /consent`.
pub async fn consent_get(op: &OpState, request: &Request<Bytes>, caller: &Caller) -> Response<Bytes> {
    let (id, ix) = match load(op, request, None).await {
        Ok(found) => found,
        Err(e) => return gone(&e, caller),
    };
    let Stage::Consent(Authenticated { account_id, .. }) = &ix.stage else {
        return gone(&InteractionError::WrongStage, caller);
    };
    let user = match op.services.users.find_by_account_id(account_id, op.now()).await {
        Ok(Some(user)) => user,
        _ => return gone(&InteractionError::Gone, caller),
    };
    let scopes = login::scope_lines(&ix.request.scopes);
    let claims = login::claim_lines(&user, &ix.request.scopes);
    // RFC 9396 §1: the customer sees exactly what is asked (the payment,
    // the account access) before approving it.
    let detail_lines = match ix
        .request
        .authorization_details
        .as_deref()
        .map(AuthorizationDetails::from_stored)
    {
        None => Vec::new(),
        Some(Ok(details)) => details.consent_lines(),
        Some(Err(e)) => {
            tracing::warn!(error = %e, "stored authorization_details do not parse");
            return gone(&InteractionError::Gone, caller);
        }
    };
    // UK OBIE: the payment or the account access the consent asks for, and
    // the accounts to pay from when the fintech left that open.
    let mut detail_lines = detail_lines;
    // Grant Management §5.2: a merge or replace of the customer's grant
    // says so first.
    let asker = crate::oauth::grant_management::apply::Asker {
        client_id: &ix.request.client_id,
        account_id,
    };
    let carry = &crate::oauth::grant_management::carry::shown_update;
    match carry(&op.services.repo, &id, asker, op.now()).await {
        Ok(Some(update)) => {
            let note = crate::oauth::grant_management::carry::consent_note(update);
            detail_lines.insert(0, note);
        }
        Ok(None) => {}
        Err(_) => return gone(&InteractionError::Gone, caller),
    }
    let mut choice_lines = Vec::new();
    if let Some(consent_id) = &ix.request.openbanking_intent_id {
        match op.services.repo.find::<Consent>(consent_id, op.now()).await {
            Ok(Some(found)) => {
                detail_lines.extend(intent::consent_lines(&found.payload));
                choice_lines = debtor::choices(&found.payload, &user.accounts)
                    .into_iter()
                    .map(|a| (debtor::label(a), a.identification.clone()))
                    .collect();
            }
            _ => return gone(&InteractionError::Gone, caller),
        }
    }
    let details: Vec<DetailLine<'_>> = detail_lines
        .iter()
        .map(|(label, value)| DetailLine { label, value })
        .collect();
    let debtor_choices: Vec<DetailLine<'_>> = choice_lines
        .iter()
        .map(|(label, value)| DetailLine { label, value })
        .collect();
    // OIDC Core §5.5 / Identity Assurance: the identity data asked for,
    // its values, how it must have been verified, and why.
    let claims_request =
        claims_request::stored(ix.request.claims.as_deref()).filter(claims_request::asks_end_user_claims);
    let summary = claims_request.as_ref().map(ekyc::summarize);
    let shared_values = claims_request
        .as_ref()
        .map(|r| released_claims::shared_lines(&user, r, op.now()))
        .unwrap_or_default();
    let shared: Vec<DetailLine<'_>> = shared_values
        .iter()
        .map(|(label, value)| DetailLine { label, value })
        .collect();
    let identity = summary.as_ref().map(|summary| IdentityView {
        summary,
        shared: &shared,
    });
    let html = login::consent_page(ConsentView {
        action_url: &consent_url(op, &id),
        csrf_token: &ix.csrf,
        client_name: &ix.client_name,
        scopes: &scopes,
        claims: &claims,
        details: &details,
        user_display_name: &user.name,
        debtor_choices: &debtor_choices,
        identity,
    });
    let csp = login::headers::consent_content_security_policy(&ix.request.redirect_uri);
    browser::page(StatusCode::OK, html, Some(&csp))
}

/// `POST /consent`: approve -> code; deny -> `access_denied`.
pub async fn consent_post(op: &OpState, request: &Request<Bytes>, caller: &Caller) -> Response<Bytes> {
    let form = match Form::parse(request.body()) {
        Ok(form) => form,
        Err(e) => return browser::error_page(StatusCode::BAD_REQUEST, &e, &caller.interaction_id),
    };
    let consent = match ConsentForm::parse(&form) {
        Ok(consent) => consent,
        Err(e) => {
            return browser::error_page(
                StatusCode::BAD_REQUEST,
                &OAuthError::invalid_request(e.user_message()),
                &caller.interaction_id,
            );
        }
    };
    let (id, ix) = match load(op, request, Some(&consent.csrf)).await {
        Ok(found) => found,
        Err(e) => return gone(&e, caller),
    };
    let approve = consent.decision == ConsentDecision::Approve;
    let Stage::Consent(login) = &ix.stage else {
        return gone(&InteractionError::WrongStage, caller);
    };
    let debtor = match approve {
        true => {
            match interaction_debtor::resolve(op, &ix.request, &login.account_id, form.get(debtor::FIELD))
                .await
            {
                Ok(Ok(debtor)) => debtor,
                Ok(Err(choice)) => {
                    let error = OAuthError::invalid_request(choice.to_string());
                    return browser::error_page(StatusCode::BAD_REQUEST, &error, &caller.interaction_id);
                }
                Err(e) => return gone(&e, caller),
            }
        }
        false => None,
    };
    // The page grants what was asked, or nothing.
    let answer = ConsentAnswer {
        approve,
        scopes: ix.request.scopes.clone(),
        claims: ix.request.claims.clone(),
        debtor_account: debtor.as_ref().map(|a| a.identification.clone()),
    };
    let lifetimes = interaction::Lifetimes::from_config(op.config.get(), &op.tokens());
    let location = match op
        .services
        .sessions
        .decide(&id, answer, debtor, lifetimes, op.now())
        .await
    {
        Ok(decision) => authorization_response::decision_location(op, &decision).await,
        // PSD2 RTS Art. 5(1)(d): the payment changed after its code; the
        // customer confirms the payment as it now is.
        Err(InteractionError::PaymentChanged) => {
            return browser::see_other(&second_factor_url(op, &id));
        }
        Err(e) => return gone(&e, caller),
    };
    match location {
        Ok(location) => browser::see_other(&location),
        Err(e) => browser::oauth_error_page(&e, &caller.interaction_id),
    }
}

fn login_page(
    op: &OpState,
    id: &str,
    ix: &Interaction,
    error: Option<&str>,
    username: Option<&str>,
) -> Response<Bytes> {
    let html = login::login_page(LoginView {
        action_url: &login_url(op, id),
        csrf_token: &ix.csrf,
        client_name: &ix.client_name,
        error,
        username,
    });
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    browser::page(status, html, None)
}

fn login_url(op: &OpState, id: &str) -> String {
    format!(
        "{}{}?ix={id}",
        op.config.issuer_path(),
        crate::protocol::paths::LOGIN
    )
}
