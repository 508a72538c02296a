//! Whether the OP is overloaded rather than busy: a standing queue, in
//! CoDel's terms (Nichols and Jacobson, "Controlling Queue Delay", ACM
//! Queue 2012; RFC 8289 §3): every request of a whole interval waited
//! longer than a small target (the wait `http::admission` measures: the
//! scheduling delay plus the wait for a slot). A burst makes the wait rise
//! and fall within the interval; an offered load beyond the capacity keeps
//! it up.
//!
//! Facebook's servers use the same signal to shorten their queue timeout
//! under overload ("Fail at Scale", ACM Queue 2015, "Controlled delay"):
//! with a bound as long as a burst needs, a sustained overload fills the
//! whole bound with waiting requests, and every request served has waited
//! it. Here, once the queue is standing, `http::admission` bounds the wait
//! by the short target instead of `admission_queue_wait_ms`, until every
//! request of a whole interval waited less than the target again (a shed
//! one counts as having waited the bound, so the overload is over only
//! after an interval without shedding): hysteresis both ways, so the gate
//! does not flap between the two bounds while the overload lasts.

use std::time::{Duration, Instant};

/// CoDel's interval (RFC 8289 §4.3 recommends 100 ms): longer than a
/// burst, shorter than a client's patience.
pub const INTERVAL: Duration = Duration::from_millis(100);

/// The state, fed one delay measurement at a time.
#[derive(Debug)]
pub struct StandingQueue {
    target: Duration,
    standing: bool,
    /// Since when every measurement was on the other side of the target
    /// (above it while not standing, under it while standing).
    crossed_since: Option<Instant>,
}

impl StandingQueue {
    /// Not standing, with `target` as the delay a standing queue exceeds.
    pub fn new(target: Duration) -> Self {
        Self {
            target,
            standing: false,
            crossed_since: None,
        }
    }

    /// Takes the delay `lag` measured at `at`; returns whether the queue is
    /// standing now.
    pub fn observe(&mut self, lag: Duration, at: Instant) -> bool {
        let crossed = if self.standing {
            lag < self.target
        } else {
            lag > self.target
        };
        if !crossed {
            self.crossed_since = None;
            return self.standing;
        }
        let since = *self.crossed_since.get_or_insert(at);
        if at.saturating_duration_since(since) >= INTERVAL {
            self.standing = !self.standing;
            self.crossed_since = None;
        }
        self.standing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_burst_is_not_a_standing_queue_a_whole_interval_above_the_target_is() {
        let t0 = Instant::now();
        let mut queue = StandingQueue::new(10 * MS);
        // A burst: 80 ms above the target, then under it.
        assert!(!queue.observe(40 * MS, t0));
        assert!(!queue.observe(60 * MS, t0 + 80 * MS));
        assert!(!queue.observe(2 * MS, t0 + 90 * MS));
        // Sustained: above the target for 100 ms.
        assert!(!queue.observe(20 * MS, t0 + 200 * MS));
        assert!(!queue.observe(30 * MS, t0 + 250 * MS));
        assert!(queue.observe(15 * MS, t0 + 300 * MS));
    }

    #[test]
    fn a_standing_queue_ends_only_after_a_whole_interval_under_the_target() {
        let t0 = Instant::now();
        let mut queue = StandingQueue::new(10 * MS);
        queue.observe(50 * MS, t0);
        assert!(queue.observe(50 * MS, t0 + INTERVAL));
        // Shedding brings the delay down now and then: still standing.
        assert!(queue.observe(3 * MS, t0 + 150 * MS));
        assert!(queue.observe(12 * MS, t0 + 200 * MS));
        assert!(queue.observe(4 * MS, t0 + 210 * MS));
        // The overload is over: under the target for 100 ms.
        assert!(queue.observe(1 * MS, t0 + 260 * MS));
        assert!(!queue.observe(1 * MS, t0 + 310 * MS));
    }
}
