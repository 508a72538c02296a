//! `grant_type=refresh_token` (RFC 6749 §6; an ID token for an `openid`
//! grant, OIDC Core §12.2, with the original `auth_time`, `acr`, `amr`,
//! and no nonce): the refresh token was issued
//! to the authenticated client, is presented with its binding (a DPoP proof
//! by the same key, RFC 9449 §5, or the same certificate, RFC 8705 §3; else
//! `invalid_grant`), has not expired, and the scopes asked are within the
//! grant's. With `tokens.rotate_refresh_tokens` the token is consumed and a
//! new one returned; the previous one presented again within
//! `tokens.refresh_token_retry_grace_secs`, its successor unused, is a retry
//! after a lost response and succeeds (FAPI 2.0 SP §5.3.2.1 item 10);
//! otherwise it revokes the whole grant (RFC 9700 §4.14.2). Without
//! rotation each use restarts the idle timeout. Reading the grant's
//! revocation marker, consuming and issuing are one transaction
//! (`refresh_rotation.rs`), so a concurrent revocation leaves nothing.

use super::invalid_grant;
use super::refresh_rotation::{self, Redeemed};
use crate::model::records::{AccessToken, RefreshToken};
use crate::model::{Binding, Client};
use crate::oauth::caller::Caller;
use crate::oauth::op::OpState;
use crate::oauth::replay::OneTimeUses;
use crate::oauth::tokens;
use crate::protocol::error::{ErrorCode, OAuthError};

/// Redeems `presented` for `client`; the token response's JSON. The `jti`s
/// in `uses` are recorded with the tokens, in the same transaction.
pub async fn refresh(
    op: &OpState,
    caller: &Caller,
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
    let record = found.payload;
    // RFC 6749 §6: the refresh token was issued to the authenticated client.
    if record.client_id != client.client_id {
        return Err(invalid_grant("the refresh token was issued to another client"));
    }
    // Continuous trust (`oauth/trusted_since.rs`): a refresh token issued
    // before the client's reinstatement (revocation at suspension and
    // reinstatement removes them; this holds if one was missed), or bound
    // to a certificate its directory revoked, is not honoured.
    if !client.honours_token(record.issued_at, &record.binding) {
        return Err(invalid_grant(
            "the refresh token predates the client's reinstatement or is bound to a revoked certificate",
        ));
    }
    check_binding(op, caller, &record.binding, uses)?;
    if record.expires_at <= now {
        return Err(invalid_grant("the refresh token has expired"));
    }
    // OBIE Account Access Consents: no new token once the grant's consent
    // is past its ExpirationDateTime (`consent::dates`).
    let consent = crate::consent::of_grant(repo, &record.grant_id, now)
        .await
        .map_err(unavailable)?;
    if consent.is_some_and(|c| c.is_expired(now)) {
        return Err(invalid_grant("the grant's consent has expired"));
    }
    // A disabled customer (`fiducia users disable`) gets no new token, also
    // from a refresh token that outran the revocation of their grants
    // (RFC 6749 §5.2 `invalid_grant`: the grant is no longer valid).
    let customer = op
        .services
        .users
        .find_by_account_id(&record.account_id, now)
        .await
        .map_err(|_| OAuthError::bare(ErrorCode::TemporarilyUnavailable))?;
    if customer.is_none() {
        return Err(invalid_grant("the customer's account is not available"));
    }
    let scopes = narrowed_scopes(&record.scopes, requested)?;
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
        // OIDC Core §12.2: claims stay within the grant.
        claims: record.claims.clone(),
    };
    let access = tokens::ready_access_token(op, access, client.access_token_format, now).await?;
    let refresh_token = match refresh_rotation::redeem(op, presented, &record, &access, uses, now).await? {
        Redeemed::Issued { refresh_token, retry } => {
            if retry {
                tracing::info!(target: "fiducia::audit", client_id = %client.client_id, "refresh retried within the grace window; the lost successor replaced (FAPI 2.0 SP §5.3.2.1 item 10)");
            }
            refresh_token
        }
        Redeemed::Replayed => return Err(reused(op, client, &record.grant_id).await),
        Redeemed::Gone => return Err(invalid_grant("unknown, expired or revoked refresh token")),
    };
    let (access_token, ttl) = access.into_token();
    let mut body = serde_json::json!({
        "access_token": access_token,
        "token_type": record.binding.token_type(),
        "expires_in": ttl,
        "scope": scopes.join(" "),
        // Grant Management §5.5: the grant, as in the code's response.
        "grant_id": record.grant_id,
    });
    // OIDC Core §12.2: a new ID token for an `openid` grant, with the
    // original `auth_time`, `acr` and `amr` (SCA stays SCA, CA stays CA)
    // and no nonce.
    let id_token = match (&record.authentication, scopes.iter().any(|s| s == "openid")) {
        (Some(done), true) => {
            let grant = tokens::GrantIdentity {
                client_id: &record.client_id,
                account_id: &record.account_id,
                grant_id: &record.grant_id,
                claims: record.claims.as_deref(),
                nonce: None,
                authentication: crate::protocol::ciba::DeviceAuthentication {
                    acr: done.acr.clone(),
                    amr: done.amr.clone(),
                    auth_time: done.auth_time,
                },
            };
            let signed = tokens::grant_id_token(op, &grant, now).await?;
            Some(crate::oauth::id_token::encrypt_for(client, signed)?)
        }
        _ => None,
    };
    if let Some(map) = body.as_object_mut() {
        if let Some(id_token) = id_token {
            map.insert("id_token".into(), serde_json::Value::String(id_token));
        }
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

/// RFC 9700 §4.14.2: a rotated-out refresh token used again outside the
/// retry window means it leaked; every token of the grant is revoked.
async fn reused(op: &OpState, client: &Client, grant_id: &str) -> OAuthError {
    let now = op.now();
    let revoked = op
        .services
        .repo
        .revoke_by_grant_id(
            grant_id,
            tokens::grant_revocation(op, now, crate::store::repo::RevocationCause::RefreshReplay),
        )
        .await
        .unwrap_or(0);
    tracing::warn!(client_id = %client.client_id, revoked, "refresh token reused; grant revoked");
    invalid_grant("the refresh token was already used; the grant is revoked (RFC 9700 §4.14.2)")
}

/// The refresh token's binding must be presented again: a DPoP proof by the
/// same key (RFC 9449 §5) or the same client certificate (RFC 8705 §3).
fn check_binding(
    op: &OpState,
    caller: &Caller,
    binding: &Binding,
    uses: &mut OneTimeUses,
) -> Result<(), OAuthError> {
    let proof = super::token_dpop_proof(op, caller, uses)?;
    let same = match (binding, proof) {
        (Binding::Dpop(jkt), Some(proof)) => proof.jkt == *jkt,
        (Binding::Mtls(x5t), None) => caller
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
