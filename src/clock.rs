//! Time as a parameter (STYLE.md §6): logic takes `now`; only the edges ask a
//! [`Clock`]. Tests use [`ManualClock`] to move time by hand.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of wall-clock time.
pub trait Clock: Send + Sync + 'static {
    /// Seconds since the Unix epoch.
    fn now(&self) -> SystemTime;

    /// Whole seconds since the Unix epoch, as JWT `iat`/`exp` use (RFC 7519 §2 NumericDate).
    fn now_unix(&self) -> u64 {
        self.now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<SystemTime>,
}

impl ManualClock {
    /// A clock standing at `unix_seconds`.
    pub fn at(unix_seconds: u64) -> Self {
        Self {
            now: Mutex::new(UNIX_EPOCH + Duration::from_secs(unix_seconds)),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.now.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The operating system's clock stepped by an offset that can be changed
/// while it runs: what a wall clock does when NTP or an operator steps it
/// (tests of clock steps, docs/RELIABILITY.md). Time keeps flowing.
#[derive(Debug, Default)]
pub struct SteppedClock {
    offset_secs: std::sync::atomic::AtomicI64,
}

impl SteppedClock {
    /// Steps the clock by `secs` (negative: back).
    pub fn step(&self, secs: i64) {
        self.offset_secs
            .fetch_add(secs, std::sync::atomic::Ordering::AcqRel);
    }
}

impl Clock for SteppedClock {
    fn now(&self) -> SystemTime {
        let offset = self.offset_secs.load(std::sync::atomic::Ordering::Acquire);
        let now = SystemTime::now();
        let by = Duration::from_secs(offset.unsigned_abs());
        if offset >= 0 {
            now + by
        } else {
            now.checked_sub(by).unwrap_or(UNIX_EPOCH)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let clock = ManualClock::at(1_000);
        assert_eq!(clock.now_unix(), 1_000);
        clock.advance(Duration::from_secs(61));
        assert_eq!(clock.now_unix(), 1_061);
    }

    #[test]
    fn a_stepped_clock_moves_both_ways_and_keeps_flowing() {
        let clock = SteppedClock::default();
        let system = SystemClock.now_unix();
        clock.step(300);
        assert!(clock.now_unix() >= system + 300);
        clock.step(-600);
        let back = clock.now_unix();
        assert!(back + 300 >= system && back < system, "{back} vs {system}");
    }
}
