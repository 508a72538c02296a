//! `POST /token` (RFC 6749 §3.2).
//!
//! Shared rules: a form body (§3.2), no repeated parameter (§3.1), a
//! supported `grant_type`, client authentication (FAPI 2.0 §5.3.2.1). The
//! grants live in `oauth::grants`, one file each: `authorization_code`
//! (RFC 6749 §4.1.3 with PKCE, RFC 7636 §4.6), `refresh_token` (RFC 6749
//! §6, RFC 9700 §4.14.2), `client_credentials` (RFC 6749 §4.4) and the
//! CIBA grant (CIBA Core §10.1, where `[ciba]` is enabled). Tokens are always sender-constrained (FAPI 2.0
//! §5.3.2.1): DPoP (RFC 9449 §5) when a proof is sent, else the client
//! certificate (RFC 8705 §3).

use crate::http::response;
use crate::model::Client;
use crate::oauth::caller::Caller;
use crate::oauth::client_auth;
use crate::oauth::grants::{self, TokenRequest};
use crate::oauth::op::OpState;
use crate::oauth::replay::OneTimeUses;
use crate::protocol::error::OAuthError;
use crate::protocol::form::Form;
use bytes::Bytes;
use http::{Request, Response};

/// Handles a token request. The client assertion's and the DPoP proof's
/// `jti`s are recorded with the access token (one transaction); a request
/// that fails first records them on its own, and a replay's error then
/// comes before the grant's, as if it had been checked first.
pub async fn post(
    op: &OpState,
    request: &Request<Bytes>,
    caller: &Caller,
) -> Result<Response<Bytes>, OAuthError> {
    let form = super::form_body(request)?;
    grants::check_grant_type(&form)?;
    let mut uses = OneTimeUses::default();
    let client = client_auth::authenticate_deferred(op, &form, caller, &mut uses).await?;
    let granted = grant(op, caller, &form, &client, &mut uses).await;
    // Whatever was not recorded with a token (an error, or a grant that
    // issued none) is recorded now.
    uses.record(&op.services.repo, op.now()).await?;
    Ok(response::json(
        http::StatusCode::OK,
        Bytes::from(granted?.to_string()),
    ))
}

async fn grant(
    op: &OpState,
    caller: &Caller,
    form: &Form,
    client: &Client,
    uses: &mut OneTimeUses,
) -> Result<serde_json::Value, OAuthError> {
    let request = TokenRequest::parse(form)?;
    let profile = client.profile(op.fapi().profile);
    crate::oauth::fapi_profile::check_token_binding(profile, caller)?;
    match request {
        TokenRequest::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
        } => {
            grants::authorization_code::exchange(
                op,
                caller,
                client,
                &code,
                &redirect_uri,
                &code_verifier,
                uses,
            )
            .await
        }
        TokenRequest::RefreshToken { refresh_token, scope } => {
            grants::refresh_token::refresh(op, caller, client, &refresh_token, scope, uses).await
        }
        TokenRequest::ClientCredentials { scope } => {
            grants::client_credentials::issue(op, caller, client, scope, uses).await
        }
        TokenRequest::Ciba if op.services.ciba.is_none() => Err(OAuthError::new(
            crate::protocol::error::ErrorCode::UnsupportedGrantType,
            "CIBA is not enabled at this OP",
        )),
        TokenRequest::Ciba => grants::ciba::exchange(op, caller, client, form, uses).await,
    }
}
