//! Latency histograms per step (HdrHistogram, microseconds) and failures by
//! status and OAuth error code.

use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::time::Duration;

/// The name of the whole operation's histogram.
pub const OP: &str = "op";

/// Why one operation failed: at which step, and what came back.
#[derive(Debug, Clone)]
pub struct Failure {
    pub step: &'static str,
    /// `400 invalid_client`, `401`, `io: ...`, `unexpected: ...`.
    pub kind: String,
}

impl Failure {
    pub fn new(step: &'static str, kind: impl Into<String>) -> Self {
        Self {
            step,
            kind: kind.into(),
        }
    }
}

/// The step latencies of one operation, recorded as it goes.
#[derive(Debug, Default)]
pub struct Steps {
    pub times: Vec<(&'static str, Duration)>,
}

impl Steps {
    pub fn record(&mut self, step: &'static str, took: Duration) {
        self.times.push((step, took));
    }
}

/// Everything recorded since the last reset.
pub struct Stats {
    steps: BTreeMap<&'static str, Histogram<u64>>,
    order: Vec<&'static str>,
    pub ok: u64,
    pub failed: u64,
    pub errors: BTreeMap<String, u64>,
    /// The operations by the second of the measured window they started in
    /// (their scheduled start in open loop): when a stall happened, and
    /// whether the tail is one event or spread over the run.
    pub seconds: Vec<Second>,
}

/// The operations that started in one second of the measured window.
pub struct Second {
    pub ok: u64,
    pub failed: u64,
    /// Whole-operation latency of the successful ones, microseconds.
    pub latency: Histogram<u64>,
    /// The failures by step and kind, at most `SECOND_KINDS` kinds (the
    /// rest count as `other`): which answers a fault window got.
    pub errors: BTreeMap<String, u64>,
}

/// Distinct failure kinds kept per second.
const SECOND_KINDS: usize = 16;

impl Default for Stats {
    fn default() -> Self {
        Self::new()
    }
}

impl Stats {
    pub fn new() -> Self {
        Self {
            steps: BTreeMap::new(),
            order: Vec::new(),
            ok: 0,
            failed: 0,
            errors: BTreeMap::new(),
            seconds: Vec::new(),
        }
    }

    fn second(&mut self, index: usize) -> &mut Second {
        while self.seconds.len() <= index {
            self.seconds.push(Second {
                ok: 0,
                failed: 0,
                latency: new_histogram(SECOND_DIGITS),
                errors: BTreeMap::new(),
            });
        }
        &mut self.seconds[index]
    }

    fn histogram(&mut self, step: &'static str) -> &mut Histogram<u64> {
        if !self.steps.contains_key(step) {
            self.order.push(step);
        }
        self.steps
            .entry(step)
            .or_insert_with(|| new_histogram(STEP_DIGITS))
    }

    /// One finished operation: its steps, its total (from its intended
    /// start in open loop), its failure if any, and when it started
    /// (`started`, from the start of the measured window).
    pub fn add(&mut self, steps: &Steps, total: Duration, failure: Option<Failure>, started: Duration) {
        for (step, took) in &steps.times {
            self.histogram(step).saturating_record(micros(*took));
        }
        let index = usize::try_from(started.as_secs())
            .unwrap_or(usize::MAX)
            .min(MAX_SECONDS);
        match failure {
            None => {
                self.ok += 1;
                self.histogram(OP).saturating_record(micros(total));
                let second = self.second(index);
                second.ok += 1;
                second.latency.saturating_record(micros(total));
            }
            Some(f) => {
                self.failed += 1;
                let kind = format!("{}: {}", f.step, f.kind);
                let second = self.second(index);
                second.failed += 1;
                let key = if second.errors.len() < SECOND_KINDS || second.errors.contains_key(&kind) {
                    kind.clone()
                } else {
                    "other".to_string()
                };
                *second.errors.entry(key).or_default() += 1;
                *self.errors.entry(kind).or_default() += 1;
            }
        }
    }

    /// Steps in the order first seen, the whole operation last.
    pub fn steps(&self) -> Vec<(&'static str, &Histogram<u64>)> {
        let mut names: Vec<&'static str> = self.order.iter().copied().filter(|s| *s != OP).collect();
        names.push(OP);
        names
            .into_iter()
            .filter_map(|n| self.steps.get(n).map(|h| (n, h)))
            .collect()
    }

    /// The whole operation's histogram, if any succeeded.
    pub fn op(&self) -> Option<&Histogram<u64>> {
        self.steps.get(OP)
    }
}

/// Significant digits of the per-step histograms, and of the per-second
/// ones (a few KiB each per second of run).
const STEP_DIGITS: u8 = 3;
const SECOND_DIGITS: u8 = 2;

/// 1 µs .. 1 h at `digits` significant digits (`STEP_DIGITS` or
/// `SECOND_DIGITS`).
#[allow(clippy::expect_used)] // Invariant: constant bounds that HdrHistogram accepts (low ≥ 1, high ≥ 2·low, sigfig ≤ 5).
fn new_histogram(digits: u8) -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, digits).expect("valid constant bounds")
}

/// Seconds of timeline kept; later operations count in the last one.
const MAX_SECONDS: usize = 24 * 3600;

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_keeps_a_bounded_number_of_failure_kinds() {
        let mut stats = Stats::new();
        for i in 0..SECOND_KINDS + 5 {
            stats.add(
                &Steps::default(),
                Duration::ZERO,
                Some(Failure::new("token", format!("io: {i}"))),
                Duration::ZERO,
            );
        }
        let second = &stats.seconds[0];
        assert_eq!(second.errors.len(), SECOND_KINDS + 1);
        assert_eq!(second.errors["other"], 5);
        assert_eq!(stats.errors.len(), SECOND_KINDS + 5);
    }

    #[test]
    fn failures_are_counted_by_step_and_kind_and_left_out_of_the_op_latency() {
        let mut stats = Stats::new();
        let mut steps = Steps::default();
        steps.record("token", Duration::from_millis(2));
        stats.add(&steps, Duration::from_millis(3), None, Duration::ZERO);
        stats.add(
            &steps,
            Duration::from_millis(9),
            Some(Failure::new("token", "400 invalid_client")),
            Duration::ZERO,
        );
        assert_eq!((stats.ok, stats.failed), (1, 1));
        assert_eq!(stats.errors["token: 400 invalid_client"], 1);
        assert_eq!(stats.op().unwrap().len(), 1);
        let names: Vec<_> = stats.steps().iter().map(|(n, _)| *n).collect();
        assert_eq!(names, vec!["token", "op"]);
    }

    #[test]
    fn operations_are_kept_by_the_second_they_started_in() {
        let mut stats = Stats::new();
        let steps = Steps::default();
        stats.add(&steps, Duration::from_millis(2), None, Duration::from_millis(300));
        stats.add(
            &steps,
            Duration::from_millis(400),
            None,
            Duration::from_millis(2_100),
        );
        stats.add(
            &steps,
            Duration::from_millis(5),
            None,
            Duration::from_millis(2_900),
        );
        stats.add(
            &steps,
            Duration::from_millis(1),
            Some(Failure::new("token", "503")),
            Duration::from_millis(2_500),
        );
        // Second 1 had nothing; the stall shows in second 2 alone.
        let counts: Vec<_> = stats.seconds.iter().map(|s| (s.ok, s.failed)).collect();
        assert_eq!(counts, vec![(1, 0), (0, 0), (2, 1)]);
        assert_eq!(stats.seconds[2].errors["token: 503"], 1);
        assert!(stats.seconds[0].errors.is_empty());
        assert!(stats.seconds[2].latency.max() >= 399_000);
        assert!(stats.seconds[0].latency.max() <= 2_100);
        assert!(stats.seconds[1].latency.is_empty());
    }
}
