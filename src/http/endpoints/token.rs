//! `POST /token` (RFC 6749 §3.2).
//!
//! Shared rules: a form body (§3.2), no repeated parameter (§3.1), a
//! supported `grant_type`, client authentication (FAPI 2.0 §5.3.2.1). The
//! grants live in `oauth::grants`, one file each: `authorization_code`
//! (RFC 6749 §4.1.3 with PKCE, RFC 7636 §4.6), `refresh_token` (RFC 6749
//! §6, RFC 9700 §4.14.2) and `client_credentials` (RFC 6749 §4.4). Tokens are always sender-constrained (FAPI 2.0
//! §5.3.2.1): DPoP (RFC 9449 §5) when a proof is sent, else the client
//! certificate (RFC 8705 §3).

use super::OpState;
use crate::http::context::RequestContext;
use crate::http::response;
use crate::oauth::client_auth;
use crate::oauth::grants::{self, TokenRequest};
use crate::protocol::error::OAuthError;
use bytes::Bytes;
use http::{Request, Response};

/// Handles a token request.
pub async fn post(
    op: &OpState,
    request: &Request<Bytes>,
    context: &RequestContext,
) -> Result<Response<Bytes>, OAuthError> {
    let form = super::form_body(request)?;
    grants::check_grant_type(&form)?;
    let client = client_auth::authenticate(op, &form, context).await?;
    let body = match TokenRequest::parse(&form)? {
        TokenRequest::AuthorizationCode {
            code,
            redirect_uri,
            code_verifier,
        } => {
            grants::authorization_code::exchange(
                op,
                request,
                context,
                &client,
                &code,
                &redirect_uri,
                &code_verifier,
            )
            .await?
        }
        TokenRequest::RefreshToken { refresh_token, scope } => {
            grants::refresh_token::refresh(op, request, context, &client, &refresh_token, scope).await?
        }
        TokenRequest::ClientCredentials { scope } => {
            grants::client_credentials::issue(op, request, context, &client, scope).await?
        }
    };
    Ok(response::json(
        http::StatusCode::OK,
        Bytes::from(body.to_string()),
    ))
}
