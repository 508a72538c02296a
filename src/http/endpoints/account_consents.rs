//! The customer's consent dashboard: `GET /account/consents` (the sign-in
//! page, the code page, or the customer's grants), `POST
//! /account/consents/revoke` (`grant_id`, `csrf`: a confirmation page;
//! with `confirm=yes`: the revocation) and `POST /account/sign-out`
//! (`csrf`). Every POST carries the session's CSRF token (RFC 6749
//! §10.12; OWASP CSRF Prevention Cheat Sheet, synchronizer token): missing
//! or wrong is 403 and nothing changes. A grant id that is not one of the
//! signed-in customer's grants is 404, whoever's it is.
//!
//! Revoking goes through `oauth::customer_grants::revoke`: the grant's
//! tokens are dead when the answer comes back, an OBIE consent it was made
//! on is `Revoked`, and the audit trail names the customer.

use super::account_page::{self, Urls, clear_session_cookie, forged, no_such_grant, unavailable};
use super::account_sign_in::{code_page, signed_out};
use crate::http::browser;
use crate::login::account_pages::{self, DashboardView, GrantCard};
use crate::login::csrf;
use crate::login::detail::DetailLine;
use crate::model::account_session::AccountSessionStage;
use crate::oauth::account_session::{self, Named};
use crate::oauth::caller::Caller;
use crate::oauth::customer_grants::{self, Channel, GrantSummary, RevokeError};
use crate::oauth::op::OpState;
use bytes::Bytes;
use http::{Request, Response, StatusCode};

/// The query that asks for the notice after a revocation.
const REVOKED_QUERY: &str = "revoked=1";

/// `GET /account/consents`.
pub async fn get(op: &OpState, request: &Request<Bytes>, _caller: &Caller) -> Response<Bytes> {
    let session = match account_page::session(op, request).await {
        Ok(Some(session)) => session,
        Ok(None) => return account_page::sign_in_page(op, request, StatusCode::OK, (None, None)),
        Err(refused) => return refused,
    };
    if session.session.stage == AccountSessionStage::AwaitingCode {
        return code_page(op, &session, None, StatusCode::OK);
    }
    let now = op.now();
    let user = match op
        .services
        .users
        .find_by_account_id(&session.session.account_id, now)
        .await
    {
        Ok(Some(user)) => user,
        Ok(None) => return signed_out(op, request, &session).await,
        Err(e) => return unavailable(&e.to_string()),
    };
    let listing = match customer_grants::list(op, &user.account_id, now).await {
        Ok(listing) => listing,
        Err(e) => return unavailable(&e.to_string()),
    };
    let texts: Vec<Vec<(&'static str, String)>> = listing.grants.iter().map(|g| lines(g, now)).collect();
    let cards: Vec<GrantCard<'_>> = listing
        .grants
        .iter()
        .zip(&texts)
        .map(|(grant, text)| card(grant, text))
        .collect();
    let revoked = request.uri().query() == Some(REVOKED_QUERY);
    let urls = Urls::of(op);
    let html = account_pages::dashboard_page(&DashboardView {
        urls: urls.view(),
        csrf: &session.session.csrf,
        customer_name: &user.name,
        grants: &cards,
        more: listing.more,
        notice: revoked.then_some("Access revoked. The app can no longer use it."),
    });
    browser::page(StatusCode::OK, html, None)
}

/// `POST /account/consents/revoke`.
pub async fn revoke(op: &OpState, request: &Request<Bytes>, caller: &Caller) -> Response<Bytes> {
    let form = match account_page::form(request, caller) {
        Ok(form) => form,
        Err(refused) => return *refused,
    };
    let Some(session) = signed_in(op, request).await else {
        return browser::see_other(Urls::of(op).dashboard());
    };
    let session = match session {
        Ok(session) => session,
        Err(refused) => return refused,
    };
    if !csrf::matches(&session.session.csrf, form.get("csrf").unwrap_or("")) {
        return forged(caller);
    }
    let account_id = session.session.account_id.as_str();
    let grant_id = form.get("grant_id").unwrap_or("");
    let now = op.now();
    if form.get("confirm") == Some("yes") {
        return match customer_grants::revoke(op, account_id, grant_id, Channel::Dashboard, now).await {
            Ok(_) => {
                let location = format!("{}?{REVOKED_QUERY}", Urls::of(op).dashboard());
                browser::see_other(&location)
            }
            Err(RevokeError::NotFound) => no_such_grant(caller),
            Err(RevokeError::Unavailable) => unavailable("grant revocation failed"),
        };
    }
    // First the confirmation, with what is about to go.
    let listing = match customer_grants::list(op, account_id, now).await {
        Ok(listing) => listing,
        Err(e) => return unavailable(&e.to_string()),
    };
    let Some(grant) = listing.grants.iter().find(|g| g.grant_id == grant_id) else {
        return no_such_grant(caller);
    };
    let text = lines(grant, now);
    let urls = Urls::of(op);
    let html = account_pages::confirm_page(urls.view(), &session.session.csrf, &card(grant, &text));
    browser::page(StatusCode::OK, html, None)
}

/// `POST /account/sign-out`.
pub async fn sign_out(op: &OpState, request: &Request<Bytes>, caller: &Caller) -> Response<Bytes> {
    let form = match account_page::form(request, caller) {
        Ok(form) => form,
        Err(refused) => return *refused,
    };
    let session = match account_page::session(op, request).await {
        Ok(Some(session)) => session,
        Ok(None) => return browser::see_other(Urls::of(op).dashboard()),
        Err(refused) => return refused,
    };
    if !csrf::matches(&session.session.csrf, form.get("csrf").unwrap_or("")) {
        return forged(caller);
    }
    if let Err(e) = account_session::end(&op.services.repo, &session.token).await {
        return unavailable(&e.to_string());
    }
    tracing::info!(target: "fiducia::audit", account_id = %session.session.account_id, "consent dashboard sign-out");
    let urls = Urls::of(op);
    let mut response = browser::page(StatusCode::OK, account_pages::signed_out_page(urls.view()), None);
    clear_session_cookie(&mut response);
    response
}

/// The signed-in session of the request: `None` without one (or one still
/// awaiting its code).
async fn signed_in(op: &OpState, request: &Request<Bytes>) -> Option<Result<Named, Response<Bytes>>> {
    match account_page::session(op, request).await {
        Ok(Some(session)) if session.session.stage == AccountSessionStage::SignedIn => Some(Ok(session)),
        Ok(_) => None,
        Err(refused) => Some(Err(refused)),
    }
}

/// A grant's lines in words: what was consented to, the consent's status,
/// and the times.
fn lines(grant: &GrantSummary, now: u64) -> Vec<(&'static str, String)> {
    let mut out = grant.details.clone();
    if !grant.accounts.is_empty() {
        out.push(("Accounts", grant.accounts.join(", ")));
    }
    if let Some(consent) = &grant.consent {
        out.push(("Consent", format!("{} ({})", consent.consent_id, consent.status)));
    }
    out.push(("Granted", when(grant.granted_at)));
    out.push((
        "Expires",
        grant.expires_at.map_or_else(|| "Never".to_string(), when),
    ));
    out.push((
        "Last used",
        grant
            .last_used_at
            .map_or_else(|| "Not since its tokens expired".to_string(), |at| ago(at, now)),
    ));
    out
}

fn card<'a>(grant: &'a GrantSummary, text: &'a [(&'static str, String)]) -> GrantCard<'a> {
    GrantCard {
        grant_id: &grant.grant_id,
        client_name: &grant.client_name,
        scopes: &grant.scopes,
        lines: text
            .iter()
            .map(|(label, value)| DetailLine { label, value })
            .collect(),
    }
}

/// Unix seconds as `2026-12-07 18:46 UTC`.
fn when(at: u64) -> String {
    i64::try_from(at)
        .ok()
        .and_then(|at| time::OffsetDateTime::from_unix_timestamp(at).ok())
        .map(|t| {
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02} UTC",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute()
            )
        })
        .unwrap_or_else(|| at.to_string())
}

/// The newest token's issue time, with how long ago.
fn ago(at: u64, now: u64) -> String {
    let minutes = now.saturating_sub(at) / 60;
    let how_long = match minutes {
        0 => "just now".to_string(),
        1 => "1 minute ago".to_string(),
        m if m < 120 => format!("{m} minutes ago"),
        m => format!("{} hours ago", m / 60),
    };
    format!("{} ({how_long})", when(at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_dates_and_ages() {
        assert_eq!(when(0), "1970-01-01 00:00 UTC");
        assert_eq!(ago(60, 60), "1970-01-01 00:01 UTC (just now)");
        assert_eq!(ago(0, 3 * 3600), "1970-01-01 00:00 UTC (3 hours ago)");
    }
}
