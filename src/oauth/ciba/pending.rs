//! `PendingRequests`: the one actor that knows how many backchannel
//! authentication requests this node has pending, by when they expire, and
//! refuses a new one beyond `[ciba] max_pending` (503
//! `temporarily_unavailable`: the customer's phone, the store and the
//! device channel are not the client's to flood).
//!
//! The requests themselves are store records with their TTL
//! (`model::ciba::BackchannelRequest`): a restart loses none of them and
//! the store, not this actor, decides whether one is still pending. What
//! the actor holds is a count per expiry second, so 100,000 pending
//! requests cost a few kilobytes here; a decided request is settled at
//! once, an undecided one when its second passes (swept every second).
//! After a restart the count starts from zero.

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// How often expired seconds are dropped.
pub const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// The actor (read-only definition).
pub struct PendingRequests;

/// Messages.
pub enum PendingMessage {
    /// Admit one more request expiring at this second, if under the bound.
    Admit(u64, RpcReplyPort<bool>),
    /// A request expiring at this second was decided (or withdrawn).
    Settle(u64),
    /// How many are pending now.
    Count(RpcReplyPort<u64>),
    /// Drop the seconds that have passed.
    Sweep,
}

/// Its state.
pub struct PendingState {
    by_expiry: BTreeMap<u64, u64>,
    total: u64,
    max: u64,
    clock: Arc<dyn crate::clock::Clock>,
}

impl PendingState {
    fn admit(&mut self, expires_at: u64) -> bool {
        if self.total >= self.max {
            return false;
        }
        *self.by_expiry.entry(expires_at).or_default() += 1;
        self.total += 1;
        true
    }

    fn settle(&mut self, expires_at: u64) {
        if let Some(count) = self.by_expiry.get_mut(&expires_at) {
            *count -= 1;
            self.total -= 1;
            if *count == 0 {
                self.by_expiry.remove(&expires_at);
            }
        }
    }

    fn sweep(&mut self, now: u64) {
        let live = self.by_expiry.split_off(&(now + 1));
        let expired: u64 = self.by_expiry.values().sum();
        self.total -= expired;
        self.by_expiry = live;
    }
}

impl Actor for PendingRequests {
    type Msg = PendingMessage;
    type State = PendingState;
    type Arguments = (u64, Arc<dyn crate::clock::Clock>);

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        (max, clock): Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        myself.send_interval(SWEEP_EVERY, || PendingMessage::Sweep);
        Ok(PendingState {
            by_expiry: BTreeMap::new(),
            total: 0,
            max,
            clock,
        })
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            PendingMessage::Admit(expires_at, reply) => {
                let _ = reply.send(state.admit(expires_at));
            }
            PendingMessage::Settle(expires_at) => state.settle(expires_at),
            PendingMessage::Count(reply) => {
                let _ = reply.send(state.total);
            }
            PendingMessage::Sweep => {
                state.sweep(state.clock.now_unix());
                metrics::gauge!("fiducia_ciba_pending").set(state.total as f64);
            }
        }
        Ok(())
    }
}

/// A handle on the actor. Cheap to clone.
#[derive(Clone)]
pub struct Pending {
    actor: ActorRef<PendingMessage>,
}

impl Pending {
    /// Starts the actor under `supervisor`, bounded by `max`.
    pub async fn spawn(
        max: u64,
        clock: Arc<dyn crate::clock::Clock>,
        supervisor: ractor::ActorCell,
    ) -> anyhow::Result<Self> {
        let (actor, _) = Actor::spawn_linked(None, PendingRequests, (max, clock), supervisor)
            .await
            .map_err(|e| anyhow::anyhow!("the CIBA pending-request actor did not start: {e}"))?;
        Ok(Self { actor })
    }

    /// Whether one more request expiring at `expires_at` may be taken
    /// (`false` too when the actor is gone: fail closed).
    pub async fn admit(&self, expires_at: u64) -> bool {
        ractor::call!(self.actor, PendingMessage::Admit, expires_at).unwrap_or(false)
    }

    /// The request expiring at `expires_at` is no longer pending.
    pub fn settle(&self, expires_at: u64) {
        let _ = self.actor.cast(PendingMessage::Settle(expires_at));
    }

    /// The number pending now (metrics, tests).
    pub async fn count(&self) -> u64 {
        ractor::call!(self.actor, PendingMessage::Count).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(max: u64) -> PendingState {
        PendingState {
            by_expiry: BTreeMap::new(),
            total: 0,
            max,
            clock: Arc::new(crate::clock::SystemClock),
        }
    }

    /// The bound holds; settling and expiry make room; settling an unknown
    /// second changes nothing.
    #[test]
    fn admits_up_to_the_bound_and_frees_by_settling_or_expiry() {
        let mut pending = state(3);
        assert!(pending.admit(100) && pending.admit(100) && pending.admit(105));
        assert!(!pending.admit(106), "the bound");
        pending.settle(100);
        assert_eq!(pending.total, 2);
        assert!(pending.admit(106));
        pending.settle(999);
        assert_eq!(pending.total, 3);
        pending.sweep(100);
        assert_eq!(pending.total, 2, "the second 100 has passed");
        pending.sweep(106);
        assert_eq!((pending.total, pending.by_expiry.len()), (0, 0));
    }

    /// The actor answers through its handle.
    #[tokio::test]
    async fn the_handle_admits_and_counts() {
        let (root, _) = Actor::spawn(None, crate::actors::root::RootSupervisor, ())
            .await
            .unwrap();
        let clock: Arc<dyn crate::clock::Clock> = Arc::new(crate::clock::SystemClock);
        let far = clock.now_unix() + 3600;
        let pending = Pending::spawn(1, clock, root.get_cell()).await.unwrap();
        assert!(pending.admit(far).await);
        assert!(!pending.admit(far).await);
        pending.settle(far);
        assert_eq!(pending.count().await, 0);
        assert!(pending.admit(far).await);
    }
}
