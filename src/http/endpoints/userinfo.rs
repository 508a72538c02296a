//! `GET|POST /userinfo` (OIDC Core §5.3) with sender-constrained tokens:
//! a DPoP-bound token needs the `DPoP` scheme and a proof with `ath` by the
//! same key (RFC 9449 §7); a certificate-bound one needs the same
//! certificate (RFC 8705 §3). Errors are 401 with `WWW-Authenticate`
//! (RFC 6750 §3, RFC 9449 §7.1).

use super::OpState;
use crate::http::context::RequestContext;
use crate::http::response;
use crate::model::Binding;
use crate::model::records::AccessToken;
use crate::oauth::sender;
use crate::protocol::error::{ErrorCode, OAuthError};
use bytes::Bytes;
use http::header::{AUTHORIZATION, HeaderValue, WWW_AUTHENTICATE};
use http::{Request, Response};

/// Handles a userinfo request.
pub async fn handle(
    op: &OpState,
    request: &Request<Bytes>,
    context: &RequestContext,
) -> Result<Response<Bytes>, OAuthError> {
    match userinfo(op, request, context).await {
        Ok(response) => Ok(response),
        Err((scheme, error)) => {
            let mut response = response::error(&error);
            // RFC 6750 §3.1 / RFC 9449 §7.1: at a protected resource a bad or
            // badly presented token is 401 with a challenge, whatever the code.
            if matches!(
                error.code,
                ErrorCode::InvalidDpopProof | ErrorCode::UseDpopNonce | ErrorCode::InvalidRequest
            ) {
                *response.status_mut() = http::StatusCode::UNAUTHORIZED;
            }
            let challenge = format!(
                "{scheme} error=\"{}\"{}",
                error.code.as_str(),
                if scheme == "DPoP" {
                    ", algs=\"ES256 PS256 EdDSA\""
                } else {
                    ""
                }
            );
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response.headers_mut().insert(WWW_AUTHENTICATE, value);
            }
            Ok(response)
        }
    }
}

async fn userinfo(
    op: &OpState,
    request: &Request<Bytes>,
    context: &RequestContext,
) -> Result<Response<Bytes>, (&'static str, OAuthError)> {
    let header = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(("Bearer", invalid_token("no access token")))?;
    let (scheme, token) = header
        .split_once(' ')
        .ok_or(("Bearer", invalid_token("malformed Authorization header")))?;
    let scheme = if scheme.eq_ignore_ascii_case("dpop") {
        "DPoP"
    } else if scheme.eq_ignore_ascii_case("bearer") {
        "Bearer"
    } else {
        return Err(("Bearer", invalid_token("unsupported authorization scheme")));
    };
    let now = op.now();
    let record: AccessToken = op
        .services
        .repo
        .find::<AccessToken>(token.trim(), now)
        .await
        .map_err(|_| (scheme, OAuthError::bare(ErrorCode::TemporarilyUnavailable)))?
        .map(|found| found.payload)
        .ok_or((scheme, invalid_token("unknown, expired or revoked access token")))?;
    match &record.binding {
        Binding::Dpop(jkt) => {
            if scheme != "DPoP" {
                return Err((
                    "DPoP",
                    invalid_token("a DPoP-bound token must use the DPoP scheme (RFC 9449 §7.1)"),
                ));
            }
            let proof = sender::dpop_proof(
                op,
                request,
                context,
                crate::http::router::paths::USERINFO,
                Some(token.trim()),
            )
            .await
            .map_err(|e| ("DPoP", e))?
            .ok_or((
                "DPoP",
                OAuthError::new(
                    ErrorCode::InvalidDpopProof,
                    "a DPoP proof is required (RFC 9449 §7.1)",
                ),
            ))?;
            if &proof.jkt != jkt {
                return Err((
                    "DPoP",
                    OAuthError::new(
                        ErrorCode::InvalidDpopProof,
                        "the proof is signed by another key than the token's (RFC 9449 §7.1)",
                    ),
                ));
            }
        }
        Binding::Mtls(x5t) => {
            if scheme != "Bearer" {
                return Err((
                    "Bearer",
                    invalid_token("a certificate-bound token uses the Bearer scheme (RFC 8705 §3)"),
                ));
            }
            let presented = context.client_cert.as_ref().map(|c| c.x5t_s256());
            if presented != Some(x5t.as_str()) {
                return Err((
                    "Bearer",
                    invalid_token("the token is bound to another client certificate (RFC 8705 §3)"),
                ));
            }
        }
    }
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
        .ok_or((scheme, invalid_token("the account no longer exists")))?;
    let mut claims = crate::login::scoped_claims(&user, &record.scopes);
    claims.insert("sub".into(), serde_json::Value::String(account_id.to_string()));
    Ok(response::json(
        http::StatusCode::OK,
        Bytes::from(serde_json::Value::Object(claims).to_string()),
    ))
}

fn invalid_token(description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidToken, description)
}
