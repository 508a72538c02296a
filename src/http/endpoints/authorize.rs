//! `GET /authorize` (RFC 6749 §4.1.1, RFC 9126 §4, FAPI 2.0 §5.3.2.2).
//!
//! PAR is the way in: the request carries `client_id` and `request_uri`
//! and nothing else is looked at. The pushed request is consumed (single
//! use, RFC 9126 §4), an interaction is stored, the browser gets the CSRF
//! cookie that binds it to the interaction, and is sent to the login page.
//! Problems here never go to the redirect URI: the error page answers
//! (RFC 6749 §4.1.2.1), since nothing about the redirect is verified yet.
//!
//! A FAPI 1.0 Advanced client may instead send its signed request object
//! by value in `request` (RFC 9101 §5.1, FAPI 1.0 Part 2 §5.2.2-1) when
//! `[fapi] require_pushed_authorization_requests` is off: it is verified
//! and checked exactly as at PAR (`oauth::request_object`,
//! `oauth::authorization_request`), stored as a pushed request would be,
//! and consumed at once by the same interaction start.
//!
//! A request with `prompt=none` starts no interaction: Fiducia keeps no
//! login session, so the client gets `login_required` at once (OIDC Core
//! §3.1.2.6, `login_required`), before any page or app.
//!
//! A client whose interactions go to the bank's own app (`[login]
//! interaction_app`, the client's `interaction_app`) is sent there instead
//! of the login page, with the interaction id and a cookie binding the
//! interaction to this browser (`oauth::interaction_app`). A client whose
//! login goes to the bank's own OpenID Provider (`interaction_app =
//! "upstream"`, `oauth::upstream`) is sent there, through PAR when the
//! provider offers it.

use crate::config::FapiProfile;
use crate::http::browser;
use crate::model::Client;
use crate::oauth::caller::Caller;
use crate::oauth::interaction::{self, PushedRefusal, Runner};
use crate::oauth::op::OpState;
use crate::oauth::replay::OneTimeUses;
use crate::oauth::{authorization_request, request_object};
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::form::Form;
use bytes::Bytes;
use http::{Request, Response, StatusCode};

/// Prefix of the `request_uri`s the PAR endpoint hands out (RFC 9126 §2.2).
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// Handles the authorization request.
pub async fn get(op: &OpState, request: &Request<Bytes>, caller: &Caller) -> Response<Bytes> {
    match start(op, request).await {
        Ok(response) => response,
        Err((status, error)) => browser::error_page(status, &error, &caller.interaction_id),
    }
}

async fn start(op: &OpState, request: &Request<Bytes>) -> Result<Response<Bytes>, (StatusCode, OAuthError)> {
    let bad = |e: OAuthError| (StatusCode::BAD_REQUEST, e);
    let query = browser::query(request.uri()).map_err(bad)?;
    let client_id = query.require("client_id").map_err(bad)?;
    let by_value;
    let reference = match (query.get("request_uri"), query.get("request")) {
        (Some(_), Some(_)) => {
            return Err(bad(OAuthError::invalid_request(
                "send request or request_uri, not both (RFC 9101 §5)",
            )));
        }
        (Some(request_uri), None) => request_uri.strip_prefix(REQUEST_URI_PREFIX).ok_or_else(|| {
            bad(OAuthError::new(
                ErrorCode::InvalidRequestUri,
                "this request_uri was not issued by this server",
            ))
        })?,
        (None, Some(_)) => {
            by_value = request_by_value(op, &query, client_id).await.map_err(|e| {
                let status = StatusCode::from_u16(e.code.row().status).unwrap_or(StatusCode::BAD_REQUEST);
                (status, e)
            })?;
            by_value.as_str()
        }
        (None, None) => {
            return Err(bad(OAuthError::invalid_request(
                "authorization requests must be pushed first: send them to the pushed_authorization_request_endpoint (FAPI 2.0 §5.3.2.2, RFC 9126)",
            )));
        }
    };
    let now = op.now();
    let client_name = match op.services.clients.get(client_id).await {
        Some(client) => client.client_name.clone(),
        None => return Err(bad(OAuthError::new(ErrorCode::InvalidRequest, "unknown client"))),
    };
    // Issue 25: the client's interactions may be handed to the bank's
    // own login and consent app (`oauth::interaction_app`).
    // The resource servers this node runs now (`oauth/live_sections`).
    let servers = op
        .services
        .sections
        .get::<crate::oauth::live_sections::ResourceServers>();
    let app = crate::oauth::interaction_app::for_client(op.config.get(), &servers, client_id);
    // Or its login delegated to the bank's OpenID Provider
    // (`oauth::upstream`): the built-in runner, whose consent page follows.
    let upstream = match crate::oauth::upstream::for_client(op.config.get(), client_id) {
        true => op.services.upstream.as_deref(),
        false => None,
    };
    let (runner, ttl) = match app {
        Some(app) => (
            Runner::App(&app.id),
            op.config.get().login.interaction_app_ttl_secs,
        ),
        None => (Runner::BuiltIn, op.config.get().login.interaction_ttl_secs),
    };
    // RFC 9126 §4: request_uris are one-time use; consumed in the
    // transaction that stores the interaction.
    let started = interaction::start(
        &op.services.repo,
        reference,
        (client_id, &client_name),
        (runner, ttl),
        now,
    )
    .await;
    let started = match started {
        Ok(Ok(started)) => started,
        Ok(Err(PushedRefusal::LoginRequired(request))) => return login_required(op, &request).await,
        Ok(Err(refusal)) => {
            let description = match refusal {
                PushedRefusal::Used => "this request_uri has already been used (RFC 9126 §4)",
                PushedRefusal::Unknown | PushedRefusal::LoginRequired(_) => "unknown or expired request_uri",
                PushedRefusal::OtherClient => "the request_uri was pushed by another client (RFC 9126 §4)",
            };
            return Err(bad(OAuthError::new(ErrorCode::InvalidRequestUri, description)));
        }
        Err(e) => {
            tracing::warn!(error = %e, "store failed at /authorize");
            return Err((StatusCode::SERVICE_UNAVAILABLE, OAuthError::from(e)));
        }
    };
    if let Some(app) = app {
        // The browser goes to the app with the interaction id, carrying the
        // cookie that binds the interaction to it (RFC 6265bis §4.1.3.2).
        let url = crate::oauth::interaction_app::login_url(app, &started.id);
        let mut response = browser::see_other(&url);
        let cookie = crate::oauth::interaction_app::BROWSER_COOKIE;
        browser::set_cookie(&mut response, cookie, &started.browser_secret, ttl);
        tracing::info!(target: "fiducia::audit", client_id, interaction_app = %app.id, "authorization handed to the interaction app");
        return Ok(response);
    }
    if let Some(upstream) = upstream {
        return upstream_login(op, upstream, &started, ttl).await;
    }
    let login = format!(
        "{}{}?ix={}",
        op.config.issuer_path(),
        crate::protocol::paths::LOGIN,
        started.id
    );
    let mut response = browser::see_other(&login);
    browser::set_cookie(
        &mut response,
        crate::login::csrf::COOKIE_NAME,
        &started.browser_secret,
        ttl,
    );
    Ok(response)
}

/// Sends the browser to the upstream OpenID Provider
/// (`oauth::upstream::begin`) with two cookies: the built-in pages' CSRF
/// cookie (the consent page follows) and the `__Host-` cookie that binds
/// the pending upstream login to this browser. Its failure ends the
/// interaction with an error page, nothing sent to the client.
async fn upstream_login(
    op: &OpState,
    upstream: &crate::oauth::upstream::provider::Upstream,
    started: &interaction::Started,
    ttl: u64,
) -> Result<Response<Bytes>, (StatusCode, OAuthError)> {
    let now = op.now();
    let ix = interaction::load(&op.services.repo, &started.id, now)
        .await
        .map_err(|e| (StatusCode::SERVICE_UNAVAILABLE, OAuthError::from(e)))?;
    let sent = match crate::oauth::upstream::begin::begin(op, upstream, &started.id, &ix.request, now).await {
        Ok(sent) => sent,
        Err(e) => {
            if let Err(error) = interaction::abandon(&op.services.repo, &started.id, now).await {
                tracing::warn!(%error, "interaction not ended after the upstream login failed to start");
            }
            let status = StatusCode::from_u16(e.code.row().status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            return Err((status, e));
        }
    };
    let mut response = browser::see_other(&sent.location);
    browser::set_cookie(
        &mut response,
        crate::login::csrf::COOKIE_NAME,
        &started.browser_secret,
        ttl,
    );
    browser::set_cookie(
        &mut response,
        crate::oauth::interaction_app::BROWSER_COOKIE,
        &sent.browser_secret,
        upstream.config.ttl_secs,
    );
    tracing::info!(target: "fiducia::audit", client_id = %ix.request.client_id, upstream = %upstream.config.issuer, "authorization's login sent to the upstream OpenID Provider");
    Ok(response)
}

/// `prompt=none` (OIDC Core §3.1.2.1): Fiducia keeps no login session, so
/// the customer is never logged in already; the client gets
/// `login_required` at its redirect URI (§3.1.2.6) in its response mode,
/// with `state` and `iss`, and no page is shown, whether the built-in
/// pages or an interaction app would have run the interaction.
async fn login_required(
    op: &OpState,
    request: &crate::model::records::PushedRequest,
) -> Result<Response<Bytes>, (StatusCode, OAuthError)> {
    let params = [
        ("error", "login_required"),
        (
            "error_description",
            "prompt=none: the customer must authenticate and this server keeps no login session",
        ),
    ];
    tracing::info!(target: "fiducia::audit", client_id = %request.client_id, "prompt=none answered login_required");
    match crate::oauth::authorization_response::redirect_location(op, request, &params).await {
        Ok(location) => Ok(browser::see_other(&location)),
        Err(e) => Err((StatusCode::SERVICE_UNAVAILABLE, e)),
    }
}

/// A request object by value (RFC 9101 §5.1) of `client_id`: verified and
/// checked as at PAR, then stored as a pushed request; its reference. The
/// object's `jti` is recorded whether or not the request is accepted.
async fn request_by_value(op: &OpState, query: &Form, client_id: &str) -> Result<String, OAuthError> {
    let fapi = op.fapi();
    if fapi.require_pushed_authorization_requests {
        return Err(OAuthError::invalid_request(
            "authorization requests must be pushed first: send them to the pushed_authorization_request_endpoint (RFC 9126 §5)",
        ));
    }
    let client = op
        .services
        .clients
        .get(client_id)
        .await
        .ok_or_else(|| OAuthError::invalid_request("unknown client"))?;
    // FAPI 2.0 §5.3.2.2: FAPI 2.0 clients push their requests.
    if client.profile(fapi.profile) != FapiProfile::Fapi1Advanced {
        return Err(OAuthError::invalid_request(
            "this client must push its authorization requests (FAPI 2.0 §5.3.2.2)",
        ));
    }
    let mut uses = OneTimeUses::default();
    let stored = check_and_store(op, query, &client, &mut uses).await;
    uses.record(&op.services.repo, op.now()).await?;
    stored
}

async fn check_and_store(
    op: &OpState,
    query: &Form,
    client: &Client,
    uses: &mut OneTimeUses,
) -> Result<String, OAuthError> {
    // FAPI 1.0 Part 2 §5.2.2-1: only a signed request object (`request`).
    let params = request_object::authorization_params(op, query, client, uses).await?;
    let checked = authorization_request::check(client, &params, op.fapi().profile)?;
    let pushed = authorization_request::finish(op, client, &params, checked, None).await?;
    authorization_request::store(op, uses, &pushed).await
}
