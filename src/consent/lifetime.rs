//! How long the store keeps a consent: every state has a lifetime, so no
//! consent record lives forever.
//!
//! - `AwaitingAuthorisation`: until `consents.awaiting_authorisation_ttl_secs`
//!   after its creation; an idempotent retry does not extend it. Then it
//!   lapses: reads no longer find it (GET 404, PAR refuses it) and the
//!   sweeper deletes it.
//! - Every other state: `consents.retention_secs` from the status change
//!   that led to it, at least as long as the tokens of its grant can live
//!   (checked at start-up, `config/consents.rs`).
//!
//! These are store bounds only; the OBIE dates inside a consent are the
//! consent's own rules.

use super::Consent;
use super::state::ConsentStatus;
use crate::config::ConsentsConfig;

/// The lifetimes, from `[consents]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    /// Seconds a consent may await authorisation, from its creation.
    pub awaiting_secs: u64,
    /// Seconds a consent is kept after it left `AwaitingAuthorisation`.
    pub retention_secs: u64,
}

impl From<&ConsentsConfig> for Lifetimes {
    fn from(c: &ConsentsConfig) -> Self {
        Self {
            awaiting_secs: c.awaiting_authorisation_ttl_secs,
            retention_secs: c.retention_secs,
        }
    }
}

impl Lifetimes {
    /// Seconds from `now` the store keeps `consent` as it is now (at least 1).
    pub fn store_ttl(&self, consent: &Consent, now: u64) -> u64 {
        match consent.status {
            ConsentStatus::AwaitingAuthorisation => consent
                .created_at
                .saturating_add(self.awaiting_secs)
                .saturating_sub(now)
                .max(1),
            _ => self.retention_secs.max(1),
        }
    }
}
