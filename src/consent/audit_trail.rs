//! The audit records of a consent's life (UK OBIE consent status:
//! created AwaitingAuthorisation, then Authorised or Rejected by the
//! customer, Consumed by its payment, Revoked): the status before and
//! after, the client the consent belongs to, and the grant it was
//! authorised under. No payment detail or account number is recorded.

use super::state::{ConsentEvent, ConsentStatus};
use crate::store::audit::{Actor, AuditEvent, Change, EventType, Target};

/// Consent `consent_id` created by `client_id` (awaiting authorisation).
pub fn created(consent_id: &str, client_id: &str, status: ConsentStatus) -> AuditEvent {
    AuditEvent::new(
        EventType::ConsentCreated,
        Actor::Client(client_id.to_string()),
        Target::new("consent", consent_id),
    )
    .and_target(Target::new("client", client_id))
    .with_change(Change::state("status", None, status.as_str()))
}

/// Consent `consent_id` of `client_id` moved by `event` from `from` to
/// `to`, by `actor`.
pub fn moved(
    actor: Actor,
    (consent_id, client_id): (&str, &str),
    event: ConsentEvent,
    (from, to): (ConsentStatus, ConsentStatus),
) -> AuditEvent {
    let kind = match event {
        ConsentEvent::Approve => EventType::ConsentAuthorised,
        ConsentEvent::Reject => EventType::ConsentRejected,
        ConsentEvent::Consume => EventType::ConsentConsumed,
        ConsentEvent::Revoke => EventType::ConsentRevoked,
    };
    AuditEvent::new(kind, actor, Target::new("consent", consent_id))
        .and_target(Target::new("client", client_id))
        .with_change(Change::state("status", Some(from.as_str()), to.as_str()))
}
