//! `GET /login/upstream/callback`: the redirect URI Fiducia registers at
//! the bank's upstream OpenID Provider (`[login.upstream]`). The rules are
//! `oauth::upstream::callback`'s; here the query and the `__Host-` cookie
//! go in, and a redirect (the consent page, or the client's redirect URI
//! with an error) or an error page comes out. The browser-binding cookie
//! is cleared when the pending login it bound was used. Without `[login.upstream]` the path is unknown (404).

use super::page_flow::consent_url;
use crate::http::browser;
use crate::oauth::caller::Caller;
use crate::oauth::interaction_app::BROWSER_COOKIE;
use crate::oauth::op::OpState;
use crate::oauth::upstream::callback::{self, Outcome};
use crate::protocol::error::{ErrorCode, OAuthError};
use bytes::Bytes;
use http::{Request, Response, StatusCode};

/// The browser comes back from the upstream provider.
pub async fn get(op: &OpState, request: &Request<Bytes>, caller: &Caller) -> Response<Bytes> {
    let Some(upstream) = op.services.upstream.as_deref() else {
        let error = OAuthError::new(ErrorCode::NotFound, "no such endpoint");
        return browser::error_page(StatusCode::NOT_FOUND, &error, &caller.interaction_id);
    };
    let query = match browser::query(request.uri()) {
        Ok(query) => query,
        Err(e) => return browser::error_page(StatusCode::BAD_REQUEST, &e, &caller.interaction_id),
    };
    let cookie = browser::cookie(request.headers(), BROWSER_COOKIE);
    let outcome = callback::complete(op, upstream, &query, cookie, op.now()).await;
    let mut response = match outcome {
        Outcome::Consent { interaction_id } => browser::see_other(&consent_url(op, &interaction_id)),
        Outcome::Client { location } => browser::see_other(&location),
        Outcome::Page { status, message } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
            let error = OAuthError::new(ErrorCode::AccessDenied, message);
            // An error page keeps the cookie: it may bind another pending
            // login of this browser; it expires with it.
            return browser::error_page(status, &error, &caller.interaction_id);
        }
    };
    // The pending login it bound is used.
    browser::set_cookie(&mut response, BROWSER_COOKIE, "", 0);
    response
}
