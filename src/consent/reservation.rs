//! A consent pays once, decided in the OP's store before the bank is called.
//!
//! UK OBIE Payment Initiation API v3.1: a domestic payment consent
//! authorises one payment; RFC 9396 §2: a `payment_initiation` grant is the
//! consent, so the same holds for it. Every gateway replica asks the OP to
//! reserve the consent for the payment it is about to forward; one store
//! transaction reads the reservation and the consent and writes both, so of
//! any number of concurrent submissions (any replica, any token of the
//! grant, before or after a gateway restart) exactly one payment — one
//! (client, `x-idempotency-key`) — gets the consent:
//!
//! - no reservation yet: a UK OBIE consent must be `Authorised` and moves
//!   to `Consumed`; the reservation is written, bound to the key;
//! - a reservation for the same client and key: the same payment retried
//!   (the bank's ledger is idempotent per client and key, OBIE Read/Write
//!   API v3.1 "Idempotency", so it gets that payment back, never a second);
//! - a reservation for another key: refused.
//!
//! The reservation outlives every token of the grant (its lifetime is
//! passed in: the longest a token issued under the grant can live), so no
//! token can find the consent unreserved again.

use super::state::{ConsentEvent, ConsentStatus};
use super::{Consent, ConsentKind};
use crate::store::keys::Kind;
use crate::store::kv::KvError;
use crate::store::record::{Links, StoredRecord};
use crate::store::repo::{Repo, ops};
use serde::{Deserialize, Serialize};

/// What a payment uses up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsentRef {
    /// A UK OBIE domestic payment consent, by `ConsentId`.
    Obie(String),
    /// An RFC 9396 `payment_initiation` grant (no OBIE record), by grant id.
    Grant(String),
}

impl ConsentRef {
    /// The id the bank API is told (`x-fiducia-consent-id`).
    pub fn as_str(&self) -> &str {
        match self {
            ConsentRef::Obie(id) | ConsentRef::Grant(id) => id,
        }
    }

    /// The reservation's record id (the two namespaces kept apart).
    fn record_id(&self) -> String {
        match self {
            ConsentRef::Obie(id) => format!("obie:{id}"),
            ConsentRef::Grant(id) => format!("grant:{id}"),
        }
    }
}

/// The payment a consent was used for, as stored (`Kind::PaymentReservation`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentReservation {
    /// The fintech that made the payment.
    pub client_id: String,
    /// Its `x-idempotency-key` (OBIE Max40Text).
    pub idempotency_key: String,
    /// The grant whose token reserved it.
    pub grant_id: String,
    /// Unix seconds.
    pub reserved_at: u64,
}

impl StoredRecord for PaymentReservation {
    const KIND: Kind = Kind::PaymentReservation;
    fn links(&self) -> Links {
        // Not linked to the grant: revoking the grant's tokens must not
        // forget that the consent was used.
        Links {
            client_id: Some(self.client_id.clone()),
            ..Links::default()
        }
    }
}

/// What a reservation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reserved {
    /// This call reserved the consent for the payment.
    Now,
    /// It was reserved for this same payment (client and key) before: a retry.
    Again,
}

/// Why a consent could not be reserved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReserveError {
    /// It was reserved for another payment (another client or key).
    #[error("the consent was already used for another payment")]
    OtherPayment,
    /// The UK OBIE consent is not `Authorised` (or not this client's).
    #[error("{0}")]
    Status(String),
    /// The store failed.
    #[error("the store is unavailable")]
    Unavailable,
}

/// One payment's claim on a consent.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    /// The consent.
    pub consent: &'a ConsentRef,
    /// The client whose token makes the payment.
    pub client_id: &'a str,
    /// The grant of that token.
    pub grant_id: &'a str,
    /// The payment's `x-idempotency-key`.
    pub idempotency_key: &'a str,
    /// Seconds the store keeps an OBIE consent it moves to `Consumed`
    /// (`consents.retention_secs`, `consent::Lifetimes`).
    pub consent_retention_secs: u64,
}

/// Reserves `claim.consent` for the payment (`claim.client_id`,
/// `claim.idempotency_key`) in one transaction; the reservation lives
/// `lifetime` seconds. See the module documentation for the rule.
pub async fn reserve(
    repo: &Repo,
    claim: Claim<'_>,
    lifetime: u64,
    now: u64,
) -> Result<Reserved, ReserveError> {
    let record_id = &claim.consent.record_id();
    repo.store()
        .run(|tx, _| async move {
            if let Some(found) = ops::find::<PaymentReservation>(&tx, record_id, now).await? {
                let same = found.payload.client_id == claim.client_id
                    && found.payload.idempotency_key == claim.idempotency_key;
                return Ok(match same {
                    true => Ok(Reserved::Again),
                    false => Err(ReserveError::OtherPayment),
                });
            }
            if let ConsentRef::Obie(consent_id) = claim.consent
                && let Err(refused) = consume_consent(&tx, consent_id, &claim, now).await?
            {
                return Ok(Err(refused));
            }
            let reservation = PaymentReservation {
                client_id: claim.client_id.to_string(),
                idempotency_key: claim.idempotency_key.to_string(),
                grant_id: claim.grant_id.to_string(),
                reserved_at: now,
            };
            ops::upsert(&tx, record_id, &reservation, Some(lifetime), now).await?;
            Ok(Ok(Reserved::Now))
        })
        .await
        .map_err(|_: KvError| ReserveError::Unavailable)?
}

/// The reservation of `consent`, if it was used for a payment.
pub async fn find(
    repo: &Repo,
    consent: &ConsentRef,
    now: u64,
) -> Result<Option<PaymentReservation>, KvError> {
    Ok(repo
        .find::<PaymentReservation>(&consent.record_id(), now)
        .await?
        .map(|found| found.payload))
}

/// Inside the reservation's transaction: the client's domestic payment
/// consent moves Authorised → Consumed (OBIE consent status).
async fn consume_consent(
    tx: &crate::store::kv::Transaction,
    consent_id: &str,
    claim: &Claim<'_>,
    now: u64,
) -> Result<Result<(), ReserveError>, KvError> {
    let client_id = claim.client_id;
    let consent = ops::find::<Consent>(tx, consent_id, now)
        .await?
        .map(|found| found.payload)
        .filter(|c| c.client_id == client_id && matches!(c.kind, ConsentKind::DomesticPayment(_)));
    let Some(mut consent) = consent else {
        return Ok(Err(ReserveError::Status(
            "no domestic payment consent of this client".into(),
        )));
    };
    match consent.status.after(ConsentEvent::Consume) {
        Ok(ConsentStatus::Consumed) => {
            let before = consent.status;
            consent.status = ConsentStatus::Consumed;
            consent.status_updated_at = now;
            ops::upsert(
                tx,
                consent_id,
                &consent,
                Some(claim.consent_retention_secs.max(1)),
                now,
            )
            .await?;
            let actor = crate::store::audit::Actor::Client(client_id.to_string());
            let moved = (before, ConsentStatus::Consumed);
            let event =
                super::audit_trail::moved(actor, (consent_id, client_id), ConsentEvent::Consume, moved);
            crate::store::audit::append(tx, &event, now).await?;
            Ok(Ok(()))
        }
        Ok(other) => Ok(Err(ReserveError::Status(format!("the consent would be {other}")))),
        Err(bad) => Ok(Err(ReserveError::Status(bad.to_string()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::tests::{consent, payment_request, repo};

    fn claim<'a>(consent: &'a ConsentRef, key: &'a str) -> Claim<'a> {
        Claim {
            consent,
            client_id: "fintech",
            grant_id: "g-1",
            idempotency_key: key,
            consent_retention_secs: 1_000,
        }
    }

    /// OBIE Payment Initiation v3.1: one payment per consent; the same
    /// payment (client + x-idempotency-key) again is a retry, another key
    /// is refused, and the consent is Consumed by the first.
    #[tokio::test]
    async fn an_obie_consent_is_reserved_for_one_payment() {
        let (_dir, repo) = repo().await;
        let mut stored = consent("fintech", &payment_request());
        stored.status = ConsentStatus::Authorised;
        repo.upsert(&stored.consent_id, &stored, None, 1).await.unwrap();
        let reference = ConsentRef::Obie(stored.consent_id.clone());
        assert_eq!(
            reserve(&repo, claim(&reference, "k-1"), 100, 2).await,
            Ok(Reserved::Now)
        );
        assert_eq!(
            reserve(&repo, claim(&reference, "k-1"), 100, 3).await,
            Ok(Reserved::Again)
        );
        assert_eq!(
            reserve(&repo, claim(&reference, "k-2"), 100, 3).await,
            Err(ReserveError::OtherPayment)
        );
        let other_client = Claim {
            client_id: "other",
            ..claim(&reference, "k-1")
        };
        assert_eq!(
            reserve(&repo, other_client, 100, 3).await,
            Err(ReserveError::OtherPayment)
        );
        let now = repo
            .find::<Consent>(&stored.consent_id, 4)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(now.payload.status, ConsentStatus::Consumed);
        let found = find(&repo, &reference, 4).await.unwrap().unwrap();
        assert_eq!(found.idempotency_key, "k-1");
    }

    /// A consent not Authorised (awaiting, or consumed before reservations
    /// existed) cannot be reserved.
    #[tokio::test]
    async fn only_an_authorised_consent_can_be_reserved() {
        let (_dir, repo) = repo().await;
        let stored = consent("fintech", &payment_request());
        repo.upsert(&stored.consent_id, &stored, None, 1).await.unwrap();
        let reference = ConsentRef::Obie(stored.consent_id.clone());
        assert!(matches!(
            reserve(&repo, claim(&reference, "k-1"), 100, 2).await,
            Err(ReserveError::Status(_))
        ));
        let missing = ConsentRef::Obie("pdc-none".into());
        assert!(matches!(
            reserve(&repo, claim(&missing, "k-1"), 100, 2).await,
            Err(ReserveError::Status(_))
        ));
    }

    /// RFC 9396 §2: a payment_initiation grant is reserved the same way,
    /// concurrently: of eight submissions with different keys, one wins.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_reservations_of_a_grant_have_one_winner() {
        let (_dir, repo) = repo().await;
        let reference = ConsentRef::Grant("g-1".into());
        let keys: Vec<String> = (0..8).map(|i| format!("k-{i}")).collect();
        let results = futures::future::join_all(
            keys.iter()
                .map(|key| reserve(&repo, claim(&reference, key), 100, 2)),
        )
        .await;
        let won = results.iter().filter(|r| **r == Ok(Reserved::Now)).count();
        let refused = results
            .iter()
            .filter(|r| **r == Err(ReserveError::OtherPayment))
            .count();
        assert_eq!((won, refused), (1, 7), "{results:?}");
        // Expired with the grant's last token, not before.
        assert!(find(&repo, &reference, 101).await.unwrap().is_some());
        assert!(find(&repo, &reference, 102).await.unwrap().is_none());
    }
}
