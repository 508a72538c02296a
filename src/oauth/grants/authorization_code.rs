//! `grant_type=authorization_code` (RFC 6749 §4.1.3): the code is consumed
//! once (a replay revokes its grant, RFC 6749 §4.1.2), issued to this
//! client for this redirect URI, and the PKCE verifier matches (RFC 7636
//! §4.6); tokens are bound to the PAR-bound DPoP key if any (RFC 9449 §10.1).

use super::{invalid_grant, sender_binding};
use crate::http::context::RequestContext;
use crate::http::endpoints::OpState;
use crate::model::Client;
use crate::model::records::AuthorizationCode;
use crate::oauth::replay::OneTimeUses;
use crate::oauth::tokens;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::pkce::CodeChallenge;
use crate::store::repo::Consumed;
use bytes::Bytes;
use http::Request;

/// Redeems `code` for `client`; the token response's JSON. The `jti`s in
/// `uses` are recorded with the access token.
#[allow(clippy::too_many_arguments)]
pub async fn exchange(
    op: &OpState,
    request: &Request<Bytes>,
    context: &RequestContext,
    client: &Client,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
    uses: &mut OneTimeUses,
) -> Result<serde_json::Value, OAuthError> {
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
    let binding = sender_binding(
        op,
        request,
        context,
        record.dpop_jkt.as_deref(),
        client.dpop_bound_access_tokens,
        uses,
    )?;
    let issued = tokens::issue_for_code(op, client, &record, binding, uses).await?;
    let mut body = serde_json::json!({
        "access_token": issued.access_token,
        "token_type": issued.token_type,
        "expires_in": issued.expires_in,
        "scope": issued.scope,
    });
    if let Some(map) = body.as_object_mut() {
        if let Some(id_token) = issued.id_token {
            map.insert("id_token".into(), serde_json::Value::String(id_token));
        }
        if let Some(refresh_token) = issued.refresh_token {
            map.insert("refresh_token".into(), serde_json::Value::String(refresh_token));
        }
        // RFC 9396 §7: the authorization details the token is good for.
        if let Some(details) = issued.authorization_details {
            map.insert("authorization_details".into(), details);
        }
    }
    tracing::info!(target: "fiducia::audit", client_id = %client.client_id, account_id = %record.account_id, token_type = issued.token_type, "tokens issued");
    Ok(body)
}
