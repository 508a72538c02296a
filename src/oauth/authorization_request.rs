//! The checks of an authorization request's parameters, wherever they came
//! in: at PAR (RFC 9126 §2.1: "the same checks as at the authorization
//! endpoint"), or as a request object by value at the authorization
//! endpoint (RFC 9101 §5.1, FAPI 1.0 Part 2 §5.2.2-1). The result is the
//! [`PushedRequest`] the interaction works from, with the grant it merges
//! or replaces, if any (Grant Management §5.2, `oauth::grant_management`).

use crate::config::FapiProfile;
use crate::consent::intent;
use crate::model::Client;
use crate::model::grant_update::PendingGrantUpdate;
use crate::model::records::PushedRequest;
use crate::oauth::fapi_profile;
use crate::oauth::op::OpState;
use crate::oauth::replay::OneTimeUses;
use crate::protocol::authorization_params::AuthorizationParams;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::pkce::CodeChallenge;
use crate::protocol::rar;
use crate::protocol::response_mode::ResponseMode;
use crate::protocol::response_type::ResponseType;
use crate::store::repo::ops;

/// Longest `state` / `nonce` accepted.
const MAX_PARAM_LEN: usize = 512;

/// What [`check`] accepted.
pub struct Checked {
    response_mode: ResponseMode,
    redirect_uri: String,
    scopes: Vec<String>,
    details: Option<rar::AuthorizationDetails>,
    challenge: CodeChallenge,
    state: Option<String>,
    nonce: Option<String>,
}

/// The parameters' own rules, for `client` whose profile defaults to the
/// OP's `default_profile`: response type and mode (`oauth::fapi_profile`),
/// exact redirect URI (FAPI 2.0 §5.3.2.2), allowed scopes, RFC 9396
/// details, PKCE S256 (RFC 7636), `state` and `nonce`.
pub fn check(
    client: &Client,
    params: &AuthorizationParams,
    default_profile: FapiProfile,
) -> Result<Checked, OAuthError> {
    let profile = client.profile(default_profile);
    let response_type = ResponseType::parse(params.require("response_type")?)?;
    let response_mode = fapi_profile::response_mode(profile, response_type, params)?;
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
    Ok(Checked {
        response_mode,
        redirect_uri: redirect_uri.to_string(),
        scopes,
        details,
        challenge,
        state,
        nonce,
    })
}

/// What [`finish`] accepted: the request, and the existing grant it
/// changes (`None`: a fresh grant).
pub struct Pushed {
    /// The request the interaction works from.
    pub request: PushedRequest,
    /// Grant Management §5.2: the grant merged or replaced, checked to be
    /// the client's and live (`oauth::grant_management::request`).
    pub grant_update: Option<PendingGrantUpdate>,
}

/// The request to store: `checked`, the DPoP key the code will be bound to
/// (`proof_jkt`, a DPoP proof's key at PAR, which a `dpop_jkt` parameter
/// must match: RFC 9449 §10.1), and the UK OBIE consent named in `claims`
/// (OIDC Core §5.5), which must be this client's and await authorisation,
/// and the grant management action (Grant Management §5.2, §5.4).
pub async fn finish(
    op: &OpState,
    client: &Client,
    params: &AuthorizationParams,
    checked: Checked,
    proof_jkt: Option<String>,
) -> Result<Pushed, OAuthError> {
    let dpop_jkt = match (proof_jkt, params.get("dpop_jkt")) {
        (Some(proof_jkt), Some(param)) if proof_jkt != param => {
            return Err(OAuthError::invalid_request(
                "dpop_jkt does not match the DPoP proof's key (RFC 9449 §10.1)",
            ));
        }
        (Some(jkt), _) => Some(jkt),
        (None, param) => param.map(str::to_string),
    };
    // OIDC Core §5.5 and Identity Assurance 1.0 §5: checked whole first,
    // then the UK OBIE intent it may name.
    let claims = crate::oauth::claims_request::checked(params, &checked.scopes)?;
    let intent = intent::requested(params.get("claims"))?;
    let authentication = crate::oauth::authentication_request::parse(params)?;
    if let Some(id) = &intent {
        intent::check_awaiting(&op.services.repo, id, &client.client_id, op.now()).await?;
    }
    let asked = crate::oauth::grant_management::request::Asked {
        names_intent: intent.is_some(),
        details: checked.details.as_ref().map(|d| d.json()),
    };
    let grant_update = crate::oauth::grant_management::request::checked(op, client, params, asked).await?;
    let request = PushedRequest {
        client_id: client.client_id.clone(),
        redirect_uri: checked.redirect_uri,
        scopes: checked.scopes,
        state: checked.state,
        nonce: checked.nonce,
        code_challenge: checked.challenge.as_str().to_string(),
        dpop_jkt,
        response_mode: checked.response_mode,
        authorization_details: checked.details.map(rar::AuthorizationDetails::into_json),
        openbanking_intent_id: intent,
        claims,
        authentication,
    };
    Ok(Pushed {
        request,
        grant_update,
    })
}

/// Stores `pushed` for `tokens.request_uri_ttl_secs` under a new random
/// reference (RFC 9126 §2.2), with its grant update beside it
/// (`oauth::grant_management::carry`), in one transaction with the `jti`s
/// of `uses` (client assertion, request object, DPoP proof); returns the
/// reference.
pub async fn store(op: &OpState, uses: &mut OneTimeUses, pushed: &Pushed) -> Result<String, OAuthError> {
    let reference = crate::oauth::secrets::new_secret()?;
    let ttl = op.tokens().request_uri_ttl_secs;
    let (now, id) = (op.now(), reference.as_str());
    uses.commit_with(&op.services.repo, now, |tx| async move {
        ops::upsert(&tx, id, &pushed.request, Some(ttl), now).await?;
        if let Some(update) = &pushed.grant_update {
            crate::oauth::grant_management::carry::store(&tx, id, update, ttl, now).await?;
        }
        Ok(())
    })
    .await?;
    Ok(reference)
}
