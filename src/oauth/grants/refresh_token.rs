//! `grant_type=refresh_token` (RFC 6749 §6): the refresh token was issued
//! to the authenticated client, is presented with its binding (a DPoP proof
//! by the same key, RFC 9449 §5, or the same certificate, RFC 8705 §3; else
//! `invalid_grant`), has not expired, and the scopes asked are within the
//! grant's. With `tokens.rotate_refresh_tokens` the token is consumed and a
//! new one returned; a consumed one presented again revokes the whole grant
//! (RFC 9700 §4.14.2). Without rotation each use restarts the idle timeout.

use super::invalid_grant;
use crate::http::context::RequestContext;
use crate::http::endpoints::OpState;
use crate::model::records::{AccessToken, RefreshToken};
use crate::model::{Binding, Client};
use crate::oauth::replay::OneTimeUses;
use crate::oauth::tokens;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::store::repo::Consumed;
use bytes::Bytes;
use http::Request;

/// Redeems `presented` for `client`; the token response's JSON. The `jti`s
/// in `uses` are recorded once the binding is checked, before the refresh
/// token is rotated or touched.
pub async fn refresh(
    op: &OpState,
    request: &Request<Bytes>,
    context: &RequestContext,
    client: &Client,
    presented: &str,
    requested: Option<Vec<String>>,
    uses: &mut OneTimeUses,
) -> Result<serde_json::Value, OAuthError> {
    let now = op.now();
    let repo = &op.services.repo;
    let unavailable = |_| OAuthError::bare(ErrorCode::TemporarilyUnavailable);
    let found = repo
        .find::<RefreshToken>(presented, now)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| invalid_grant("unknown, expired or revoked refresh token"))?;
    let record = found.payload.clone();
    // RFC 6749 §6: the refresh token was issued to the authenticated client.
    if record.client_id != client.client_id {
        return Err(invalid_grant("the refresh token was issued to another client"));
    }
    check_binding(op, request, context, &record.binding, uses)?;
    // The assertion's and the proof's jtis before anything changes: a
    // replayed one must not rotate the refresh token away.
    uses.record(repo, now).await?;
    if record.expires_at <= now {
        return Err(invalid_grant("the refresh token has expired"));
    }
    if found.consumed_at().is_some() {
        return Err(reused(op, client, &record.grant_id).await);
    }
    // OBIE Account Access Consents: no new token once the grant's consent
    // is past its ExpirationDateTime (`consent::dates`).
    let consent = crate::consent::of_grant(repo, &record.grant_id, now)
        .await
        .map_err(unavailable)?;
    if consent.is_some_and(|c| c.is_expired(now)) {
        return Err(invalid_grant("the grant's consent has expired"));
    }
    let scopes = narrowed_scopes(&record.scopes, requested)?;
    let refresh_token = if op.config.get().tokens.rotate_refresh_tokens {
        match repo.consume::<RefreshToken>(presented, now).await {
            Ok(Consumed::Now(_)) => {}
            // A concurrent use won the race: the same reuse (RFC 9700 §4.14.2).
            Ok(Consumed::Already(_)) => return Err(reused(op, client, &record.grant_id).await),
            Ok(Consumed::Missing) => return Err(invalid_grant("unknown, expired or revoked refresh token")),
            Err(e) => return Err(unavailable(e)),
        }
        Some(tokens::issue_refresh_token(op, record.clone(), now).await?)
    } else {
        // RFC 9700 §4.14.2: the idle timeout restarts with each use.
        repo.upsert(
            presented,
            &record,
            Some(tokens::refresh_store_ttl(op, &record, now)),
            now,
        )
        .await
        .map_err(unavailable)?;
        None
    };
    let access = AccessToken {
        client_id: record.client_id.clone(),
        account_id: Some(record.account_id.clone()),
        scopes: scopes.clone(),
        grant_id: record.grant_id.clone(),
        binding: record.binding.clone(),
        issued_at: 0,
        expires_at: 0,
        // RFC 9396 §7: a refresh keeps the approved details.
        authorization_details: record.authorization_details.clone(),
    };
    let (access_token, ttl) = tokens::issue_access_token(
        op,
        access,
        tokens::IssuedUnder::CustomersGrant,
        client.access_token_format,
        now,
        uses,
    )
    .await?;
    let mut body = serde_json::json!({
        "access_token": access_token,
        "token_type": record.binding.token_type(),
        "expires_in": ttl,
        "scope": scopes.join(" "),
    });
    if let Some(map) = body.as_object_mut() {
        if let Some(refresh_token) = refresh_token {
            map.insert("refresh_token".into(), serde_json::Value::String(refresh_token));
        }
        // RFC 9396 §7 (token response), also for a refresh.
        if let Some(details) = crate::protocol::rar::stored_value(record.authorization_details.as_deref()) {
            map.insert("authorization_details".into(), details);
        }
    }
    tracing::info!(target: "fiducia::audit", client_id = %client.client_id, account_id = %record.account_id, token_type = record.binding.token_type(), "tokens refreshed");
    Ok(body)
}

/// RFC 9700 §4.14.2: a rotated-out refresh token used again means it leaked;
/// every token of the grant is revoked.
async fn reused(op: &OpState, client: &Client, grant_id: &str) -> OAuthError {
    let revoked = op.services.repo.revoke_by_grant_id(grant_id).await.unwrap_or(0);
    tracing::warn!(client_id = %client.client_id, revoked, "refresh token reused; grant revoked");
    invalid_grant("the refresh token was already used; the grant is revoked (RFC 9700 §4.14.2)")
}

/// The refresh token's binding must be presented again: a DPoP proof by the
/// same key (RFC 9449 §5) or the same client certificate (RFC 8705 §3).
fn check_binding(
    op: &OpState,
    request: &Request<Bytes>,
    context: &RequestContext,
    binding: &Binding,
    uses: &mut OneTimeUses,
) -> Result<(), OAuthError> {
    let proof = super::token_dpop_proof(op, request, context, uses)?;
    let same = match (binding, proof) {
        (Binding::Dpop(jkt), Some(proof)) => proof.jkt == *jkt,
        (Binding::Mtls(x5t), None) => context
            .client_cert
            .as_ref()
            .is_some_and(|cert| cert.x5t_s256() == x5t),
        _ => false,
    };
    if same {
        Ok(())
    } else {
        Err(invalid_grant(
            "the refresh token is bound to another DPoP key or certificate (RFC 9449 §5, RFC 8705 §3)",
        ))
    }
}

/// RFC 6749 §6: a refresh may ask for fewer scopes, never more.
fn narrowed_scopes(granted: &[String], requested: Option<Vec<String>>) -> Result<Vec<String>, OAuthError> {
    let Some(requested) = requested else {
        return Ok(granted.to_vec());
    };
    if let Some(scope) = requested.iter().find(|s| !granted.contains(s)) {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            format!("scope `{scope}` was not granted (RFC 6749 §6)"),
        ));
    }
    Ok(requested)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refresh_may_narrow_but_not_widen_scopes_rfc6749_s6() {
        let granted = ["openid", "offline_access", "email"].map(String::from).to_vec();
        assert_eq!(narrowed_scopes(&granted, None).unwrap(), granted);
        assert_eq!(
            narrowed_scopes(&granted, Some(vec!["email".into()])).unwrap(),
            vec!["email"]
        );
        let e = narrowed_scopes(&granted, Some(vec!["phone".into()])).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidScope);
    }
}
