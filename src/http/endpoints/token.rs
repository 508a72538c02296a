//! `POST /token` (RFC 6749 §3.2).
//!
//! Shared rules: a form body (§3.2), no repeated parameter (§3.1), client
//! authentication (FAPI 2.0 §5.3.2.1), a `grant_type`. Grants here:
//! `authorization_code` (RFC 6749 §4.1.3 with PKCE, RFC 7636 §4.6). Tokens are
//! always sender-constrained (FAPI 2.0 §5.3.2.1): DPoP (RFC 9449 §5) when a
//! proof is sent, else the client certificate (RFC 8705 §3).

use super::OpState;
use crate::http::context::RequestContext;
use crate::http::response;
use crate::model::Binding;
use crate::model::records::AuthorizationCode;
use crate::oauth::{client_auth, sender, tokens};
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::pkce::CodeChallenge;
use crate::store::repo::Consumed;
use bytes::Bytes;
use http::{Request, Response};

/// Handles a token request.
pub async fn post(
    op: &OpState,
    request: &Request<Bytes>,
    context: &RequestContext,
) -> Result<Response<Bytes>, OAuthError> {
    let form = super::form_body(request)?;
    let grant_type = form.require("grant_type")?;
    if grant_type != "authorization_code" {
        return Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            format!("grant_type `{grant_type}` is not supported"),
        ));
    }
    let client = client_auth::authenticate(op, &form, context).await?;
    let code = form.require("code")?;
    let redirect_uri = form.require("redirect_uri")?;
    let verifier = form.require("code_verifier")?;
    let now = op.now();
    let repo = &op.services.repo;
    let record: AuthorizationCode = match repo.consume::<AuthorizationCode>(code, now).await {
        Ok(Consumed::Now(found)) => found.payload,
        Ok(Consumed::Already(found)) => {
            // RFC 6749 §4.1.2 / §10.5: a code used twice revokes what it issued.
            let revoked = repo
                .revoke_by_grant_id(&found.payload.grant_id)
                .await
                .unwrap_or(0);
            tracing::warn!(client_id = %client.client_id, revoked, "authorization code replayed; grant revoked");
            return Err(invalid_grant(
                "the authorization code was already used; its tokens are revoked",
            ));
        }
        Ok(Consumed::Missing) => return Err(invalid_grant("unknown or expired authorization code")),
        Err(_) => return Err(OAuthError::bare(ErrorCode::TemporarilyUnavailable)),
    };
    if record.client_id != client.client_id {
        return Err(invalid_grant("the code was issued to another client"));
    }
    // RFC 6749 §4.1.3: the same redirect_uri as in the authorization request.
    if record.redirect_uri != redirect_uri {
        return Err(invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    // RFC 7636 §4.6.
    let challenge = CodeChallenge::parse(Some(&record.code_challenge), Some("S256"))
        .map_err(|_| OAuthError::new(ErrorCode::ServerError, "stored code challenge unreadable"))?;
    challenge.verify(verifier)?;
    let binding = binding(op, request, context, record.dpop_jkt.as_deref()).await?;
    let issued = tokens::issue_for_code(op, &record, binding).await?;
    let mut body = serde_json::json!({
        "access_token": issued.access_token,
        "token_type": issued.token_type,
        "expires_in": issued.expires_in,
        "scope": issued.scope,
    });
    if let (Some(id_token), Some(map)) = (issued.id_token, body.as_object_mut()) {
        map.insert("id_token".into(), serde_json::Value::String(id_token));
    }
    tracing::info!(target: "fiducia::audit", client_id = %client.client_id, account_id = %record.account_id, token_type = issued.token_type, "tokens issued");
    Ok(response::json(
        http::StatusCode::OK,
        Bytes::from(body.to_string()),
    ))
}

/// DPoP if a proof came (and it must, with the same key, when the code is
/// bound to one: RFC 9449 §10.1), else the client certificate.
async fn binding(
    op: &OpState,
    request: &Request<Bytes>,
    context: &RequestContext,
    code_jkt: Option<&str>,
) -> Result<Binding, OAuthError> {
    let proof = sender::dpop_proof(op, request, context, crate::http::router::paths::TOKEN, None).await?;
    match (proof, code_jkt) {
        (Some(proof), Some(jkt)) if proof.jkt != jkt => Err(invalid_grant(
            "the DPoP key differs from the one bound at the authorization request (RFC 9449 §10.1)",
        )),
        (Some(proof), _) => Ok(Binding::Dpop(proof.jkt)),
        (None, Some(_)) => Err(OAuthError::new(
            ErrorCode::InvalidDpopProof,
            "this code is bound to a DPoP key: send a DPoP proof (RFC 9449 §10.1)",
        )),
        (None, None) => match &context.client_cert {
            Some(cert) => Ok(Binding::Mtls(cert.x5t_s256().to_string())),
            None => Err(OAuthError::invalid_request(
                "access tokens are sender-constrained: send a DPoP proof or use a client certificate (FAPI 2.0 §5.3.2.1)",
            )),
        },
    }
}

fn invalid_grant(description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidGrant, description)
}
