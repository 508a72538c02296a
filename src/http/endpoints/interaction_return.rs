//! `GET /interaction/return?interaction_id=...`: where the bank's
//! interaction app sends the browser once it reported the consent (issue
//! 25). The interaction finishes here only for the browser that was sent
//! to the app: its cookie (`oauth::interaction_app::BROWSER_COOKIE`) must
//! hash to what the interaction keeps. Then the code goes to the client in
//! the request's response mode, or `access_denied`, or
//! `unmet_authentication_requirements` for an essential `acr` not reached
//! (`oauth::authorization_response::decision_location`). An unknown,
//! expired or already finished interaction, a missing or another
//! browser's cookie get the error page and no code: nothing about the
//! redirect can be trusted to that browser (RFC 6749 §4.1.2.1, §10.12).

use crate::http::browser;
use crate::model::records::Stage;
use crate::oauth::authorization_response;
use crate::oauth::caller::Caller;
use crate::oauth::interaction::{self, InteractionError, Runner};
use crate::oauth::interaction_app::{BROWSER_COOKIE, ID_PARAM};
use crate::oauth::op::OpState;
use crate::protocol::error::OAuthError;
use bytes::Bytes;
use http::{Request, Response, StatusCode};

/// The browser comes back from the interaction app.
pub async fn get(op: &OpState, request: &Request<Bytes>, caller: &Caller) -> Response<Bytes> {
    let page = |status: StatusCode, message: &str| {
        browser::error_page(
            status,
            &OAuthError::invalid_request(message.to_string()),
            &caller.interaction_id,
        )
    };
    let Some(id) = browser::query(request.uri())
        .ok()
        .and_then(|q| q.get(ID_PARAM).map(str::to_string))
    else {
        return page(
            StatusCode::BAD_REQUEST,
            "this authorization request has expired or does not exist",
        );
    };
    let now = op.now();
    let ix = match interaction::load(&op.services.repo, &id, now).await {
        Ok(ix) => ix,
        Err(e) => return failed(&e, caller),
    };
    let (Some(app), Some(binding)) = (ix.app.as_deref(), ix.browser.as_deref()) else {
        return failed(&InteractionError::Gone, caller);
    };
    // RFC 6265bis §4.1.3.2: the `__Host-` cookie set with the redirect to
    // the app; only its hash is kept, so compare hashes.
    let presented = browser::cookie(request.headers(), BROWSER_COOKIE).map(interaction::browser_hash);
    if presented.as_deref() != Some(binding) {
        tracing::warn!(target: "fiducia::audit", client_id = %ix.request.client_id, interaction_app = %app, "interaction return from a browser without its cookie");
        return page(
            StatusCode::FORBIDDEN,
            "this browser did not start this authorization request; start again from the application",
        );
    }
    if ix.stage == Stage::Done {
        return failed(&InteractionError::Used, caller);
    }
    // The debtor account the app chose, resolved as the consent page's.
    let debtor = match &ix.stage {
        Stage::Decided(login, answer) if answer.approve => {
            let choice = answer.debtor_account.as_deref();
            match crate::oauth::interaction_debtor::resolve(op, &ix.request, &login.account_id, choice).await
            {
                Ok(Ok(debtor)) => debtor,
                Ok(Err(problem)) => return page(StatusCode::BAD_REQUEST, &problem.to_string()),
                Err(e) => return failed(&e, caller),
            }
        }
        _ => None,
    };
    let lifetimes = interaction::Lifetimes::from_config(op.config.get(), &op.tokens());
    let decision =
        match interaction::finish(&op.services.repo, &id, Runner::App(app), debtor, lifetimes, now).await {
            Ok(decision) => decision,
            Err(e) => return failed(&e, caller),
        };
    match authorization_response::decision_location(op, &decision).await {
        Ok(location) => {
            let mut response = browser::see_other(&location);
            // The cookie has served its one use.
            browser::set_cookie(&mut response, BROWSER_COOKIE, "", 0);
            response
        }
        Err(e) => browser::oauth_error_page(&e, &caller.interaction_id),
    }
}

fn failed(error: &InteractionError, caller: &Caller) -> Response<Bytes> {
    let status = match error {
        InteractionError::Store(_) | InteractionError::Random(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    let message = match error {
        InteractionError::WrongStage => {
            "the login and consent of this authorization request are not finished".to_string()
        }
        other => other.to_string(),
    };
    browser::error_page(
        status,
        &OAuthError::invalid_request(message),
        &caller.interaction_id,
    )
}
