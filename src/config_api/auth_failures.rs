//! `admin_authentication_failed` audit records for refused tokens, bounded:
//! at most one record per source address per second and at most
//! [`MAX_RECORDS_PER_SECOND`] in all, so that a flood of bad tokens cannot
//! fill the store; what is not recorded is counted
//! (`fiducia_config_api_auth_failures_unrecorded_total`). Every refusal is
//! counted by reason (`fiducia_config_api_auth_failures_total`).
//!
//! A record names the reason, the source address and — when the token's
//! signature verified — its issuer and subject; never token bytes (the
//! token is a bearer credential until it expires).

use super::refusal::{Reason, Refusal};
use crate::store::audit::{self, Actor, AuditEvent, Change, EventType, Target};
use crate::store::kv::Store;
use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Mutex;

/// Records written per second across all sources.
pub const MAX_RECORDS_PER_SECOND: u32 = 20;
/// Source addresses remembered within one second.
const MAX_SOURCES: usize = 4096;

/// The rate bound's state.
#[derive(Debug, Default)]
pub struct AuthFailures {
    window: Mutex<Window>,
}

#[derive(Debug, Default)]
struct Window {
    second: u64,
    written: u32,
    sources: HashSet<IpAddr>,
}

impl AuthFailures {
    /// Whether a record for `source` may be written in second `now`.
    fn admit(&self, source: IpAddr, now: u64) -> bool {
        let Ok(mut window) = self.window.lock() else {
            return false;
        };
        if window.second != now {
            window.second = now;
            window.written = 0;
            window.sources.clear();
        }
        if window.written >= MAX_RECORDS_PER_SECOND
            || window.sources.len() >= MAX_SOURCES
            || window.sources.contains(&source)
        {
            return false;
        }
        window.sources.insert(source);
        window.written += 1;
        true
    }

    /// Counts `refusal` and appends its record when the bound allows.
    pub async fn record(&self, store: &Store, refusal: &Refusal, source: IpAddr, now: u64) {
        metrics::counter!("fiducia_config_api_auth_failures_total", "reason" => refusal.reason.code())
            .increment(1);
        if refusal.reason == Reason::NoToken {
            return; // nothing was presented, so nothing failed to authenticate
        }
        if !self.admit(source, now) {
            metrics::counter!("fiducia_config_api_auth_failures_unrecorded_total").increment(1);
            return;
        }
        let event = event(refusal, source);
        let event = &event;
        let appended = store
            .run(|tx, _| async move { audit::append(&tx, event, now).await.map(|_| ()) })
            .await;
        if let Err(error) = appended {
            metrics::counter!("fiducia_config_api_auth_failures_unrecorded_total").increment(1);
            tracing::warn!(%error, "config API: an authentication failure could not be audited");
        }
    }
}

/// The record of `refusal` from `source`.
pub fn event(refusal: &Refusal, source: IpAddr) -> AuditEvent {
    let actor = match &refusal.verified {
        Some((issuer, subject)) => Actor::Operator(format!("{subject}@{issuer}")),
        None => Actor::Operator("unauthenticated".into()),
    };
    let mut event = AuditEvent::new(
        EventType::AdminAuthenticationFailed,
        actor,
        Target::new("source_address", &source.to_string()),
    )
    .with_change(Change::state("reason", None, refusal.reason.code()));
    if let Some((issuer, subject)) = &refusal.verified {
        event = event
            .and_target(Target::new("issuer", issuer))
            .and_target(Target::new("subject", subject));
    }
    event
}

#[cfg(test)]
mod tests {
    use super::super::refusal::Scheme;
    use super::*;

    #[test]
    fn one_record_per_source_per_second_and_a_global_bound() {
        let failures = AuthFailures::default();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(failures.admit(a, 10));
        assert!(!failures.admit(a, 10), "same source, same second");
        assert!(failures.admit(a, 11));
        let admitted = (0..100u8)
            .filter(|i| failures.admit(IpAddr::from([198, 51, 100, *i]), 12))
            .count();
        assert_eq!(admitted, MAX_RECORDS_PER_SECOND as usize);
    }

    #[test]
    fn the_record_names_the_reason_and_who_when_verified_never_the_token() {
        let source: IpAddr = "192.0.2.9".parse().unwrap();
        let unverified = event(&Refusal::unverified(Reason::BadSignature, Scheme::Bearer), source);
        assert_eq!(unverified.actor, Actor::Operator("unauthenticated".into()));
        assert_eq!(unverified.targets.len(), 1);
        assert_eq!(unverified.changed[0].to.as_deref(), Some("bad_signature"));
        let verified = event(
            &Refusal {
                reason: Reason::Expired,
                scheme: Scheme::Bearer,
                verified: Some(("https://iam.example".into(), "ops".into())),
            },
            source,
        );
        assert_eq!(verified.actor, Actor::Operator("ops@https://iam.example".into()));
        assert_eq!(verified.targets[1], Target::new("issuer", "https://iam.example"));
    }
}
