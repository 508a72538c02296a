//! The end-of-run report: percentiles per step, achieved rate, failures by
//! step, status and OAuth error, CPU per operation of the OP and of the load
//! generator itself; as text or JSON.

use crate::run::{Mode, Outcome};
use crate::scenario::Scenario;
use serde::Serialize;
use std::collections::BTreeMap;

/// The report (`--json` prints it as is).
#[derive(Debug, Serialize)]
pub struct Report {
    pub scenario: Scenario,
    /// `open 2000/s (max 1024 in flight)` or `closed 64`.
    pub mode: String,
    pub issuer: String,
    /// The OP's password hash setting, when known (the flows log in).
    pub password_hash: Option<String>,
    /// The client assertions' and DPoP proofs' algorithm (`cc-pkjwt`, `flow`).
    pub alg: Option<&'static str>,
    pub seconds: f64,
    pub ok: u64,
    pub failed: u64,
    /// Successful operations per second.
    pub achieved_per_sec: f64,
    /// Open loop: the rate asked for.
    pub target_per_sec: Option<f64>,
    pub steps: Vec<StepReport>,
    /// `step: status oauth_error` → count.
    pub errors: BTreeMap<String, u64>,
    /// TCP+TLS connections opened (discovery's included).
    pub connections: u64,
    /// Of those, opened during the measured window: their handshakes are in
    /// its latencies (the open loop opens its clients' connections before).
    pub connections_measured: u64,
    /// OP process CPU (user+system) per operation, ms (`--op-pid`).
    pub op_cpu_ms_per_op: Option<f64>,
    /// Its share of one core during the window.
    pub op_cpu_cores: Option<f64>,
    /// Its resident memory at the end and peak, MiB.
    pub op_rss_mib: Option<f64>,
    pub op_peak_rss_mib: Option<f64>,
    /// This load generator's CPU per operation, ms, and its share of one core.
    pub loadtest_cpu_ms_per_op: Option<f64>,
    pub loadtest_cpu_cores: Option<f64>,
    /// Each second of the measured window, by when operations started.
    pub timeline: Vec<SecondReport>,
    /// `ciba-pending`: the requests created before the clock, what they
    /// cost the OP in CPU and memory.
    pub prepared: Option<crate::run::Prepared>,
    /// `--target`: connections dialled per host (the run's and the
    /// verification's); empty without targets.
    pub targets: BTreeMap<String, u64>,
    /// `--verify`: the acknowledged access tokens introspected after the run.
    pub verify: Option<crate::verify::Verification>,
}

/// The operations that started in one second of the measured window;
/// latencies of the successful ones, milliseconds.
#[derive(Debug, Serialize)]
pub struct SecondReport {
    pub second: u64,
    pub ok: u64,
    pub failed: u64,
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
    /// The failures by step and kind (absent when none).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: BTreeMap<String, u64>,
}

/// Latency of one step (or `op`, the whole operation), milliseconds.
#[derive(Debug, Serialize)]
pub struct StepReport {
    pub step: String,
    pub count: u64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p99_9: f64,
    pub max: f64,
}

impl Report {
    pub fn new(
        scenario: Scenario,
        mode: Mode,
        issuer: &str,
        password_hash: Option<String>,
        alg: Option<&'static str>,
        outcome: &Outcome,
        op_pid: Option<u32>,
    ) -> Self {
        let seconds = outcome.elapsed.as_secs_f64();
        let stats = &outcome.stats;
        let ops = (stats.ok + stats.failed).max(1) as f64;
        let ms = |v: u64| v as f64 / 1000.0;
        let steps = stats
            .steps()
            .into_iter()
            .map(|(name, h)| StepReport {
                step: name.to_string(),
                count: h.len(),
                mean: h.mean() / 1000.0,
                p50: ms(h.value_at_quantile(0.5)),
                p90: ms(h.value_at_quantile(0.9)),
                p99: ms(h.value_at_quantile(0.99)),
                p99_9: ms(h.value_at_quantile(0.999)),
                max: ms(h.max()),
            })
            .collect();
        let timeline = (0u64..)
            .zip(&stats.seconds)
            .map(|(second, s)| SecondReport {
                second,
                ok: s.ok,
                failed: s.failed,
                p50: ms(s.latency.value_at_quantile(0.5)),
                p99: ms(s.latency.value_at_quantile(0.99)),
                max: ms(s.latency.max()),
                errors: s.errors.clone(),
            })
            .collect();
        let memory = op_pid.and_then(crate::proc::memory_mib);
        let (mode_text, target) = match mode {
            Mode::Open { rate, max_in_flight } => (
                format!("open {rate}/s (max {max_in_flight} in flight)"),
                Some(rate),
            ),
            Mode::Closed { concurrency } => (format!("closed {concurrency}"), None),
        };
        Self {
            scenario,
            mode: mode_text,
            issuer: issuer.to_string(),
            password_hash,
            alg,
            seconds,
            ok: stats.ok,
            failed: stats.failed,
            achieved_per_sec: stats.ok as f64 / seconds.max(1e-9),
            target_per_sec: target,
            steps,
            errors: stats.errors.clone(),
            connections: outcome.connections,
            connections_measured: outcome.connections_measured,
            op_cpu_ms_per_op: outcome.op_cpu.map(|c| c.total() * 1000.0 / ops),
            op_cpu_cores: outcome.op_cpu.map(|c| c.total() / seconds.max(1e-9)),
            op_rss_mib: memory.map(|m| m.0),
            op_peak_rss_mib: memory.map(|m| m.1),
            loadtest_cpu_ms_per_op: outcome.own_cpu.map(|c| c.total() * 1000.0 / ops),
            loadtest_cpu_cores: outcome.own_cpu.map(|c| c.total() / seconds.max(1e-9)),
            timeline,
            prepared: outcome.prepared.clone(),
            targets: BTreeMap::new(),
            verify: None,
        }
    }

    /// The second whose slowest operation was slowest, when there were two
    /// or more: whether the tail is one stall or spread over the run.
    pub fn slowest_second(&self) -> Option<&SecondReport> {
        if self.timeline.len() < 2 {
            return None;
        }
        self.timeline.iter().max_by(|a, b| a.max.total_cmp(&b.max))
    }

    /// The human-readable report.
    pub fn text(&self) -> String {
        let mut out = vec![format!(
            "scenario {:?}, {}, against {}",
            self.scenario, self.mode, self.issuer
        )];
        if let Some(hash) = &self.password_hash {
            out.push(format!("OP password hash: {hash}"));
        }
        if let Some(alg) = self.alg {
            match self.scenario.is_ciba() {
                true => out.push(format!("signed authentication requests: {alg}")),
                false => out.push(format!("client assertions and DPoP proofs: {alg}")),
            }
        }
        if let Some(p) = &self.prepared {
            out.push(format!(
                "pending requests created before the clock: {} ({} failed{}) in {:.1} s, {:.0}/s",
                p.requests,
                p.failed,
                p.first_error
                    .as_ref()
                    .map(|e| format!(", first: {e}"))
                    .unwrap_or_default(),
                p.seconds,
                p.per_sec
            ));
            if let Some(ms) = p.op_cpu_ms_per_request {
                out.push(format!(
                    "  OP CPU: {ms:.4} ms per backchannel authentication request"
                ));
            }
            if let (Some(before), Some(after)) = (p.op_rss_mib_before, p.op_rss_mib_after) {
                out.push(format!(
                    "  OP RSS: {before:.1} MiB before, {after:.1} MiB after ({:+.1} MiB)",
                    after - before
                ));
            }
        }
        out.push(format!(
            "{:.1} s: {} ok, {} failed, {:.1} ok/s{}; {} connections ({} while measuring)",
            self.seconds,
            self.ok,
            self.failed,
            self.achieved_per_sec,
            self.target_per_sec
                .map(|t| format!(" (asked {t}/s)"))
                .unwrap_or_default(),
            self.connections,
            self.connections_measured
        ));
        out.push(format!(
            "{:<14} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
            "step (ms)", "count", "mean", "p50", "p90", "p99", "p99.9", "max"
        ));
        for s in &self.steps {
            out.push(format!(
                "{:<14} {:>9} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
                s.step, s.count, s.mean, s.p50, s.p90, s.p99, s.p99_9, s.max
            ));
        }
        for (kind, count) in &self.errors {
            out.push(format!("error  {count:>9}  {kind}"));
        }
        if let Some(s) = self.slowest_second() {
            out.push(format!(
                "slowest second: {} of {} ({} ok, p50 {:.3}, p99 {:.3}, max {:.3} ms; each second in the JSON timeline)",
                s.second,
                self.timeline.len(),
                s.ok,
                s.p50,
                s.p99,
                s.max
            ));
        }
        if let (Some(ms), Some(cores)) = (self.op_cpu_ms_per_op, self.op_cpu_cores) {
            out.push(format!("OP CPU: {ms:.4} ms per operation ({cores:.2} cores)"));
        }
        if let (Some(rss), Some(peak)) = (self.op_rss_mib, self.op_peak_rss_mib) {
            out.push(format!("OP memory: RSS {rss:.1} MiB, peak {peak:.1} MiB"));
        }
        if let (Some(ms), Some(cores)) = (self.loadtest_cpu_ms_per_op, self.loadtest_cpu_cores) {
            out.push(format!(
                "loadtest CPU: {ms:.4} ms per operation ({cores:.2} cores)"
            ));
        }
        if !self.targets.is_empty() {
            let spread: Vec<String> = self.targets.iter().map(|(h, n)| format!("{h} {n}")).collect();
            out.push(format!("connections per target: {}", spread.join(", ")));
        }
        if let Some(v) = &self.verify {
            out.extend(v.text());
        }
        out.join("\n")
    }
}
