//! The grant management endpoint (Grant Management for OAuth 2.0 §6):
//! `GET /grants/{grant_id}` shows a grant (§6.4), `DELETE` revokes it and
//! every token issued under it (§6.5, 204).
//!
//! The caller presents a sender-constrained access token of the OP
//! (`oauth::protected_resource`: DPoP or certificate-bound, RFC 9449 §7,
//! RFC 8705 §3), usually its client_credentials token, with the scope
//! `grant_management_query` for GET and `grant_management_revoke` for
//! DELETE (§6.1). Errors:
//!
//! - no, unknown, expired, revoked or wrongly presented token: 401
//!   `invalid_token` with `WWW-Authenticate` (RFC 6750 §3.1, §6.6);
//! - a token without the operation's scope: 403 `insufficient_scope`
//!   (RFC 6750 §3.1, §6.6);
//! - a grant that is unknown, revoked, expired, or another client's: 404
//!   (§6.6), the same answer for each, so that a client learns nothing of
//!   grants that are not its own;
//! - another method: 405 (the router).

use crate::http::response;
use crate::oauth::caller::Caller;
use crate::oauth::grant_management::resource;
use crate::oauth::op::OpState;
use crate::oauth::protected_resource;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::grant_management::{QUERY_SCOPE, REVOKE_SCOPE, checked_grant_id};
use crate::protocol::paths;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};

/// Handles a request to `path` (relative to the issuer: `/grants/{grant_id}`).
pub async fn handle(op: &OpState, request: &Request<Bytes>, caller: &Caller, path: &str) -> Response<Bytes> {
    let (token, scheme) = match protected_resource::presented_token(op, caller, path).await {
        Ok(found) => found,
        Err(refusal) => return response::refusal(refusal),
    };
    // The client's request budget, as at the token endpoint (RFC 6585 §4).
    if let Err(limited) = op.services.clients.get_charged(&token.client_id).await {
        return over_budget(limited.0);
    }
    let (scope, revoke) = match *request.method() {
        Method::DELETE => (REVOKE_SCOPE, true),
        _ => (QUERY_SCOPE, false),
    };
    // §6.1 and RFC 6750 §3.1: the operation's scope, else 403.
    if !token.scopes.iter().any(|s| s == scope) {
        let error = OAuthError::new(
            ErrorCode::InsufficientScope,
            format!("this operation needs the `{scope}` scope (Grant Management §6.1)"),
        );
        return response::refusal((scheme, error));
    }
    let grant_id = path
        .strip_prefix(paths::GRANTS)
        .and_then(|rest| rest.strip_prefix('/'))
        .and_then(|id| checked_grant_id(id).ok());
    let Some(grant_id) = grant_id else {
        return not_found();
    };
    let now = op.now();
    let found = match resource::client_grant(op, &token.client_id, &grant_id, now).await {
        Ok(Some(found)) => found,
        Ok(None) => return not_found(),
        Err(_) => return response::error(&OAuthError::bare(ErrorCode::TemporarilyUnavailable)),
    };
    if !revoke {
        let body = resource::describe(&found.payload, found.meta.expires_at);
        let mut response = response::json(StatusCode::OK, Bytes::from(body.to_string()));
        response
            .headers_mut()
            .insert(http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return response;
    }
    match resource::revoke(op, &grant_id, now).await {
        Ok(deleted) => {
            tracing::info!(target: "fiducia::audit", client_id = %token.client_id, deleted, "grant revoked through the grant management endpoint");
            let mut response = Response::new(Bytes::new());
            *response.status_mut() = StatusCode::NO_CONTENT;
            response
        }
        Err(_) => response::error(&OAuthError::bare(ErrorCode::TemporarilyUnavailable)),
    }
}

/// §6.6: 404 for a grant the caller cannot see.
fn not_found() -> Response<Bytes> {
    response::error(&OAuthError::new(
        ErrorCode::NotFound,
        "no such grant of this client (Grant Management §6.6)",
    ))
}

/// 429 with the seconds to wait in `Retry-After` (RFC 6585 §4).
fn over_budget(retry_after: u64) -> Response<Bytes> {
    let error = OAuthError::new(
        ErrorCode::RateLimited,
        format!("too many requests from this client; retry in {retry_after} s"),
    );
    let mut response = response::error(&error);
    response
        .headers_mut()
        .insert(http::header::RETRY_AFTER, HeaderValue::from(retry_after));
    response
}
