//! Open-banking consents (UK OBIE style): a fintech creates a domestic
//! payment consent or an account access consent with a client_credentials
//! token, the customer authorises it at the bank, and it moves through the
//! state machine in [`state`]. Stored in the OP's store (`Kind::Consent`,
//! by consent id, indexed by client, grant and customer).
//!
//! Consent ids are derived from the client and its `x-idempotency-key`
//! (OBIE Read/Write API v3.1 "Idempotency"): a retried POST lands on the
//! same id in the same serializable transaction, so it can never create a
//! second consent, and the same key with another body is refused.

pub mod audit_trail;
pub mod dates;
pub mod debtor;
pub mod decision;
pub mod error;
pub mod intent;
pub mod lifetime;
pub mod obie;
pub mod reservation;
pub mod state;
pub mod withdraw;

use crate::store::keys::Kind;
use crate::store::kv::KvError;
use crate::store::record::{Links, StoredRecord};
use crate::store::repo::{Repo, ops};
use error::ObieError;
pub use lifetime::Lifetimes;
use serde::{Deserialize, Serialize};
use state::{ConsentEvent, ConsentStatus};

/// A consent as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// Its id (`ConsentId`), also the record's key.
    pub consent_id: String,
    /// The fintech that created it; only it may read or use it.
    pub client_id: String,
    /// What it allows.
    pub kind: ConsentKind,
    /// Where it stands.
    pub status: ConsentStatus,
    /// Unix seconds.
    pub created_at: u64,
    /// Unix seconds of the last status change.
    pub status_updated_at: u64,
    /// The request's `Risk` object as JSON text (bincode cannot hold a
    /// JSON value), echoed in responses.
    pub risk: String,
    /// SHA-256 of the creating request's body (as parsed JSON), to tell an
    /// idempotent retry from a reused key.
    pub request_digest: Vec<u8>,
    /// The customer who authorised it.
    pub account_id: Option<String>,
    /// The grant made when it was authorised.
    pub grant_id: Option<String>,
}

/// What a consent allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConsentKind {
    /// One domestic payment.
    DomesticPayment(Box<DomesticPayment>),
    /// Reading accounts.
    AccountAccess(AccountAccess),
}

/// `OBWriteDomesticConsent4` `Data.Initiation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomesticPayment {
    /// Max35Text, unique for the fintech.
    pub instruction_identification: String,
    /// Max35Text, carried to the creditor.
    pub end_to_end_identification: String,
    /// e.g. `UK.OBIE.FPS`.
    pub local_instrument: Option<String>,
    /// Decimal text, as sent.
    pub amount: String,
    /// ISO 4217.
    pub currency: String,
    /// Who is paid.
    pub creditor: CashAccount,
    /// Who pays; chosen by the customer at consent when absent.
    pub debtor: Option<CashAccount>,
    /// Max35Text.
    pub remittance_reference: Option<String>,
    /// Max140Text.
    pub remittance_unstructured: Option<String>,
}

/// An account as OBIE identifies it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CashAccount {
    /// e.g. `UK.OBIE.SortCodeAccountNumber`, `UK.OBIE.IBAN`.
    pub scheme_name: String,
    /// The account number in that scheme.
    pub identification: String,
    /// The account holder's name.
    pub name: Option<String>,
    /// e.g. a roll number.
    pub secondary_identification: Option<String>,
}

/// `OBReadConsent1` `Data`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountAccess {
    /// OBIE permission codes ([`obie::PERMISSIONS`]).
    pub permissions: Vec<String>,
    /// RFC 3339, as sent.
    pub expiration: Option<String>,
    /// RFC 3339, as sent.
    pub transaction_from: Option<String>,
    /// RFC 3339, as sent.
    pub transaction_to: Option<String>,
}

impl StoredRecord for Consent {
    const KIND: Kind = Kind::Consent;
    fn links(&self) -> Links {
        Links {
            client_id: Some(self.client_id.clone()),
            grant_id: self.grant_id.clone(),
            account_id: self.account_id.clone(),
            ..Links::default()
        }
    }
}

/// The consent id for `client_id`'s request with `idempotency_key`:
/// `prefix` + 128 bits of SHA-256(client_id ‖ 0 ‖ key), base64url.
pub fn consent_id(prefix: &str, client_id: &str, idempotency_key: &str) -> String {
    use base64::Engine;
    let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    context.update(client_id.as_bytes());
    context.update(&[0]);
    context.update(idempotency_key.as_bytes());
    let digest = context.finish();
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16]);
    format!("{prefix}{encoded}")
}

/// SHA-256 of a request body's JSON (serde_json orders object members, so
/// the same JSON in another member order or spacing digests the same).
pub fn request_digest(body: &serde_json::Value) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, body.to_string().as_bytes())
        .as_ref()
        .to_vec()
}

/// Stores `consent` as `id` unless a consent of that id exists; then the
/// existing one is the answer if it came from the same client and body
/// (an idempotent retry), else the key was reused. The flag says whether
/// this call stored it. It is stored for `lifetimes.awaiting_secs`
/// (`lifetime.rs`): one never authorised lapses.
pub async fn create(
    repo: &Repo,
    id: &str,
    consent: &Consent,
    lifetimes: Lifetimes,
    now: u64,
) -> Result<(Consent, bool), ObieError> {
    let outcome = repo
        .store()
        .run(|tx, _| async move {
            if let Some(found) = ops::find::<Consent>(&tx, id, now).await? {
                return Ok(Some(found.payload));
            }
            let ttl = lifetimes.store_ttl(consent, now);
            ops::upsert(&tx, id, consent, Some(ttl), now).await?;
            let event = audit_trail::created(id, &consent.client_id, consent.status);
            crate::store::audit::append(&tx, &event, now).await?;
            Ok(None)
        })
        .await
        .map_err(|_: KvError| ObieError::unavailable())?;
    match outcome {
        None => Ok((consent.clone(), true)),
        Some(existing)
            if existing.client_id == consent.client_id
                && existing.request_digest == consent.request_digest =>
        {
            Ok((existing, false))
        }
        Some(_) => Err(ObieError::idempotency_mismatch()),
    }
}

/// Consent `id` if it belongs to `client_id`.
pub async fn find_for_client(repo: &Repo, id: &str, client_id: &str, now: u64) -> Result<Consent, ObieError> {
    match repo.find::<Consent>(id, now).await {
        Ok(Some(found)) if found.payload.client_id == client_id => Ok(found.payload),
        Ok(_) => Err(ObieError::not_found()),
        Err(_) => Err(ObieError::unavailable()),
    }
}

/// The consent authorised under `grant_id`, if any (UK OBIE: the grant of
/// an authorization request that carried `openbanking_intent_id`).
pub async fn of_grant(repo: &Repo, grant_id: &str, now: u64) -> Result<Option<Consent>, KvError> {
    Ok(repo
        .find_by_grant::<Consent>(grant_id, now)
        .await?
        .into_iter()
        .next()
        .map(|found| found.payload))
}

/// Moves consent `id` of `client_id` on by `event` in one transaction,
/// letting `update` fill in what the event brings (customer, grant); the
/// new state is kept for its lifetime in `lifetimes`. The client is the
/// actor the audit record names.
pub async fn apply(
    repo: &Repo,
    id: &str,
    client_id: &str,
    event: ConsentEvent,
    at: (u64, Lifetimes),
    update: impl Fn(&mut Consent) + Send + Sync,
) -> Result<Consent, ObieError> {
    let actor = crate::store::audit::Actor::Client(client_id.to_string());
    apply_by(repo, (id, client_id), actor, event, at, update).await
}

/// [`apply`] asked for by `actor` (the client, or the customer withdrawing
/// a consent on the dashboard, `withdraw.rs`), whom the audit record names.
pub async fn apply_by(
    repo: &Repo,
    (id, client_id): (&str, &str),
    actor: crate::store::audit::Actor,
    event: ConsentEvent,
    (now, lifetimes): (u64, Lifetimes),
    update: impl Fn(&mut Consent) + Send + Sync,
) -> Result<Consent, ObieError> {
    let update = &update;
    let actor = &actor;
    repo.store()
        .run(|tx, _| async move {
            let Some(found) = ops::find::<Consent>(&tx, id, now).await? else {
                return Ok(Err(ObieError::not_found()));
            };
            let mut consent = found.payload;
            if consent.client_id != client_id {
                return Ok(Err(ObieError::not_found()));
            }
            match consent.status.after(event) {
                Ok(next) => {
                    let before = consent.status;
                    consent.status = next;
                    consent.status_updated_at = now;
                    update(&mut consent);
                    let ttl = lifetimes.store_ttl(&consent, now);
                    ops::upsert(&tx, id, &consent, Some(ttl), now).await?;
                    let event = audit_trail::moved(actor.clone(), (id, client_id), event, (before, next));
                    crate::store::audit::append(&tx, &event, now).await?;
                    Ok(Ok(consent))
                }
                Err(bad) => Ok(Err(ObieError::invalid_status(bad.to_string()))),
            }
        })
        .await
        .map_err(|_: KvError| ObieError::unavailable())?
}

#[cfg(test)]
pub(crate) mod tests;
