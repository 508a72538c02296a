//! Admission control: under overload, a request the OP cannot start soon
//! is answered at once with 503 and `Retry-After` (RFC 9110 §15.6.4, §10.2.3)
//! instead of waiting for seconds behind the others.
//!
//! Three bounds, checked in `RequestService::finish` after the body is read
//! (a slow body holds no slot) and before the handler runs (nothing of the
//! body is parsed, no store is touched, nothing is signed):
//!
//! - the time the request has already waited before the OP read it: the
//!   runtime's scheduling delay (`runtime_lag`); on a saturated core
//!   requests wait there, unseen by any counter;
//! - how many requests are in the handler at once (`max_in_flight`), and
//!   how many may wait for one of those slots (`max_waiting`); with few
//!   slots the wait for the core, the signer pool and the store happens in
//!   front of the handler, where the gate sees it, not inside it;
//! - how long a request may wait in all (`queue_wait`): the scheduling
//!   delay plus the wait for a slot; while the requests' wait is a
//!   standing queue (`standing_queue`: every request of a whole 100 ms
//!   waited more than `overload_queue_wait`), the short
//!   `overload_queue_wait` instead, until a whole 100 ms passed in which
//!   none was shed and none waited longer. The long bound lets a burst
//!   through; under a sustained overload it would let every request served
//!   wait that long first (docs/RELIABILITY.md "Overload": with 250 ms
//!   alone nothing was shed at twice the capacity, and p99 grew to seconds
//!   in the clients' queues).
//!
//! One gate serves all of the OP's listeners (TCP and QUIC, main and mTLS):
//! they share the cores. Health, readiness and metrics are on the admin
//! listener, which has no gate.

use super::runtime_lag::RuntimeLag;
use super::standing_queue::StandingQueue;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The gate's bounds (`[server] admission_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdmissionBounds {
    /// Requests in the handler at once.
    pub max_in_flight: usize,
    /// Requests waiting for a slot at once.
    pub max_waiting: usize,
    /// The longest a request may wait before the handler runs.
    pub queue_wait: Duration,
    /// The same while the OP is overloaded (a standing queue), and the
    /// delay above which a queue that stays is a standing one.
    pub overload_queue_wait: Duration,
}

impl AdmissionBounds {
    /// The bounds `[server]` sets (`admission_*`).
    pub fn of(server: &crate::config::ServerConfig) -> Self {
        Self {
            max_in_flight: server.admission_max_in_flight,
            max_waiting: server.admission_max_waiting,
            queue_wait: Duration::from_millis(server.admission_queue_wait_ms),
            overload_queue_wait: Duration::from_millis(server.admission_overload_queue_wait_ms),
        }
    }
}

/// Why a request was not admitted (label of
/// `fiducia_http_requests_shed_total{reason}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shed {
    /// It had already waited the bound in the runtime before it was read.
    RuntimeLag,
    /// `max_in_flight` were in the handler and `max_waiting` waited.
    QueueFull,
    /// No slot came free within what was left of the bound.
    QueueWait,
}

impl Shed {
    /// Label for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Shed::RuntimeLag => "runtime_lag",
            Shed::QueueFull => "queue_full",
            Shed::QueueWait => "queue_wait",
        }
    }
}

/// A request's slot in the handler; dropping it gives the slot back.
#[derive(Debug)]
pub struct Admitted {
    _slot: OwnedSemaphorePermit,
}

/// The gate in front of the OP's handler.
#[derive(Debug)]
pub struct AdmissionGate {
    bounds: AdmissionBounds,
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    runtime_lag: Arc<RuntimeLag>,
    /// Fed with every request's wait (`standing_queue`).
    trend: Mutex<StandingQueue>,
    standing: AtomicBool,
}

impl AdmissionGate {
    /// A gate with `bounds`, measuring the wait before a request is read
    /// with `runtime_lag`.
    pub fn new(bounds: AdmissionBounds, runtime_lag: Arc<RuntimeLag>) -> Arc<Self> {
        Arc::new(Self {
            bounds,
            slots: Arc::new(Semaphore::new(bounds.max_in_flight.max(1))),
            waiting: AtomicUsize::new(0),
            runtime_lag,
            trend: Mutex::new(StandingQueue::new(bounds.overload_queue_wait)),
            standing: AtomicBool::new(false),
        })
    }

    /// Admits a request now, after a wait for a slot within what is left of
    /// the bound (`queue_wait`, or `overload_queue_wait` while the queue is
    /// standing), or sheds it. Its wait — the scheduling delay plus the
    /// wait for a slot; a shed request counts as having waited the bound —
    /// feeds the standing-queue signal.
    pub async fn admit(&self) -> Result<Admitted, Shed> {
        let bound = if self.standing() {
            self.bounds.overload_queue_wait
        } else {
            self.bounds.queue_wait
        };
        let asked = Instant::now();
        let waited = self.runtime_lag.lag_at(asked);
        let admitted = self.admit_within(bound, waited).await;
        let now = Instant::now();
        let total = waited + now.saturating_duration_since(asked);
        self.observe(if admitted.is_ok() { total } else { total.max(bound) }, now);
        admitted
    }

    async fn admit_within(&self, bound: Duration, waited: Duration) -> Result<Admitted, Shed> {
        let budget = bound
            .checked_sub(waited)
            .filter(|left| !left.is_zero())
            .ok_or(Shed::RuntimeLag)?;
        if let Ok(slot) = self.slots.clone().try_acquire_owned() {
            return Ok(Admitted { _slot: slot });
        }
        let _waiting = Waiting::enter(&self.waiting, self.bounds.max_waiting).ok_or(Shed::QueueFull)?;
        match tokio::time::timeout(budget, self.slots.clone().acquire_owned()).await {
            Ok(Ok(slot)) => Ok(Admitted { _slot: slot }),
            // The semaphore is never closed; were it, nothing could be admitted.
            Ok(Err(_)) | Err(_) => Err(Shed::QueueWait),
        }
    }

    /// Whether the OP is overloaded: the requests' wait is a standing
    /// queue, and the short bound holds.
    pub fn standing(&self) -> bool {
        self.standing.load(Ordering::Relaxed)
    }

    fn observe(&self, wait: Duration, at: Instant) {
        // A few integer operations under the lock: a panic elsewhere leaves
        // a usable state.
        let mut trend = self.trend.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let standing = trend.observe(wait, at);
        if self.standing.swap(standing, Ordering::Relaxed) != standing {
            super::metrics::overloaded(standing);
            tracing::info!(
                standing,
                "admission: overload {}",
                if standing { "began" } else { "ended" }
            );
        }
    }

    /// Requests in the handler now.
    pub fn in_flight(&self) -> usize {
        self.bounds
            .max_in_flight
            .max(1)
            .saturating_sub(self.slots.available_permits())
    }

    /// The bounds.
    pub fn bounds(&self) -> AdmissionBounds {
        self.bounds
    }
}

/// One request counted as waiting for a slot while alive.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn enter(count: &'a AtomicUsize, max: usize) -> Option<Self> {
        count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| Self(count))
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn gate(
        max_in_flight: usize,
        max_waiting: usize,
        queue_wait: Duration,
    ) -> (Arc<AdmissionGate>, Arc<RuntimeLag>) {
        let lag = Arc::new(RuntimeLag::new(Instant::now()));
        let bounds = AdmissionBounds {
            max_in_flight,
            max_waiting,
            queue_wait,
            overload_queue_wait: 10 * MS,
        };
        (AdmissionGate::new(bounds, lag.clone()), lag)
    }

    /// RFC 9110 §15.6.4: beyond `max_in_flight` and `max_waiting` the
    /// request is refused at once, not queued.
    #[tokio::test]
    async fn beyond_the_slots_and_the_waiting_room_a_request_is_shed_at_once() {
        let (gate, _) = gate(2, 0, 250 * MS);
        let first = gate.admit().await.unwrap();
        let _second = gate.admit().await.unwrap();
        assert_eq!(gate.in_flight(), 2);
        let asked = Instant::now();
        assert_eq!(gate.admit().await.unwrap_err(), Shed::QueueFull);
        assert!(asked.elapsed() < 100 * MS, "shed without waiting");
        drop(first);
        assert_eq!(gate.in_flight(), 1);
        assert!(gate.admit().await.is_ok(), "a slot given back is taken again");
    }

    #[tokio::test]
    async fn a_waiting_request_gets_a_slot_given_back_within_the_bound() {
        let (gate, _) = gate(1, 4, 2_000 * MS);
        let held = gate.admit().await.unwrap();
        let waiter = {
            let gate = gate.clone();
            tokio::spawn(async move { gate.admit().await.map(|_| ()) })
        };
        tokio::time::sleep(20 * MS).await;
        drop(held);
        assert_eq!(waiter.await.unwrap(), Ok(()));
    }

    #[tokio::test]
    async fn a_request_waits_no_longer_than_the_queue_wait_bound() {
        let (gate, _) = gate(1, 4, 30 * MS);
        let _held = gate.admit().await.unwrap();
        let asked = Instant::now();
        assert_eq!(gate.admit().await.unwrap_err(), Shed::QueueWait);
        assert!(asked.elapsed() >= 30 * MS);
        assert_eq!(
            gate.waiting.load(Ordering::Acquire),
            0,
            "no longer counted as waiting"
        );
    }

    /// A request that already waited the whole bound in the runtime before
    /// it was read is shed even with free slots; one that waited part of it
    /// waits for a slot only for the rest.
    #[tokio::test]
    async fn the_time_already_waited_in_the_runtime_counts_against_the_bound() {
        let (gate, lag) = gate(1, 4, 250 * MS);
        let now = Instant::now();
        lag.woke(now, now + 300 * MS);
        assert_eq!(gate.admit().await.unwrap_err(), Shed::RuntimeLag);
        assert_eq!(gate.in_flight(), 0);
        lag.woke(now, now + 220 * MS);
        let held = gate.admit().await.unwrap();
        let asked = Instant::now();
        assert_eq!(gate.admit().await.unwrap_err(), Shed::QueueWait);
        assert!(asked.elapsed() < 200 * MS, "only the 30 ms left of the bound");
        drop(held);
        lag.woke(now, now);
        assert!(gate.admit().await.is_ok());
    }

    /// Under a sustained overload (a standing queue) the short bound
    /// holds: 40 ms of waiting, fine in a burst, is shed.
    #[tokio::test]
    async fn while_the_queue_stands_the_short_bound_holds() {
        let (gate, lag) = gate(1, 4, 250 * MS);
        let t0 = Instant::now();
        lag.woke(t0, t0 + 40 * MS);
        assert!(gate.admit().await.is_ok(), "a burst: within 250 ms");
        assert!(!gate.standing());
        // Every request waits more than 10 ms for 100 ms: standing.
        gate.observe(30 * MS, t0 + 150 * MS);
        assert!(gate.standing());
        assert_eq!(gate.admit().await.unwrap_err(), Shed::RuntimeLag);
        lag.woke(t0, t0 + 2 * MS);
        assert!(gate.admit().await.is_ok(), "under the short bound");
    }
}
