//! The continuous-trust lease in the store: one node at a time runs the
//! trust checks (`trust.rs`) however many share the store. Each check
//! interval a node reads the lease and takes or renews it in the same
//! transaction (the rules: `model/trust_lease.rs`); two nodes that try at
//! once conflict on the one record and the store retries the loser, which
//! then reads the winner's lease. Only a node whose take or renewal
//! committed runs that interval's round. A stopping holder deletes its
//! lease so another node takes over at its next interval; one that dies
//! leaves it to expire.
//!
//! Metric: `fiducia_trust_lease_held` (1 while this node holds the lease,
//! 0 otherwise).

use crate::model::trust_lease::{self, LEASE_ID, LeaseStep, TrustLease};
use crate::store::keys::Kind;
use crate::store::kv::KvError;
use crate::store::repo::{Repo, ops};

/// Reads the lease and takes or renews it for `node` at `now` when the
/// rules allow, in one transaction; the step taken. A take or renewal
/// whose commit outcome is unknown is retried by the store loop, which
/// then reads this node's own lease and renews it (the closure is
/// idempotent).
pub async fn acquire(repo: &Repo, node: &str, now: u64, lifetime_secs: u64) -> Result<LeaseStep, KvError> {
    repo.store()
        .run(|tx, _| async move {
            let current = ops::find::<TrustLease>(&tx, LEASE_ID, now).await?;
            let step = trust_lease::decide(current.as_ref().map(|f| &f.payload), node, now);
            if step.holds() {
                let lease = trust_lease::granted(node, now, lifetime_secs);
                ops::upsert(&tx, LEASE_ID, &lease, Some(lifetime_secs), now).await?;
            }
            Ok(step)
        })
        .await
}

/// Deletes the lease if `node` holds it (a stopping node hands over
/// without making the others wait for the expiry); whether it did.
pub async fn release(repo: &Repo, node: &str, now: u64) -> Result<bool, KvError> {
    repo.store()
        .run(|tx, _| async move {
            let current = ops::find::<TrustLease>(&tx, LEASE_ID, now).await?;
            if !trust_lease::may_release(current.as_ref().map(|f| &f.payload), node) {
                return Ok(false);
            }
            ops::destroy(&tx, Kind::ReplayDetection, LEASE_ID).await
        })
        .await
}

/// The lease as stored, if live at `now` (tests and diagnostics).
pub async fn current(repo: &Repo, now: u64) -> Result<Option<TrustLease>, KvError> {
    Ok(repo.find::<TrustLease>(LEASE_ID, now).await?.map(|f| f.payload))
}

#[cfg(test)]
mod tests {
    //! The lease transactions against a real embedded store, two nodes on
    //! one store, time moved by hand.

    use super::*;
    use crate::store::embedded::open_store;

    const NOW: u64 = 1_800_000_000;
    const LIFETIME: u64 = 30;

    async fn repo() -> (tempfile::TempDir, Repo) {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = open_store(dir.path()).unwrap();
        (dir, Repo::open(store).await.unwrap())
    }

    #[tokio::test]
    async fn one_node_holds_the_lease_until_it_expires_then_another_takes_it() {
        let (_dir, repo) = repo().await;
        assert_eq!(acquire(&repo, "a", NOW, LIFETIME).await.unwrap(), LeaseStep::Take);
        // b waits for a's lease, which a renews.
        let waiting = LeaseStep::Wait {
            holder: "a".into(),
            until: NOW + LIFETIME,
        };
        assert_eq!(acquire(&repo, "b", NOW + 1, LIFETIME).await.unwrap(), waiting);
        assert_eq!(
            acquire(&repo, "a", NOW + 10, LIFETIME).await.unwrap(),
            LeaseStep::Renew
        );
        let renewed = current(&repo, NOW + 10).await.unwrap().unwrap();
        assert_eq!(renewed.expires_at, NOW + 10 + LIFETIME);
        assert!(
            !acquire(&repo, "b", NOW + LIFETIME, LIFETIME)
                .await
                .unwrap()
                .holds()
        );
        // a stops renewing (it died): at its expiry b takes over, and a,
        // were it to come back, waits.
        let expiry = NOW + 10 + LIFETIME;
        assert_eq!(
            acquire(&repo, "b", expiry, LIFETIME).await.unwrap(),
            LeaseStep::Take
        );
        assert!(!acquire(&repo, "a", expiry + 1, LIFETIME).await.unwrap().holds());
        assert_eq!(current(&repo, expiry + 1).await.unwrap().unwrap().holder, "b");
    }

    #[tokio::test]
    async fn a_stopping_holder_hands_over_and_no_other_node_can_release_its_lease() {
        let (_dir, repo) = repo().await;
        assert!(acquire(&repo, "a", NOW, LIFETIME).await.unwrap().holds());
        assert!(!release(&repo, "b", NOW).await.unwrap());
        assert_eq!(current(&repo, NOW).await.unwrap().unwrap().holder, "a");
        assert!(release(&repo, "a", NOW).await.unwrap());
        assert_eq!(current(&repo, NOW).await.unwrap(), None);
        // Handed over: b takes it at once, without waiting for the expiry.
        assert_eq!(
            acquire(&repo, "b", NOW + 1, LIFETIME).await.unwrap(),
            LeaseStep::Take
        );
        assert!(!release(&repo, "a", NOW + 1).await.unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn of_nodes_trying_at_once_exactly_one_takes_the_lease() {
        let (_dir, repo) = repo().await;
        for round in 0..20u64 {
            // Each round starts after the previous lease expired.
            let now = NOW + round * (LIFETIME + 1);
            let tries = (0..4).map(|n| {
                let repo = repo.clone();
                tokio::spawn(async move {
                    let node = format!("n{n}");
                    let step = acquire(&repo, &node, now, LIFETIME).await.unwrap();
                    (node, step)
                })
            });
            let steps: Vec<_> = futures::future::join_all(tries)
                .await
                .into_iter()
                .map(Result::unwrap)
                .collect();
            let holders: Vec<_> = steps.iter().filter(|(_, s)| s.holds()).collect();
            assert_eq!(holders.len(), 1, "round {round}: {steps:?}");
            let stored = current(&repo, now).await.unwrap().unwrap();
            assert_eq!(stored.holder, holders[0].0);
            for (_, step) in steps.iter().filter(|(_, s)| !s.holds()) {
                assert_eq!(
                    *step,
                    LeaseStep::Wait {
                        holder: stored.holder.clone(),
                        until: now + LIFETIME
                    }
                );
            }
        }
    }
}
