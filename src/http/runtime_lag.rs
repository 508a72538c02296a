//! How long a task that is ready to run waits before the runtime polls it:
//! the admission gate's measure of the time a request has already spent
//! waiting before the OP read it (`http::admission`).
//!
//! hyper gives no time of arrival: a request is seen only once its
//! connection's task is polled and has parsed the head, and on a saturated
//! core that task waited in tokio's run queue (behind every other ready
//! connection) for as long as the queue is deep. A semaphore taken at that
//! point sees nothing of that wait: the work it counts is one request at a
//! time on one core, while hundreds of requests wait unread in the sockets
//! and the run queue. So a probe task sleeps [`PROBE_INTERVAL`] again and
//! again, and how late it wakes is how long a task woken now waits (the
//! timer and the sockets are polled by the same driver, and the woken tasks
//! join the same queue; the probe yields once after its timer so as to
//! wait at the back of that queue, see `probe`): the technique of
//! event-loop lag probes (Node.js `toobusy`,
//! `perf_hooks.monitorEventLoopDelay`).
//!
//! [`RuntimeLag::lag_at`] is the larger of the lateness measured at the
//! probe's last wake and how far past its due time the probe is now (a
//! probe still asleep long after it should have woken is a lower bound on
//! the current wait, known without waiting for it).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// How often the probe wakes when the runtime keeps up: fine enough to
/// follow a queue that builds in tens of milliseconds, and ~200 wakes a
/// second cost nothing measurable.
pub const PROBE_INTERVAL: Duration = Duration::from_millis(5);

/// The runtime's current scheduling delay, as the probe last saw it.
#[derive(Debug)]
pub struct RuntimeLag {
    origin: Instant,
    /// Lateness at the probe's last wake, microseconds.
    last_lag_us: AtomicU64,
    /// When the probe's current sleep ends, microseconds after `origin`.
    due_us: AtomicU64,
}

impl RuntimeLag {
    /// A measure that no probe updates (tests drive it with [`Self::woke`]).
    pub fn new(now: Instant) -> Self {
        Self {
            origin: now,
            last_lag_us: AtomicU64::new(0),
            due_us: AtomicU64::new(u64::MAX),
        }
    }

    /// A measure kept up by a probe task on the current tokio runtime; the
    /// task ends when the last `Arc` is dropped.
    pub fn spawn() -> Arc<Self> {
        let lag = Arc::new(Self::new(Instant::now()));
        tokio::spawn(probe(Arc::downgrade(&lag)));
        lag
    }

    /// The scheduling delay at `now`: the last lateness measured, or how
    /// long the probe is overdue now, whichever is larger.
    pub fn lag_at(&self, now: Instant) -> Duration {
        let now_us = micros_between(self.origin, now);
        let overdue = now_us.saturating_sub(self.due_us.load(Ordering::Relaxed));
        Duration::from_micros(overdue.max(self.last_lag_us.load(Ordering::Relaxed)))
    }

    /// The probe will sleep until `due`.
    pub fn sleeps_until(&self, due: Instant) {
        self.due_us
            .store(micros_between(self.origin, due), Ordering::Relaxed);
    }

    /// The probe, due at `due`, woke at `woke`.
    pub fn woke(&self, due: Instant, woke: Instant) {
        self.last_lag_us
            .store(micros_between(due, woke), Ordering::Relaxed);
        self.due_us.store(u64::MAX, Ordering::Relaxed);
    }
}

fn micros_between(earlier: Instant, later: Instant) -> u64 {
    u64::try_from(later.saturating_duration_since(earlier).as_micros()).unwrap_or(u64::MAX)
}

async fn probe(lag: Weak<RuntimeLag>) {
    loop {
        let due = Instant::now() + PROBE_INTERVAL;
        match lag.upgrade() {
            Some(lag) => lag.sleeps_until(due),
            None => return,
        }
        tokio::time::sleep_until(due.into()).await;
        // The timer fires after the sockets' events at the same driver poll,
        // and a task woken on the worker goes to its LIFO slot, ahead of all
        // the connections woken with it: measured here, the probe saw no lag
        // on a saturated core (scripts/overload.sh: nothing shed while the
        // requests waited 50 ms). A yield sends it to the back of the run
        // queue, behind every ready connection, where a request waits.
        tokio::task::yield_now().await;
        let woke = Instant::now();
        match lag.upgrade() {
            Some(lag) => {
                lag.woke(due, woke);
                super::metrics::runtime_lag(lag.lag_at(woke));
            }
            None => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lag_is_the_last_lateness_or_how_overdue_the_probe_is() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let lag = RuntimeLag::new(t0);
        assert_eq!(lag.lag_at(t0 + ms(100)), Duration::ZERO, "no probe yet: no lag");
        // Due at 5 ms, woke at 45 ms: 40 ms late.
        lag.sleeps_until(t0 + ms(5));
        assert_eq!(lag.lag_at(t0 + ms(4)), Duration::ZERO);
        assert_eq!(lag.lag_at(t0 + ms(25)), ms(20), "overdue by 20 ms so far");
        lag.woke(t0 + ms(5), t0 + ms(45));
        assert_eq!(lag.lag_at(t0 + ms(46)), ms(40));
        // Asleep again: the last lateness counts until it is overdue by more.
        lag.sleeps_until(t0 + ms(50));
        assert_eq!(lag.lag_at(t0 + ms(60)), ms(40));
        assert_eq!(lag.lag_at(t0 + ms(350)), ms(300));
        // On time again: no lag.
        lag.woke(t0 + ms(50), t0 + ms(50));
        assert_eq!(lag.lag_at(t0 + ms(51)), Duration::ZERO);
    }

    /// Real time (the crate has no paused tokio clock): the probe keeps
    /// its measure up on an idle runtime and holds it only weakly.
    #[tokio::test]
    async fn the_probe_measures_an_idle_runtime_and_does_not_keep_its_measure_alive() {
        let lag = RuntimeLag::spawn();
        tokio::time::sleep(PROBE_INTERVAL * 6).await;
        assert!(lag.lag_at(Instant::now()) < Duration::from_millis(250));
        let weak = Arc::downgrade(&lag);
        drop(lag);
        tokio::time::sleep(PROBE_INTERVAL * 4).await;
        assert!(weak.upgrade().is_none(), "the probe holds no strong reference");
    }
}
