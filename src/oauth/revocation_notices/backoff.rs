//! Exponential backoff for one gateway that failed to take a notice: the
//! wait doubles from [`FIRST`] with each failure in a row, up to [`MAX`];
//! a success resets it. Time is a parameter (`now`), so the rule is tested
//! without waiting.

use std::time::{Duration, Instant};

/// The wait after the first failure.
pub const FIRST: Duration = Duration::from_millis(250);
/// The longest wait between two attempts.
pub const MAX: Duration = Duration::from_secs(30);

/// One gateway's retry state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backoff {
    failures: u32,
    not_before: Option<Instant>,
}

impl Backoff {
    /// The wait after `failures` failures in a row: [`FIRST`] doubled
    /// `failures - 1` times, at most [`MAX`]; none after none.
    pub fn delay(failures: u32) -> Duration {
        match failures {
            0 => Duration::ZERO,
            n => FIRST
                .checked_mul(1u32.checked_shl(n - 1).unwrap_or(u32::MAX))
                .map_or(MAX, |d| d.min(MAX)),
        }
    }

    /// Whether an attempt is due at `now`.
    pub fn is_due(&self, now: Instant) -> bool {
        self.not_before.is_none_or(|at| now >= at)
    }

    /// Records a failure at `now`; the wait before the next attempt.
    pub fn failed(&mut self, now: Instant) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let delay = Self::delay(self.failures);
        self.not_before = Some(now + delay);
        delay
    }

    /// Records a success: the next attempt is due at once.
    pub fn succeeded(&mut self) {
        *self = Self::default();
    }

    /// Failures in a row so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_up_to_its_bound() {
        assert_eq!(Backoff::delay(0), Duration::ZERO);
        assert_eq!(Backoff::delay(1), Duration::from_millis(250));
        assert_eq!(Backoff::delay(2), Duration::from_millis(500));
        assert_eq!(Backoff::delay(5), Duration::from_secs(4));
        assert_eq!(Backoff::delay(8), Duration::from_secs(30), "32 s capped");
        assert_eq!(Backoff::delay(40), MAX, "no overflow past 2^31");
        assert_eq!(Backoff::delay(u32::MAX), MAX);
    }

    #[test]
    fn a_failed_gateway_waits_and_a_success_resets_it() {
        let start = Instant::now();
        let mut backoff = Backoff::default();
        assert!(backoff.is_due(start));
        assert_eq!(backoff.failed(start), FIRST);
        assert!(!backoff.is_due(start + Duration::from_millis(100)));
        assert!(backoff.is_due(start + FIRST));
        assert_eq!(backoff.failed(start + FIRST), FIRST * 2);
        assert_eq!(backoff.failures(), 2);
        backoff.succeeded();
        assert!(backoff.is_due(start + FIRST));
        assert_eq!(backoff.failures(), 0);
    }
}
