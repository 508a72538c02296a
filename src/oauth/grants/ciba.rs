//! `grant_type=urn:openid:params:grant-type:ciba` (CIBA Core §10.1), and
//! the issuance pushed tokens share (§10.3): an approved backchannel
//! authentication request redeemed once for tokens.
//!
//! One transaction reads the request (stored by the SHA-256 of its
//! `auth_req_id`), checks that it is this client's (another client's is
//! as unknown as a missing one, and is left untouched), runs the poll rule
//! (`protocol::ciba::poll`: `authorization_pending`, `slow_down` with the
//! interval raised for good, `expired_token`, `access_denied`, tokens once,
//! then `invalid_grant`), and on approval writes it back redeemed and stores
//! the access and refresh tokens under the grant the approval made (not
//! if that grant was revoked meanwhile). A pending answer writes nothing
//! but a raised interval: the poll's time is remembered on the node
//! (`oauth::ciba::poll_times`). The tokens are sender-constrained
//! like every other (FAPI 2.0 §5.3.2.1): at the token endpoint by the
//! token request's DPoP proof or certificate — and with the DPoP key the
//! backchannel request came with, when it came with one (as RFC 9449 §10
//! binds a code to PAR's key) — and when pushed, to the key the request
//! came with. The ID token carries the device's `acr`, `amr` and
//! `auth_time`, the OBIE consent, and when pushed `at_hash`, `rt_hash` and
//! the `auth_req_id` (§10.3.1); it is encrypted to the client when it
//! registered that (OIDC Core §10.2).

use super::{binding_for, invalid_grant, token_dpop_proof};
use crate::config::AccessTokenFormat;
use crate::model::ciba::BackchannelRequest;
use crate::model::records::AuthorizationCode;
use crate::model::{Binding, Client};
use crate::oauth::caller::Caller;
use crate::oauth::ciba::poll_times::Polled;
use crate::oauth::id_token::{self, IdTokenFacts};
use crate::oauth::op::OpState;
use crate::oauth::replay::OneTimeUses;
use crate::oauth::tokens;
use crate::protocol::ciba::{AuthReqId, CibaStatus, DeviceAuthentication, PollRefusal, PollVerdict};
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::form::Form;
use crate::store::repo::{FreshId, ops, revoked};
use serde_json::{Value, json};

/// Which key the tokens are bound to.
pub enum SenderOf<'a> {
    /// The token request's (its DPoP proof, else its certificate).
    TokenRequest(&'a Caller),
    /// The backchannel request's (push: no token request comes).
    Recorded,
}

/// What the redeeming transaction found.
enum Redeemed {
    Now {
        request: Box<BackchannelRequest>,
        device: DeviceAuthentication,
        binding: Binding,
        /// The access and refresh token ids stored.
        ids: (FreshId, FreshId),
    },
    Refused(OAuthError),
    /// Pending or `slow_down`: the poll to remember on the node
    /// (`oauth::ciba::poll_times`).
    Polled(OAuthError, Polled),
}

/// The token endpoint's grant (CIBA Core §10.1, §11): the token response.
pub async fn exchange(
    op: &OpState,
    caller: &Caller,
    client: &Client,
    form: &Form,
    uses: &mut OneTimeUses,
) -> Result<Value, OAuthError> {
    let auth_req_id = AuthReqId::from_token_form(form)?;
    if client
        .ciba
        .as_ref()
        .is_none_or(|c| !c.metadata.backchannel_token_delivery_mode.uses_token_endpoint())
    {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "this client does not poll for CIBA tokens (its backchannel_token_delivery_mode, CIBA Core §10.1)",
        ));
    }
    redeem(
        op,
        client,
        auth_req_id.as_str(),
        SenderOf::TokenRequest(caller),
        uses,
    )
    .await
}

/// Redeems approved request `auth_req_id` of `client` (see the module
/// documentation); the token response (RFC 6749 §5.1).
pub async fn redeem(
    op: &OpState,
    client: &Client,
    auth_req_id: &str,
    sender: SenderOf<'_>,
    uses: &mut OneTimeUses,
) -> Result<Value, OAuthError> {
    let now = op.now();
    let proof = match &sender {
        SenderOf::TokenRequest(caller) => token_dpop_proof(op, caller, uses)?,
        SenderOf::Recorded => None,
    };
    let tokens_config = &op.config.get().tokens;
    let (access_ttl, refresh_ttl) = (
        tokens_config.access_token_ttl_secs,
        tokens_config.refresh_token_ttl_secs,
    );
    let opaque = client.access_token_format == AccessTokenFormat::Opaque;
    let (proof, sender) = (proof.as_ref(), &sender);
    let poll_times = op.services.ciba.as_deref().map(|c| &c.poll_times);
    let key = poll_key(auth_req_id);
    let remembered = poll_times.and_then(|t| t.get(&key));
    let redeemed = uses
        .commit_with(&op.services.repo, now, |tx| async move {
            let Some(found) = ops::find::<BackchannelRequest>(&tx, auth_req_id, now).await? else {
                return Ok(Redeemed::Refused(invalid_grant(
                    "unknown auth_req_id (CIBA Core §11)",
                )));
            };
            let mut request = found.payload;
            if request.client_id != client.client_id {
                return Ok(Redeemed::Refused(invalid_grant(
                    "unknown auth_req_id (CIBA Core §11)",
                )));
            }
            let stored_interval = request.interval;
            if let Some(polled) = remembered {
                request.last_polled_at = request.last_polled_at.max(Some(polled.at));
                request.interval = request.interval.max(polled.interval);
            }
            let verdict = match sender {
                SenderOf::TokenRequest(_) => request.poll(now),
                // CIBA Core §10.3: pushed once, right after the approval; the
                // token endpoint's poll rules (interval, push clients refused)
                // are not this delivery's.
                SenderOf::Recorded => match request.status.clone() {
                    CibaStatus::Approved(device) if !request.is_expired(now) => {
                        request.mark_redeemed();
                        PollVerdict::Issue(device)
                    }
                    _ => {
                        return Ok(Redeemed::Refused(invalid_grant(
                            "the request is not approved (CIBA Core §10.3)",
                        )));
                    }
                },
            };
            let device = match verdict {
                PollVerdict::Issue(device) => device,
                PollVerdict::Refuse(refusal @ (PollRefusal::Pending | PollRefusal::SlowDown)) => {
                    // CIBA Core §11: an interval raised by slow_down is kept
                    // "for this and all subsequent requests": in the store,
                    // for every node. The poll's time stays on this node.
                    if request.interval > stored_interval {
                        let ttl = request.store_expires_at().saturating_sub(now).max(1);
                        ops::upsert(&tx, auth_req_id, &request, Some(ttl), now).await?;
                    }
                    let polled = Polled {
                        at: now,
                        interval: request.interval,
                        expires_at: request.expires_at,
                    };
                    return Ok(Redeemed::Polled(refusal.into(), polled));
                }
                PollVerdict::Refuse(refusal) => return Ok(Redeemed::Refused(refusal.into())),
            };
            let bound_jkt = match &request.sender {
                Some(Binding::Dpop(jkt)) => Some(jkt.as_str()),
                _ => None,
            };
            let binding = match sender {
                SenderOf::TokenRequest(caller) => {
                    match binding_for(proof, bound_jkt, client.dpop_bound_access_tokens, caller) {
                        Ok(binding) => binding,
                        Err(refused) => return Ok(Redeemed::Refused(refused)),
                    }
                }
                SenderOf::Recorded => match &request.sender {
                    Some(binding) => binding.clone(),
                    None => {
                        return Ok(Redeemed::Refused(OAuthError::invalid_request(
                            "pushed tokens need the key the request came with (FAPI 2.0 §5.3.2.1)",
                        )));
                    }
                },
            };
            let Some(grant_id) = request.grant_id.clone() else {
                return Ok(Redeemed::Refused(OAuthError::bare(ErrorCode::ServerError)));
            };
            let ttl = request.store_expires_at().saturating_sub(now).max(1);
            ops::upsert(&tx, auth_req_id, &request, Some(ttl), now).await?;
            if revoked::is_revoked(&tx, &grant_id, now).await? {
                return Ok(Redeemed::Refused(tokens::revoked_grant()));
            }
            let code = as_redeemed_code(&request, &device, grant_id);
            // Drawn only for a redemption (most polls are pending answers).
            let (access, refresh) = (FreshId::generate()?, FreshId::generate()?);
            if opaque {
                let token = tokens::access_record_for_code(&code, &binding, now, access_ttl);
                ops::insert_new(&tx, &access, &token, Some(access_ttl), now).await?;
            }
            if let Some(token) = tokens::refresh_record_for_code(&code, &binding, now, refresh_ttl) {
                let kept = tokens::refresh_store_ttl(op, &token, now);
                ops::insert_new(&tx, &refresh, &token, Some(kept), now).await?;
            }
            Ok(Redeemed::Now {
                request: Box::new(request),
                device,
                binding,
                ids: (access, refresh),
            })
        })
        .await?;
    let (request, device, binding, (access_id, refresh_id)) = match redeemed {
        Redeemed::Now {
            request,
            device,
            binding,
            ids,
        } => (*request, device, binding, ids),
        Redeemed::Refused(refused) => return Err(refused),
        Redeemed::Polled(answer, polled) => {
            let remembered = poll_times.is_some_and(|t| t.remember(key, polled, now));
            if !remembered {
                persist_poll(op, auth_req_id, polled, now).await;
            }
            return Err(answer);
        }
    };
    if let Some(times) = poll_times {
        times.forget(&key);
    }
    let grant_id = request.grant_id.clone().unwrap_or_default();
    let code = as_redeemed_code(&request, &device, grant_id);
    let (access_token, expires_in) = if opaque {
        (access_id.into_string(), access_ttl)
    } else {
        let token = tokens::access_record_for_code(&code, &binding, now, access_ttl);
        let under = tokens::IssuedUnder::CustomersGrant;
        tokens::issue_access_token(op, token, under, client.access_token_format, now, uses).await?
    };
    let refresh_token = tokens::grants_offline_access(&code).then(|| refresh_id.into_string());
    let pushed = matches!(sender, SenderOf::Recorded);
    let id_token = if code.scopes.iter().any(|s| s == "openid") {
        let mut hashed = Vec::new();
        if pushed {
            // CIBA Core §10.3.1: the pushed ID token binds the tokens.
            hashed.push(("at_hash", access_token.as_str()));
            if let Some(refresh) = &refresh_token {
                hashed.push(("rt_hash", refresh.as_str()));
            }
        }
        let consent = match &request.openbanking_intent_id {
            Some(_) => crate::consent::of_grant(&op.services.repo, &code.grant_id, now)
                .await
                .map_err(|_| OAuthError::bare(ErrorCode::TemporarilyUnavailable))?,
            None => None,
        };
        let facts = IdTokenFacts {
            client_id: &client.client_id,
            account_id: &code.account_id,
            auth_time: device.auth_time,
            nonce: None,
            consent_id: consent.as_ref().map(|c| c.consent_id.as_str()),
            authentication: Some(&device),
            auth_req_id: pushed.then_some(auth_req_id),
            // The backchannel request carries no `claims` request (CIBA
            // Core §7.1 lists none); `scope` claims come from userinfo.
            released: None,
        };
        let signed = id_token::sign(op, &facts, &hashed, now).await?;
        Some(id_token::encrypt_for(client, signed)?)
    } else {
        None
    };
    let mut body = json!({
        "access_token": access_token,
        "token_type": binding.token_type(),
        "expires_in": expires_in,
        "scope": code.scopes.join(" "),
    });
    if let Some(map) = body.as_object_mut() {
        if let Some(id_token) = id_token {
            map.insert("id_token".into(), Value::String(id_token));
        }
        if let Some(refresh_token) = refresh_token {
            map.insert("refresh_token".into(), Value::String(refresh_token));
        }
        if let Some(details) = crate::protocol::rar::stored_value(code.authorization_details.as_deref()) {
            map.insert("authorization_details".into(), details);
        }
        // Grant Management §5.5: the grant the customer's decision made.
        if !code.grant_id.is_empty() {
            map.insert("grant_id".into(), Value::String(code.grant_id.clone()));
        }
    }
    tracing::info!(target: "fiducia::audit", client_id = %client.client_id, account_id = %code.account_id, token_type = binding.token_type(), pushed, "CIBA tokens issued");
    Ok(body)
}

/// The node's key of request `auth_req_id` (its store id key: SHA-256).
fn poll_key(auth_req_id: &str) -> [u8; 32] {
    let id = crate::store::keys::Kind::BackchannelAuthenticationRequest.id_key(auth_req_id);
    id.try_into().unwrap_or([0; 32])
}

/// The node had no room to remember a poll: it is written to the store
/// (best effort; a lost write only lets the next poll come sooner).
async fn persist_poll(op: &OpState, auth_req_id: &str, polled: Polled, now: u64) {
    let written = op
        .services
        .repo
        .store()
        .run(|tx, _| async move {
            let Some(found) = ops::find::<BackchannelRequest>(&tx, auth_req_id, now).await? else {
                return Ok(());
            };
            let mut request = found.payload;
            request.last_polled_at = request.last_polled_at.max(Some(polled.at));
            request.interval = request.interval.max(polled.interval);
            let ttl = request.store_expires_at().saturating_sub(now).max(1);
            ops::upsert(&tx, auth_req_id, &request, Some(ttl), now).await
        })
        .await;
    if let Err(error) = written {
        tracing::warn!(%error, "a CIBA poll was not written");
    }
}

/// The approved request in the shape a redeemed code has, so the tokens
/// are built as every code flow's are (no redirect URI, PKCE or nonce:
/// CIBA has none).
fn as_redeemed_code(
    request: &BackchannelRequest,
    device: &DeviceAuthentication,
    grant_id: String,
) -> AuthorizationCode {
    AuthorizationCode {
        client_id: request.client_id.clone(),
        redirect_uri: String::new(),
        code_challenge: String::new(),
        account_id: request.account_id.clone(),
        scopes: request.scopes.clone(),
        nonce: None,
        auth_time: device.auth_time,
        dpop_jkt: None,
        grant_id,
        authorization_details: request.authorization_details.clone(),
        claims: None,
        acr: device.acr.clone(),
        amr: device.amr.clone(),
    }
}
