//! `POST /par` (RFC 9126 §2): the only way an authorization request gets in
//! (FAPI 2.0 §5.3.2.2). The client authenticates, the request is checked
//! as the authorization endpoint would, and a one-time `request_uri` is
//! returned.
//!
//! The authorization parameters are read from one source
//! (`AuthorizationParams`): the verified request object when `request` is
//! sent (RFC 9126 §3, RFC 9101 §6.3), else the form
//! (`oauth::request_object::authorization_params`).

use super::authorize::REQUEST_URI_PREFIX;
use crate::http::response;
use crate::oauth::caller::Caller;
use crate::oauth::op::OpState;
use crate::oauth::replay::OneTimeUses;
use crate::oauth::{authorization_request, client_auth, request_object, sender};
use crate::protocol::error::OAuthError;
use bytes::Bytes;
use http::{Request, Response, StatusCode};

/// Handles a pushed authorization request. The `jti`s of the client
/// assertion, the request object and the DPoP proof are recorded with the
/// pushed request (one transaction); a request refused first records them
/// on their own, and a replay's error comes first.
pub async fn post(
    op: &OpState,
    request: &Request<Bytes>,
    caller: &Caller,
) -> Result<Response<Bytes>, OAuthError> {
    let mut uses = OneTimeUses::default();
    let pushed = push(op, request, caller, &mut uses).await;
    uses.record(&op.services.repo, op.now()).await?;
    pushed
}

async fn push(
    op: &OpState,
    request: &Request<Bytes>,
    caller: &Caller,
    uses: &mut OneTimeUses,
) -> Result<Response<Bytes>, OAuthError> {
    let form = super::form_body(request)?;
    // RFC 9126 §2.1: a request_uri cannot itself be pushed.
    if form.get("request_uri").is_some() {
        return Err(OAuthError::invalid_request(
            "request_uri is not allowed at the PAR endpoint (RFC 9126 §2.1)",
        ));
    }
    let client = client_auth::authenticate_deferred(op, &form, caller, uses).await?;
    let params = request_object::authorization_params(op, &form, &client, uses).await?;
    let checked = authorization_request::check(&client, &params, op.fapi().profile)?;
    // RFC 9449 §10: a DPoP proof (or dpop_jkt) at PAR binds the code to that key.
    let proof = sender::dpop_proof_deferred(op, caller, crate::protocol::paths::PAR, None, uses)?;
    let pushed = authorization_request::finish(op, &client, &params, checked, proof.map(|p| p.jkt)).await?;
    let reference = authorization_request::store(op, uses, &pushed).await?;
    let ttl = op.tokens().request_uri_ttl_secs;
    let body = serde_json::json!({
        "request_uri": format!("{REQUEST_URI_PREFIX}{reference}"),
        "expires_in": ttl,
    });
    // RFC 9126 §2.2: 201 Created.
    Ok(response::json(StatusCode::CREATED, Bytes::from(body.to_string())))
}
