//! Revoked-grant markers. [`Repo::revoke_by_grant_id`] deletes a grant's
//! records in chunks, one transaction each, so on its own it could lose a
//! race with a refresh or a code exchange issuing under the same grant. Its
//! first transaction therefore writes a marker under the grant id, kept as
//! long as any token of the grant could live ([`GrantRevocation`]):
//!
//! - every transaction that issues under a grant reads the marker in the
//!   same transaction ([`is_revoked`]). The store is serializable: such a
//!   transaction either commits before the marker (and its tokens are in the
//!   grant index the later chunks read and delete) or conflicts with it and,
//!   retried, sees it and refuses;
//! - lookups treat a token under a marked grant as gone
//!   ([`Repo::find_under_live_grant`]), also while the chunks run.
//!
//! So once a revocation returns, no token of the grant is active, whatever
//! ran concurrently (RFC 7009 §2.1, RFC 6749 §4.1.2, RFC 9700 §4.14.2).
//!
//! Markers live in the `replay` subspace (one-time marks kept until they
//! expire, `keys.rs`) under `revoked_grant` NUL grant id, with the same
//! value as a seen `jti` (`SeenJti`): no new kind, no new value schema.
//!
//! [`Repo::revoke_by_grant_id`]: super::Repo::revoke_by_grant_id
//! [`Repo::find_under_live_grant`]: super::Repo::find_under_live_grant

use super::ops;
use crate::model::records::SeenJti;
use crate::store::audit::chain::node_name;
use crate::store::audit::{Actor, AuditEvent, Change, EventType, Target};
use crate::store::kv::{KvError, Transaction};

/// When a grant is revoked, why, and how long its marker is kept: at least
/// the longest lifetime of a token issued under it (the refresh token's
/// absolute lifetime), so that no token of it outlives the marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrantRevocation {
    /// Unix seconds.
    pub now: u64,
    /// Seconds the marker is kept from `now`.
    pub keep_secs: u64,
    /// Why: recorded in the audit trail with the marker.
    pub cause: RevocationCause,
}

/// Why a grant's tokens were revoked, and so who the audit trail names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationCause {
    /// An authorization code was presented twice (RFC 6749 §4.1.2).
    CodeReplay,
    /// A rotated refresh token was presented again (RFC 9700 §4.14.2).
    RefreshReplay,
    /// The client revoked a refresh token (RFC 7009 §2.1).
    ClientRevocation,
    /// The client withdrew the consent the grant was made on (UK OBIE).
    ConsentRevoked,
    /// The grant's consent was used for its payment.
    PaymentConsumed,
    /// The client revoked the grant at the grant management endpoint
    /// (Grant Management for OAuth 2.0 §6.5).
    GrantManagementRevoke,
    /// The client's registration was deleted (RFC 7592 §2.3).
    ClientDeleted,
    /// The client's directory withdrew trust in its software.
    ClientSuspended,
    /// An operator disabled the customer's account (`fiducia users`).
    CustomerDisabled,
    /// An operator disabled or deleted the customer's account through the
    /// Config API (`login/customers/service.rs`): revoked by the node that
    /// took the change, the operator named by its own record.
    CustomerDisabledThroughApi,
    /// An operator disabled the client (`oauth/managed_clients`).
    ClientDisabled,
    /// An operator deleted the client (`oauth/managed_clients`).
    ClientRemoved,
    /// The customer withdrew the grant on their consent dashboard
    /// (`/account/consents`), or through the bank's own app
    /// (`/interaction-api/customers/{account_id}/grants`).
    CustomerRevoked,
}

impl RevocationCause {
    /// The name the audit trail records.
    pub fn as_str(self) -> &'static str {
        match self {
            RevocationCause::CodeReplay => "code_replay",
            RevocationCause::RefreshReplay => "refresh_token_replay",
            RevocationCause::ClientRevocation => "client_revocation",
            RevocationCause::ConsentRevoked => "consent_revoked",
            RevocationCause::PaymentConsumed => "payment_consumed",
            RevocationCause::GrantManagementRevoke => "grant_management_revoke",
            RevocationCause::ClientDeleted => "client_deleted",
            RevocationCause::ClientSuspended => "client_suspended",
            RevocationCause::CustomerDisabled | RevocationCause::CustomerDisabledThroughApi => {
                "customer_disabled"
            }
            RevocationCause::ClientDisabled => "client_disabled",
            RevocationCause::ClientRemoved => "client_removed",
            RevocationCause::CustomerRevoked => "customer_revoked",
        }
    }

    /// Who caused it: the grant's client, an operator, or the node (the
    /// trust checks act on their own; an operator's disabling or deletion
    /// of a client, or a Config API caller's of a customer, is revoked by
    /// the node that took it, and the operator is named by that change's
    /// own `config_changed` or `customer_disabled` record); the customer
    /// `account_id` for their own withdrawal.
    pub fn actor(self, client_id: &str, account_id: &str) -> Actor {
        match self {
            RevocationCause::CustomerRevoked => Actor::Customer(account_id.to_string()),
            RevocationCause::ClientSuspended
            | RevocationCause::ClientDisabled
            | RevocationCause::ClientRemoved
            | RevocationCause::CustomerDisabledThroughApi => Actor::Node(node_name().to_string()),
            RevocationCause::CustomerDisabled => Actor::local_operator(),
            _ => Actor::Client(client_id.to_string()),
        }
    }
}

/// The audit record of revoking grant `grant_id` of `client_id` and the
/// customer `account_id`.
pub fn audit_event(
    grant_id: &str,
    (client_id, account_id): (&str, &str),
    cause: RevocationCause,
) -> AuditEvent {
    AuditEvent::new(
        EventType::GrantRevoked,
        cause.actor(client_id, account_id),
        Target::new("grant", grant_id),
    )
    .and_target(Target::new("client", client_id))
    .with_change(Change::state("reason", None, cause.as_str()))
}

/// The marker's record id (a bearer-secret kind: stored by hash).
fn marker_id(grant_id: &str) -> String {
    format!("revoked_grant\u{0}{grant_id}")
}

/// Writes the marker of `grant_id` inside `tx`.
pub async fn mark(tx: &Transaction, grant_id: &str, revocation: GrantRevocation) -> Result<(), KvError> {
    let seen = SeenJti {
        seen_at: revocation.now,
        marker: 0,
    };
    ops::upsert(
        tx,
        &marker_id(grant_id),
        &seen,
        Some(revocation.keep_secs.max(1)),
        revocation.now,
    )
    .await
}

/// Whether `grant_id` was revoked (its marker is there at `now`), read
/// inside `tx` so that a concurrent revocation conflicts with `tx`.
pub async fn is_revoked(tx: &Transaction, grant_id: &str, now: u64) -> Result<bool, KvError> {
    Ok(ops::find::<SeenJti>(tx, &marker_id(grant_id), now)
        .await?
        .is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The audit trail names who revoked: the customer for their own
    /// withdrawal (the consent dashboard), the client for its own requests.
    #[test]
    fn a_customers_withdrawal_names_the_customer() {
        let event = audit_event("g-1", ("c-1", "acc-1"), RevocationCause::CustomerRevoked);
        assert_eq!(event.actor, Actor::Customer("acc-1".into()));
        let event = audit_event("g-1", ("c-1", "acc-1"), RevocationCause::ConsentRevoked);
        assert_eq!(event.actor, Actor::Client("c-1".into()));
        assert_eq!(RevocationCause::CustomerRevoked.as_str(), "customer_revoked");
    }
}
