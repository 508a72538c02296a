//! `POST /ciba/decision`: the bank's device channel reports the customer's
//! decision on a backchannel authentication request (one, or several at
//! once: `decision_batch.rs` reads the body and authenticates the caller;
//! this file records each decision).
//!
//! Who may call: only the device channel, over mTLS with a certificate
//! chaining to `tls.client_ca` whose subject is `[ciba] device_subject_dn`
//! (RFC 8705 §2.1.2 distinguishedNameMatch), like a resource server at
//! introspection. What it trusts: the channel authenticated the customer;
//! the body names the request (`auth_req_id`), the customer (`sub`, which
//! must be the request's), the decision and how the customer
//! authenticated (`acr`, `amr`, `auth_time`, which must fall within the
//! request's life). What it bounds: the body (16 KiB), one decision per
//! request (409 after the first), none after expiry (404).
//!
//! An approval, in one transaction with the request: a grant (its
//! lifetime as a code flow's), and the UK OBIE consent the request named
//! moved to Authorised with it — a consent no longer awaiting
//! authorisation turns the approval into a denial. Then, after the commit,
//! a ping client is pinged and a push client's tokens are issued and
//! pushed (`notify.rs`).

use super::service::Ciba;
use crate::consent::decision::{ConsentDecided, decide_consent};
use crate::model::ciba::BackchannelRequest;
use crate::model::records::Grant;
use crate::oauth::caller::Caller;
use crate::oauth::interaction::grant_decided;
use crate::oauth::op::OpState;
use crate::protocol::ciba::{CibaStatus, Decision, DecisionRefusal, DeviceAuthentication, auth_req_id};
use crate::protocol::client_auth::subject_dn_matches;
use crate::store::repo::ops;
use serde::Deserialize;

/// Largest decision body read.
pub const MAX_DECISION_BYTES: usize = 16 * 1024;

/// Why a decision was not recorded (the channel's answers).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionFailure {
    /// Not the device channel's certificate: 401.
    #[error("the caller is not the device channel")]
    Unauthorized,
    /// Malformed body or `auth_time`: 400 `invalid_request`.
    #[error("{0}")]
    Malformed(&'static str),
    /// Unknown, expired or another customer's: 404 `not_found`.
    #[error("no such pending request")]
    NotFound,
    /// Decided before: 409 `already_decided`.
    #[error("the request was already decided")]
    AlreadyDecided,
    /// The store failed: 503.
    #[error("temporarily unavailable")]
    Unavailable,
}

/// The body (the device channel contract); also one of a batch's
/// `decisions` (`decision_batch.rs`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Body {
    pub(super) auth_req_id: String,
    decision: String,
    sub: String,
    #[serde(default)]
    acr: Option<String>,
    #[serde(default)]
    amr: Vec<String>,
    auth_time: u64,
}

/// Most `amr` values and the longest of any value read.
const MAX_AMR: usize = 8;
const MAX_VALUE_LEN: usize = 128;

/// Records one decision of the authenticated device channel.
pub(super) async fn record_body(op: &OpState, ciba: &Ciba, body: Body) -> Result<(), DecisionFailure> {
    if !auth_req_id::is_well_formed(&body.auth_req_id) {
        return Err(DecisionFailure::NotFound);
    }
    let bounded =
        |s: &str| !s.is_empty() && s.len() <= MAX_VALUE_LEN && s.chars().all(|c| c.is_ascii_graphic());
    if body.amr.len() > MAX_AMR
        || !body.amr.iter().all(|a| bounded(a))
        || body.acr.as_deref().is_some_and(|a| !bounded(a))
    {
        return Err(DecisionFailure::Malformed(
            "acr and amr must be short printable values",
        ));
    }
    let decision = match body.decision.as_str() {
        "approved" => Decision::Approved(DeviceAuthentication {
            acr: body.acr,
            amr: body.amr,
            auth_time: body.auth_time,
        }),
        "denied" => Decision::Denied,
        _ => return Err(DecisionFailure::Malformed("decision must be approved or denied")),
    };
    let id_key = crate::store::keys::Kind::BackchannelAuthenticationRequest.id_key(&body.auth_req_id);
    let request = record(op, ciba, &id_key, &body.sub, decision, Decider::Device).await?;
    super::notify::after_decision(op, ciba, &request, &body.auth_req_id).await;
    Ok(())
}

/// Who decides a request: the device channel, or the interaction app it
/// was handed to (`BackchannelRequest::app`, `app_api.rs`). Each decides
/// only its own: the other's request is as unknown as a missing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decider<'a> {
    /// `POST /ciba/decision`.
    Device,
    /// `POST /interaction-api/ciba/decision` of this app.
    App(&'a str),
}

impl Decider<'_> {
    /// Whether a request handed to `app` (`None`: the device channel's)
    /// is this decider's.
    fn owns(self, app: Option<&str>) -> bool {
        match (self, app) {
            (Decider::Device, None) => true,
            (Decider::App(caller), Some(app)) => caller == app,
            _ => false,
        }
    }
}

/// Records `decision` on the request stored under `id_key` (the SHA-256
/// of its `auth_req_id`) about customer `sub`, by `decider`: once, before
/// expiry, for the request's own customer (CIBA Core §7: the OP
/// authenticates the user it identified from the hint); an approval makes
/// the grant in the same transaction. The decided request is returned for
/// the notification (the caller's: it needs the `auth_req_id`).
pub(super) async fn record(
    op: &OpState,
    ciba: &Ciba,
    id_key: &[u8],
    sub: &str,
    decision: Decision,
    decider: Decider<'_>,
) -> Result<BackchannelRequest, DecisionFailure> {
    let now = op.now();
    let lifetimes = crate::oauth::interaction::Lifetimes::from_config(op.config.get(), &op.tokens());
    let grant_id = crate::oauth::secrets::new_secret().map_err(|_| DecisionFailure::Unavailable)?;
    let grant_id = grant_id.as_str();
    let decided = op
        .services
        .repo
        .store()
        .run(|tx, _| {
            let decision = decision.clone();
            async move {
                let Some(found) = ops::find_by_key::<BackchannelRequest>(&tx, id_key, now).await? else {
                    return Ok(Err(DecisionRefusal::NotFound));
                };
                let mut request = found.payload;
                // Issue 25: a request handed to an app is not the device
                // channel's to decide, nor another app's.
                if !decider.owns(request.app.as_deref()) {
                    return Ok(Err(DecisionRefusal::NotFound));
                }
                if let Err(refusal) = request.decide(sub, decision, now) {
                    return Ok(Err(refusal));
                }
                let approve = matches!(request.status, CibaStatus::Approved(_));
                // UK OBIE: the consent moves with the decision; one no longer
                // awaiting authorisation turns an approval into a denial.
                let consent_allows = match &request.openbanking_intent_id {
                    Some(consent_id) => {
                        let decided = ConsentDecided {
                            approve,
                            account_id: &request.account_id,
                            grant_id,
                            debtor: None,
                            app: None,
                        };
                        let at = (now, lifetimes.consent);
                        decide_consent(&tx, consent_id, &request.client_id, decided, at).await?
                    }
                    None => {
                        let client = (request.client_id.as_str(), request.scopes.as_slice());
                        let event = grant_decided(approve, &request.account_id, client, grant_id);
                        crate::store::audit::append(&tx, &event, now).await?;
                        true
                    }
                };
                if approve && consent_allows {
                    let grant = Grant {
                        client_id: request.client_id.clone(),
                        account_id: request.account_id.clone(),
                        scopes: request.scopes.clone(),
                        created: now,
                        authorization_details: request.authorization_details.clone(),
                        claims: None,
                    };
                    let grant_ttl = lifetimes.grant_secs(&grant.scopes);
                    ops::upsert(&tx, grant_id, &grant, Some(grant_ttl), now).await?;
                    request.grant_id = Some(grant_id.to_string());
                } else if approve {
                    request.status = CibaStatus::Denied;
                }
                let ttl = request.store_expires_at().saturating_sub(now).max(1);
                ops::upsert_by_key(&tx, id_key, &request, Some(ttl), now).await?;
                Ok(Ok(request))
            }
        })
        .await
        .map_err(|_| DecisionFailure::Unavailable)?;
    let request = decided.map_err(|refusal| match refusal {
        DecisionRefusal::NotFound => DecisionFailure::NotFound,
        DecisionRefusal::AlreadyDecided => DecisionFailure::AlreadyDecided,
        DecisionRefusal::AuthTime => DecisionFailure::Malformed("auth_time is not within the request's life"),
    })?;
    ciba.pending.settle(request.expires_at);
    let approved = matches!(request.status, CibaStatus::Approved(_));
    let decided = if approved { "approved" } else { "denied" };
    metrics::counter!("fiducia_ciba_decisions_total", "decision" => decided).increment(1);
    tracing::info!(
        target: "fiducia::audit",
        client_id = %request.client_id,
        account_id = %request.account_id,
        approved,
        interaction_app = ?request.app,
        "customer decided on a backchannel authentication request"
    );
    Ok(request)
}

/// The device channel's certificate (see the module documentation).
pub(super) fn authenticate(op: &OpState, caller: &Caller) -> Result<(), DecisionFailure> {
    let expected = &op.config.get().ciba.device_subject_dn;
    let cert = caller
        .client_cert
        .as_ref()
        .filter(|c| c.chain_verified())
        .ok_or(DecisionFailure::Unauthorized)?;
    match subject_dn_matches(expected, cert.leaf()) {
        Ok(true) => Ok(()),
        _ => {
            tracing::warn!(target: "fiducia::audit", "a CIBA decision from a certificate that is not the device channel's");
            Err(DecisionFailure::Unauthorized)
        }
    }
}
