//! The continuous-trust lease: which node runs the trust checks
//! (`oauth/registration/trust.rs`) while several share one store. One
//! record, [`TrustLease`], names the holder and when its hold ends; the
//! rules here decide, without I/O, what a node does with the record it
//! read. The transaction around them is `oauth/registration/trust_lease.rs`.
//!
//! - No lease, or one whose expiry has passed: the node takes it.
//! - The node's own lease, not yet expired: it renews it.
//! - Another node's live lease: it waits (runs no checks) until it expires.
//!
//! A lease lasts [`LEASE_INTERVALS`] heartbeats (the check interval, at
//! most [`MAX_HEARTBEAT_SECS`]) and its holder renews it every heartbeat,
//! also while a round runs, so a holder that dies (no release) is replaced
//! within that many heartbeats (30 s at the default five-minute interval),
//! and a holder whose renewals are a little late, or whose clock is a
//! little off from the others', keeps it. A node's clock runs ahead of the
//! holder's by up to (lifetime − heartbeat) before it could take a live
//! lease; if it does, two nodes run a round at
//! once, which costs duplicate directory requests and nothing else: each
//! trust change is its own read-modify-write transaction.

use crate::store::keys::Kind;
use crate::store::record::{Links, StoredRecord};
use serde::{Deserialize, Serialize};

/// Store id of the one lease record (a `replay`-kind record: short-lived,
/// with an expiry, swept when abandoned; `store/keys.rs`).
pub const LEASE_ID: &str = "trust-lease";

/// Heartbeats a lease lasts: renewed every heartbeat, so a holder may miss
/// one renewal (a slow store) and keep it.
pub const LEASE_INTERVALS: u64 = 3;

/// Who holds the lease, until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustLease {
    /// The holder's node id (random per process, `server.rs`).
    pub holder: String,
    /// Unix seconds at which the hold ends unless renewed.
    pub expires_at: u64,
}

impl StoredRecord for TrustLease {
    const KIND: Kind = Kind::ReplayDetection;
    fn links(&self) -> Links {
        Links::default()
    }
}

/// What a node does with the lease it read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseStep {
    /// Nobody holds a live lease: take it.
    Take,
    /// This node holds it: extend it.
    Renew,
    /// Another node holds it until `until`: run no checks.
    Wait {
        /// The holder's node id.
        holder: String,
        /// When its lease ends unless renewed.
        until: u64,
    },
}

impl LeaseStep {
    /// Whether this step leaves `node` holding the lease.
    pub fn holds(&self) -> bool {
        matches!(self, LeaseStep::Take | LeaseStep::Renew)
    }
}

/// Decides for `node` at `now` given the lease `current` read in the same
/// transaction (`None`: no record, or the store already hides it as
/// expired).
pub fn decide(current: Option<&TrustLease>, node: &str, now: u64) -> LeaseStep {
    match current {
        None => LeaseStep::Take,
        Some(lease) if lease.expires_at <= now => LeaseStep::Take,
        Some(lease) if lease.holder == node => LeaseStep::Renew,
        Some(lease) => LeaseStep::Wait {
            holder: lease.holder.clone(),
            until: lease.expires_at,
        },
    }
}

/// Longest time between two renewals, seconds: the lease is renewed this
/// often however far apart the rounds are, so a dead holder is replaced
/// within [`LEASE_INTERVALS`] of these rather than of the (default five
/// minute) check interval.
pub const MAX_HEARTBEAT_SECS: u64 = 10;

/// Seconds between renewals for checks every `interval_secs`: the interval
/// itself when shorter than [`MAX_HEARTBEAT_SECS`] (at least 1).
pub fn heartbeat_secs(interval_secs: u64) -> u64 {
    interval_secs.clamp(1, MAX_HEARTBEAT_SECS)
}

/// Seconds a lease lasts for checks every `interval_secs`: three
/// heartbeats.
pub fn lifetime_secs(interval_secs: u64) -> u64 {
    heartbeat_secs(interval_secs).saturating_mul(LEASE_INTERVALS)
}

/// The lease `node` writes when it takes or renews at `now`.
pub fn granted(node: &str, now: u64, lifetime_secs: u64) -> TrustLease {
    TrustLease {
        holder: node.to_string(),
        expires_at: now.saturating_add(lifetime_secs),
    }
}

/// Whether `node` may delete `current` as it stops: only its own lease,
/// so a node that lost it (expired, taken over) does not end the new
/// holder's.
pub fn may_release(current: Option<&TrustLease>, node: &str) -> bool {
    current.is_some_and(|lease| lease.holder == node)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000;

    fn lease(holder: &str, expires_at: u64) -> TrustLease {
        TrustLease {
            holder: holder.into(),
            expires_at,
        }
    }

    #[test]
    fn a_node_takes_a_lease_nobody_holds() {
        assert_eq!(decide(None, "a", NOW), LeaseStep::Take);
        assert!(decide(None, "a", NOW).holds());
    }

    #[test]
    fn the_holder_renews_its_live_lease() {
        let own = lease("a", NOW + 5);
        assert_eq!(decide(Some(&own), "a", NOW), LeaseStep::Renew);
        let renewed = granted("a", NOW, lifetime_secs(6));
        assert_eq!(renewed.expires_at, NOW + 18);
        assert_eq!(renewed.holder, "a");
    }

    #[test]
    fn another_nodes_live_lease_is_waited_for() {
        let theirs = lease("b", NOW + 1);
        let step = decide(Some(&theirs), "a", NOW);
        assert_eq!(
            step,
            LeaseStep::Wait {
                holder: "b".into(),
                until: NOW + 1
            }
        );
        assert!(!step.holds());
    }

    #[test]
    fn an_expired_lease_is_taken_over_at_its_expiry_second() {
        // A holder that died stops renewing: at its expiry anyone takes it.
        let dead = lease("b", NOW);
        assert_eq!(decide(Some(&dead), "a", NOW), LeaseStep::Take);
        assert_eq!(
            decide(Some(&dead), "a", NOW - 1),
            LeaseStep::Wait {
                holder: "b".into(),
                until: NOW
            }
        );
        // Its own expired lease is taken afresh, not renewed: the same outcome.
        assert_eq!(decide(Some(&dead), "b", NOW), LeaseStep::Take);
    }

    #[test]
    fn a_lease_lasts_three_heartbeats_of_at_most_ten_seconds_and_never_zero() {
        assert_eq!(lifetime_secs(1), LEASE_INTERVALS);
        assert_eq!(lifetime_secs(0), LEASE_INTERVALS);
        assert_eq!(heartbeat_secs(4), 4);
        // The default five-minute checks: renewed every 10 s, a dead
        // holder replaced within 30 s.
        assert_eq!(heartbeat_secs(300), MAX_HEARTBEAT_SECS);
        assert_eq!(lifetime_secs(300), 30);
        assert_eq!(lifetime_secs(u64::MAX), 30);
        assert_eq!(granted("a", u64::MAX - 1, 10).expires_at, u64::MAX);
    }

    #[test]
    fn only_the_holder_releases() {
        assert!(may_release(Some(&lease("a", NOW)), "a"));
        assert!(!may_release(Some(&lease("b", NOW)), "a"));
        assert!(!may_release(None, "a"));
    }
}
