//! The authorization response at the client's redirect URI (RFC 6749
//! §4.1.2, §4.1.2.1), in the response mode the pushed request asked for:
//! query parameters with `iss` (RFC 9207 §2), or one JWT signed in the HSM
//! through the signer pool, as ID tokens are (JARM §2.3.1 `query.jwt`).
//! Success and error responses take the same path, so an error the client
//! receives is signed whenever its request asked for JARM (JARM §2.2).
//! The hybrid `code id_token` answers in the fragment (Multiple Response
//! Types §5), a success with an ID token over the code and state (OIDC
//! Core §3.3.2.11, FAPI 1.0 Part 2 §5.2.2-3, §5.1): `c_hash`, `s_hash`
//! when a state was sent, and the request's `nonce`, which PAR required.

use crate::model::authentication::Authenticated;
use crate::model::records::PushedRequest;
use crate::oauth::id_token::{self, IdTokenFacts};
use crate::oauth::interaction::Decision;
use crate::oauth::op::OpState;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::form::{with_fragment, with_query};
use crate::protocol::response_mode::{ResponseMode, jarm_claims};
use serde_json::Map;

/// A code the customer's approval produced.
pub struct IssuedCode<'a> {
    /// The authorization code.
    pub code: &'a str,
    /// The customer's authentication (`sub`, `acr`, `amr`, `auth_time`).
    pub login: &'a Authenticated,
}

/// The `Location` that ends a finished interaction, whoever ran it: the
/// code (RFC 6749 §4.1.2), `access_denied` for a refusal (§4.1.2.1), or
/// `unmet_authentication_requirements` when an essential `acr` was not
/// reached (OIDC Core §5.5.1.1; OpenID Connect Core Error Code
/// `unmet_authentication_requirements`), in the request's response mode.
pub async fn decision_location(op: &OpState, decision: &Decision) -> Result<String, OAuthError> {
    match decision {
        Decision::Approved { code, login, request } => {
            success_location(op, request, &IssuedCode { code, login }).await
        }
        Decision::Denied { request } => {
            redirect_location(
                op,
                request,
                &[
                    ("error", "access_denied"),
                    ("error_description", "the customer declined"),
                ],
            )
            .await
        }
        Decision::Unmet { request } => {
            redirect_location(
                op,
                request,
                &[
                    ("error", "unmet_authentication_requirements"),
                    (
                        "error_description",
                        "the authentication did not reach the essential acr requested (OIDC Core §5.5.1.1)",
                    ),
                ],
            )
            .await
        }
        // Grant Management §5.4: the grant to merge or replace is gone or
        // not the logged-in customer's.
        Decision::GrantRefused { request } => {
            let error = crate::oauth::grant_management::request::unknown_grant();
            let description = error.description.as_deref().unwrap_or_default();
            redirect_location(
                op,
                request,
                &[("error", error.code.as_str()), ("error_description", description)],
            )
            .await
        }
        // Issue 25: the interaction app gave up (OIDC Core §3.1.2.6).
        Decision::Abandoned { request, reason } => {
            let (error, description) = reason.error();
            redirect_location(
                op,
                request,
                &[("error", error), ("error_description", description)],
            )
            .await
        }
    }
}

/// The `Location` of a successful response: `code` (and, for the hybrid
/// type, the ID token as its detached signature).
pub async fn success_location(
    op: &OpState,
    request: &PushedRequest,
    issued: &IssuedCode<'_>,
) -> Result<String, OAuthError> {
    if request.response_mode != ResponseMode::Fragment {
        return redirect_location(op, request, &[("code", issued.code)]).await;
    }
    let authentication = crate::protocol::ciba::DeviceAuthentication {
        acr: issued.login.acr.clone(),
        amr: issued.login.amr.clone(),
        auth_time: issued.login.auth_time,
    };
    let facts = IdTokenFacts {
        client_id: &request.client_id,
        account_id: &issued.login.account_id,
        auth_time: issued.login.auth_time,
        nonce: request.nonce.as_deref(),
        consent_id: request.openbanking_intent_id.as_deref(),
        authentication: Some(&authentication),
        auth_req_id: None,
        // The front-channel ID token is a detached signature that travels
        // through the browser; requested end-user claims go only into the
        // token endpoint's ID token (OIDC Core §5.5 still holds: the client
        // gets them there).
        released: None,
    };
    let mut hashed = vec![("c_hash", issued.code)];
    if let Some(state) = &request.state {
        hashed.push(("s_hash", state.as_str()));
    }
    let id_token = id_token::sign(op, &facts, &hashed, op.now()).await?;
    redirect_location(op, request, &[("code", issued.code), ("id_token", &id_token)]).await
}

/// The `Location` that carries `params` (`code`, or `error` and
/// `error_description`) back to the client of `request`; `state` is added
/// from the request.
pub async fn redirect_location(
    op: &OpState,
    request: &PushedRequest,
    params: &[(&str, &str)],
) -> Result<String, OAuthError> {
    let issuer = op.config.issuer();
    let mut params = params.to_vec();
    if let Some(state) = &request.state {
        params.push(("state", state));
    }
    match request.response_mode {
        ResponseMode::Query => {
            params.push(("iss", issuer));
            Ok(with_query(&request.redirect_uri, &params))
        }
        ResponseMode::QueryJwt => {
            let jwt = sign_response(op, request, &params).await?;
            Ok(with_query(&request.redirect_uri, &[("response", &jwt)]))
        }
        ResponseMode::Fragment => {
            params.push(("iss", issuer));
            Ok(with_fragment(&request.redirect_uri, &params))
        }
    }
}

/// JARM §2.1 / §2.2: the response JWT, signed with the client's
/// `authorization_signed_response_alg` (JARM §3), which start-up checks
/// against the OP's signing key.
async fn sign_response(
    op: &OpState,
    request: &PushedRequest,
    params: &[(&str, &str)],
) -> Result<String, OAuthError> {
    let client = op
        .services
        .clients
        .get(&request.client_id)
        .await
        .ok_or_else(|| OAuthError::invalid_request("unknown client"))?;
    let keys = op.key_set();
    let signer = keys
        .signer
        .as_ref()
        .ok_or_else(|| OAuthError::new(ErrorCode::TemporarilyUnavailable, "no active signing key"))?;
    if signer.alg() != client.authorization_response_alg {
        return Err(OAuthError::new(
            ErrorCode::ServerError,
            "no signing key for the client's authorization_signed_response_alg",
        ));
    }
    let claims = jarm_claims(op.config.issuer(), &request.client_id, op.now(), params);
    let payload =
        serde_json::to_vec(&claims).map_err(|e| OAuthError::new(ErrorCode::ServerError, e.to_string()))?;
    Ok(fiducia_hsm::sign_jws(signer.as_ref(), Map::new(), &payload).await?)
}
