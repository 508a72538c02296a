//! `grant_type=authorization_code` (RFC 6749 §4.1.3): the code was issued to
//! this client (checked first: another client's attempt changes nothing),
//! is consumed once (a replay by its client revokes its grant, RFC 6749
//! §4.1.2), for this redirect URI, and the PKCE verifier matches (RFC 7636
//! §4.6); tokens are bound to the PAR-bound DPoP key if any (RFC 9449 §10.1).

use super::{binding_for, invalid_grant, token_dpop_proof};
use crate::config::AccessTokenFormat;
use crate::model::records::AuthorizationCode;
use crate::model::{Binding, Client};
use crate::oauth::caller::Caller;
use crate::oauth::op::OpState;
use crate::oauth::replay::OneTimeUses;
use crate::oauth::tokens;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::pkce::CodeChallenge;
use crate::store::repo::{Consumed, FreshId, ops, revoked};

/// What the redeeming transaction found.
enum Redeemed {
    /// Consumed now, its tokens stored with it (a JWT access token only
    /// after: it is signed in the HSM first).
    Now {
        record: Box<AuthorizationCode>,
        binding: Binding,
    },
    /// Consumed before: its grant is to be revoked (RFC 6749 §4.1.2).
    Replayed { grant_id: String },
    /// Unknown, or refused by a check (consumed all the same).
    Refused(OAuthError),
}

/// Redeems `code` for `client`; the token response's JSON. One transaction
/// records the request's `jti`s (`uses`), consumes the code, checks it and
/// stores the tokens; a code that fails a check is used up all the same.
#[allow(clippy::too_many_arguments)]
pub async fn exchange(
    op: &OpState,
    caller: &Caller,
    client: &Client,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
    uses: &mut OneTimeUses,
) -> Result<serde_json::Value, OAuthError> {
    let now = op.now();
    let repo = &op.services.repo;
    // The proof is checked first; its key meets the code's (RFC 9449 §10.1)
    // once the code is read, in the transaction.
    let proof = token_dpop_proof(op, caller, uses)?;
    let tokens_config = &op.config.get().tokens;
    let (access_ttl, refresh_ttl) = (
        tokens_config.access_token_ttl_secs,
        tokens_config.refresh_token_ttl_secs,
    );
    let opaque = client.access_token_format == AccessTokenFormat::Opaque;
    let fresh = || {
        FreshId::generate()
            .map_err(|_| OAuthError::new(ErrorCode::ServerError, "the random generator failed"))
    };
    let (access_id, refresh_id) = (fresh()?, fresh()?);
    // Kept across retries, so that a retry recognises its own consumption.
    let call_id = uuid::Uuid::new_v4().as_u128();
    let (proof, access, refresh) = (proof.as_ref(), &access_id, &refresh_id);
    let redeemed = uses
        .commit_with(repo, now, |tx| async move {
            // RFC 6749 §4.1.3: the code was issued to the client presenting
            // it. Checked before the code is consumed or its replay acted on
            // (RFC 6749 §4.1.2, §10.5): another client can neither use the
            // code up nor, by presenting a copy, revoke the grant of the
            // client it was issued to.
            match ops::find::<AuthorizationCode>(&tx, code, now).await? {
                Some(found) if found.payload.client_id == client.client_id => {}
                Some(_) => {
                    return Ok(Redeemed::Refused(invalid_grant(
                        "the code was issued to another client",
                    )));
                }
                None => {
                    return Ok(Redeemed::Refused(invalid_grant(
                        "unknown or expired authorization code",
                    )));
                }
            }
            let record = match ops::consume::<AuthorizationCode>(&tx, code, now, call_id).await? {
                // Its grant revoked meanwhile (`store/repo/revoked.rs`): read
                // here, so a concurrent revocation conflicts with this
                // transaction and nothing is issued under a revoked grant.
                Consumed::Now(found) if revoked::is_revoked(&tx, &found.payload.grant_id, now).await? => {
                    return Ok(Redeemed::Refused(tokens::revoked_grant()));
                }
                Consumed::Now(found) => found.payload,
                Consumed::Already(found) => {
                    return Ok(Redeemed::Replayed {
                        grant_id: found.payload.grant_id,
                    });
                }
                Consumed::Missing => {
                    return Ok(Redeemed::Refused(invalid_grant(
                        "unknown or expired authorization code",
                    )));
                }
            };
            let checked = check(&record, client, redirect_uri, verifier).and_then(|()| {
                binding_for(
                    proof,
                    record.dpop_jkt.as_deref(),
                    client.dpop_bound_access_tokens,
                    caller,
                )
            });
            let binding = match checked {
                Ok(binding) => binding,
                Err(refused) => return Ok(Redeemed::Refused(refused)),
            };
            if opaque {
                let token = tokens::access_record_for_code(&record, &binding, now, access_ttl);
                ops::insert_new(&tx, access, &token, Some(access_ttl), now).await?;
            }
            if let Some(token) = tokens::refresh_record_for_code(&record, &binding, now, refresh_ttl) {
                let kept = tokens::refresh_store_ttl(op, &token, now);
                ops::insert_new(&tx, refresh, &token, Some(kept), now).await?;
            }
            Ok(Redeemed::Now {
                record: Box::new(record),
                binding,
            })
        })
        .await?;
    let (record, binding) = match redeemed {
        Redeemed::Now { record, binding } => (*record, binding),
        Redeemed::Replayed { grant_id } => {
            // RFC 6749 §4.1.2 / §10.5: a code used twice revokes what it issued.
            let revoked = repo
                .revoke_by_grant_id(
                    &grant_id,
                    tokens::grant_revocation(op, op.now(), crate::store::repo::RevocationCause::CodeReplay),
                )
                .await
                .unwrap_or(0);
            tracing::warn!(client_id = %client.client_id, revoked, "authorization code replayed; grant revoked");
            return Err(invalid_grant(
                "the authorization code was already used; its tokens are revoked",
            ));
        }
        Redeemed::Refused(refused) => return Err(refused),
    };
    let access_token = if opaque {
        (access_id.into_string(), access_ttl)
    } else {
        let token = tokens::access_record_for_code(&record, &binding, now, access_ttl);
        let under = tokens::IssuedUnder::CustomersGrant;
        tokens::issue_access_token(op, token, under, client.access_token_format, now, uses).await?
    };
    // Stored with the code's consumption above.
    let refresh_token = tokens::grants_offline_access(&record).then(|| refresh_id.into_string());
    let issued =
        tokens::response_for_code(op, client, &record, &binding, access_token, refresh_token, now).await?;
    let mut body = serde_json::json!({
        "access_token": issued.access_token,
        "token_type": issued.token_type,
        "expires_in": issued.expires_in,
        "scope": issued.scope,
        // Grant Management §5.5: the grant the tokens were issued under,
        // for the grant management endpoint and later merges.
        "grant_id": record.grant_id,
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

/// The code was issued to this client for this redirect URI (RFC 6749
/// §4.1.3), and the PKCE verifier matches its challenge (RFC 7636 §4.6).
fn check(
    record: &AuthorizationCode,
    client: &Client,
    redirect_uri: &str,
    verifier: &str,
) -> Result<(), OAuthError> {
    if record.client_id != client.client_id {
        return Err(invalid_grant("the code was issued to another client"));
    }
    if record.redirect_uri != redirect_uri {
        return Err(invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    let challenge = CodeChallenge::parse(Some(&record.code_challenge), Some("S256"))
        .map_err(|_| OAuthError::new(ErrorCode::ServerError, "stored code challenge unreadable"))?;
    Ok(challenge.verify(verifier)?)
}
