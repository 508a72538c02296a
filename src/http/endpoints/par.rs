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
use crate::consent::intent;
use crate::http::response;
use crate::model::records::PushedRequest;
use crate::oauth::caller::Caller;
use crate::oauth::fapi_profile;
use crate::oauth::op::OpState;
use crate::oauth::replay::OneTimeUses;
use crate::oauth::{client_auth, request_object, secrets, sender};
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::pkce::CodeChallenge;
use crate::protocol::rar;
use crate::protocol::response_type::ResponseType;
use crate::store::repo::ops;
use bytes::Bytes;
use http::{Request, Response, StatusCode};

/// Longest `state` / `nonce` accepted.
const MAX_PARAM_LEN: usize = 512;

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
    let profile = client.profile(op.config.get().fapi.profile);
    let response_type = ResponseType::parse(params.require("response_type")?)?;
    let response_mode = fapi_profile::response_mode(profile, response_type, &params)?;
    let redirect_uri = params.require("redirect_uri")?;
    if !client.has_redirect_uri(redirect_uri) {
        return Err(OAuthError::invalid_request(
            "redirect_uri is not registered for this client (exact match, FAPI 2.0 §5.3.2.2)",
        ));
    }
    let scopes: Vec<String> = params
        .require("scope")?
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if let Some(scope) = scopes.iter().find(|s| !client.scopes.contains(s)) {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            format!("scope `{scope}` is not allowed for this client"),
        ));
    }
    // RFC 9396 §2 / §5: typed details of the client's allowed types.
    let details = rar::parse(
        params.get("authorization_details"),
        &client.authorization_details_types,
    )?;
    let challenge = CodeChallenge::parse(params.get("code_challenge"), params.get("code_challenge_method"))?;
    let bounded = |name: &str| -> Result<Option<String>, OAuthError> {
        match params.get(name) {
            Some(v) if v.len() > MAX_PARAM_LEN => {
                Err(OAuthError::invalid_request(format!("`{name}` is too long")))
            }
            other => Ok(other.map(str::to_string)),
        }
    };
    let (state, nonce) = (bounded("state")?, bounded("nonce")?);
    fapi_profile::check_nonce_and_state(
        profile,
        response_type,
        &scopes,
        nonce.as_deref(),
        state.as_deref(),
    )?;
    // RFC 9449 §10: a DPoP proof (or dpop_jkt) at PAR binds the code to that key.
    let proof = sender::dpop_proof_deferred(op, caller, crate::protocol::paths::PAR, None, uses)?;
    let dpop_jkt = match (proof.map(|p| p.jkt), params.get("dpop_jkt")) {
        (Some(proof_jkt), Some(param)) if proof_jkt != param => {
            return Err(OAuthError::invalid_request(
                "dpop_jkt does not match the DPoP proof's key (RFC 9449 §10.1)",
            ));
        }
        (Some(jkt), _) => Some(jkt),
        (None, param) => param.map(str::to_string),
    };
    // UK OBIE: the consent to authorise, named in `claims` (OIDC Core §5.5),
    // must be this client's and await authorisation.
    let intent = intent::requested(params.get("claims"))?;
    if let Some(id) = &intent {
        intent::check_awaiting(&op.services.repo, id, &client.client_id, op.now()).await?;
    }
    let pushed = PushedRequest {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.to_string(),
        scopes,
        state,
        nonce,
        code_challenge: challenge.as_str().to_string(),
        dpop_jkt,
        response_mode,
        authorization_details: details.map(rar::AuthorizationDetails::into_json),
        openbanking_intent_id: intent,
    };
    let reference = secrets::new_secret()?;
    let ttl = op.config.get().tokens.request_uri_ttl_secs;
    let (now, id, pushed) = (op.now(), reference.as_str(), &pushed);
    uses.commit_with(&op.services.repo, now, |tx| async move {
        ops::upsert(&tx, id, pushed, Some(ttl), now).await
    })
    .await?;
    let body = serde_json::json!({
        "request_uri": format!("{REQUEST_URI_PREFIX}{reference}"),
        "expires_in": ttl,
    });
    // RFC 9126 §2.2: 201 Created.
    Ok(response::json(StatusCode::CREATED, Bytes::from(body.to_string())))
}
