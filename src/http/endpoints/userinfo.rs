//! `GET|POST /userinfo` (OIDC Core §5.3) with sender-constrained tokens
//! (`oauth::protected_resource`).

use crate::http::response;
use crate::oauth::caller::Caller;
use crate::oauth::claims_request;
use crate::oauth::op::OpState;
use crate::oauth::protected_resource::{self, Refusal};
use crate::oauth::released_claims::{self, Member};
use crate::protocol::error::{ErrorCode, OAuthError};
use bytes::Bytes;
use http::Response;

/// Handles a userinfo request.
pub async fn handle(op: &OpState, caller: &Caller) -> Result<Response<Bytes>, OAuthError> {
    Ok(userinfo(op, caller).await.unwrap_or_else(response::refusal))
}

async fn userinfo(op: &OpState, caller: &Caller) -> Result<Response<Bytes>, Refusal> {
    let (record, scheme) =
        protected_resource::presented_token(op, caller, crate::protocol::paths::USERINFO).await?;
    // The client's request budget, as at the token endpoint (RFC 6585 §4).
    if let Err(limited) = op.services.clients.get_charged(&record.client_id).await {
        return Ok(over_budget(limited.0));
    }
    let now = op.now();
    if !record.scopes.iter().any(|s| s == "openid") {
        return Err((
            scheme,
            OAuthError::new(ErrorCode::InsufficientScope, "userinfo needs the openid scope"),
        ));
    }
    // RFC 6749 §4.4: a client_credentials token has no end-user to describe.
    let account_id = record.account_id.as_deref().ok_or((
        scheme,
        OAuthError::new(ErrorCode::InsufficientScope, "the token has no end-user"),
    ))?;
    let user = op
        .services
        .users
        .find_by_account_id(account_id, now)
        .await
        .map_err(|_| (scheme, OAuthError::bare(ErrorCode::TemporarilyUnavailable)))?
        .ok_or((
            scheme,
            invalid_token("the account no longer exists or is disabled"),
        ))?;
    let mut claims = crate::login::scoped_claims(&user, &record.scopes);
    // OIDC Core §5.5 `userinfo` and Identity Assurance `verified_claims`:
    // what the approved request asks for, answered from the record now.
    if let Some(request) = claims_request::stored(record.claims.as_deref()) {
        claims.extend(released_claims::released(&user, &request, Member::UserInfo, now));
    }
    claims.insert("sub".into(), serde_json::Value::String(account_id.to_string()));
    Ok(response::json(
        http::StatusCode::OK,
        Bytes::from(serde_json::Value::Object(claims).to_string()),
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
        .insert(http::header::RETRY_AFTER, http::HeaderValue::from(retry_after));
    response
}

fn invalid_token(description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidToken, description)
}
