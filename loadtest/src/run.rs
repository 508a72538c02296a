//! Drives a scenario: open loop (operations start at a constant arrival
//! rate whatever the OP does, each timed from its scheduled start, so a
//! stalled OP shows in the latencies instead of slowing the load: no
//! coordinated omission) or closed loop (N clients, each starting its next
//! operation when the last one ends). Bounded by duration and operation count.

use crate::proc::Cpu;
use crate::scenario::{Ctx, Scenario, Worker};
use crate::stats::{Stats, Steps};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How operations are started.
#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// `rate` operations per second, at most `max_in_flight` at once
    /// (later ones wait, their wait counted in their latency).
    Open { rate: f64, max_in_flight: usize },
    /// `concurrency` clients back to back.
    Closed { concurrency: usize },
}

/// Limits and reporting of a run.
#[derive(Debug, Clone)]
pub struct Plan {
    pub mode: Mode,
    pub duration: Duration,
    /// Operations not counted at the start (connections, caches, JIT-free warm-up of the OP's pools).
    pub warmup: Duration,
    /// Stop after this many measured operations.
    pub max_ops: Option<u64>,
    /// Print a progress line every second to stderr.
    pub progress: bool,
    pub op_pid: Option<u32>,
    /// `ciba-pending`: the requests to create before the clock.
    pub pending: Option<u64>,
}

/// What creating `ciba-pending`'s requests cost (before the clock): the
/// OP's CPU per backchannel authentication request and the memory its
/// pending requests hold.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Prepared {
    /// Requests created, pending when the clock started.
    pub requests: u64,
    pub failed: u64,
    /// The first failure, when any.
    pub first_error: Option<String>,
    pub seconds: f64,
    pub per_sec: f64,
    /// OP process CPU per created request, ms (`--op-pid`).
    pub op_cpu_ms_per_request: Option<f64>,
    /// The OP's resident memory before and after, MiB.
    pub op_rss_mib_before: Option<f64>,
    pub op_rss_mib_after: Option<f64>,
}

/// What the measured window produced.
pub struct Outcome {
    pub stats: Stats,
    pub elapsed: Duration,
    pub op_cpu: Option<Cpu>,
    pub own_cpu: Option<Cpu>,
    /// TCP+TLS connections opened over the whole run.
    pub connections: u64,
    /// Of those, opened in the measured window.
    pub connections_measured: u64,
    /// `ciba-pending`: the requests created before the clock.
    pub prepared: Option<Prepared>,
}

struct Shared {
    ctx: Arc<Ctx>,
    stats: Mutex<Stats>,
    /// Measured operations started (after warm-up).
    started: AtomicU64,
    stop: AtomicBool,
    max_ops: Option<u64>,
    idle: Mutex<Vec<Worker>>,
    /// When the measured window started: set after the warm-up.
    window_start: OnceLock<Instant>,
}

impl Shared {
    /// Whether an operation due at `scheduled` may start, and whether it is
    /// measured (due in the measured window, not before it: an open loop
    /// still behind on warm-up slots does not count them; counted against
    /// `max_ops`).
    fn admit(&self, scheduled: Instant) -> Option<bool> {
        if self.stop.load(Ordering::Relaxed) {
            return None;
        }
        if self.window_start.get().is_none_or(|start| scheduled < *start) {
            return Some(false);
        }
        let n = self.started.fetch_add(1, Ordering::Relaxed);
        match self.max_ops {
            Some(max) if n >= max => {
                self.stop.store(true, Ordering::Relaxed);
                None
            }
            _ => Some(true),
        }
    }

    /// Runs one operation; only a measured one (started in the measured
    /// window) is recorded, however late it ends.
    async fn one(&self, worker: &mut Worker, scheduled: Instant, measured: bool) {
        let mut steps = Steps::default();
        let result = worker.run(&self.ctx, &mut steps).await;
        let total = scheduled.elapsed();
        if !measured {
            return;
        }
        let started = self
            .window_start
            .get()
            .map(|start| scheduled.saturating_duration_since(*start))
            .unwrap_or_default();
        if let Ok(mut stats) = self.stats.lock() {
            stats.add(&steps, total, result.err(), started);
        }
    }
}

/// Runs `plan` against the OP described by `ctx`.
pub async fn run(ctx: Arc<Ctx>, plan: &Plan) -> anyhow::Result<Outcome> {
    let shared = Arc::new(Shared {
        ctx,
        stats: Mutex::new(Stats::new()),
        started: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        max_ops: plan.max_ops,
        idle: Mutex::new(Vec::new()),
        window_start: OnceLock::new(),
    });
    let prepared = match plan.pending {
        Some(n) => Some(prepare(&shared, n, plan.op_pid).await),
        None => None,
    };
    if let Mode::Open { max_in_flight, .. } = plan.mode {
        prime(&shared, max_in_flight).await;
    }
    if plan.warmup.is_zero() {
        let _ = shared.window_start.set(Instant::now());
    }
    let drivers = match plan.mode {
        Mode::Open { rate, max_in_flight } => {
            vec![tokio::spawn(open_loop(shared.clone(), rate, max_in_flight))]
        }
        Mode::Closed { concurrency } => (0..concurrency)
            .map(|_| tokio::spawn(closed_loop(shared.clone())))
            .collect(),
    };
    if !plan.warmup.is_zero() {
        tokio::time::sleep(plan.warmup).await;
    }
    // The measured window starts here (or started before the drivers,
    // without a warm-up).
    let start = *shared.window_start.get_or_init(Instant::now);
    let connections_before = shared.ctx.connections.load(Ordering::Relaxed);
    let op_before = plan.op_pid.and_then(Cpu::of_process);
    let own_before = Cpu::of_process(std::process::id());
    let deadline = start + plan.duration;
    let mut next_progress = start + Duration::from_secs(1);
    let mut last = (0u64, start);
    while Instant::now() < deadline && !shared.stop.load(Ordering::Relaxed) {
        let wait = deadline
            .saturating_duration_since(Instant::now())
            .min(Duration::from_millis(100));
        tokio::time::sleep(wait).await;
        if plan.progress && Instant::now() >= next_progress {
            last = progress_line(&shared, start, last);
            next_progress += Duration::from_secs(1);
        }
    }
    shared.stop.store(true, Ordering::Relaxed);
    // The window's length: operations started in it count even when they end after it.
    let elapsed = start.elapsed();
    let connections_measured = shared.ctx.connections.load(Ordering::Relaxed) - connections_before;
    for driver in drivers {
        let _ = driver.await;
    }
    if plan.progress {
        eprintln!();
    }
    let op_cpu = plan
        .op_pid
        .and_then(Cpu::of_process)
        .zip(op_before)
        .map(|(after, before)| after.since(&before));
    let own_cpu = Cpu::of_process(std::process::id())
        .zip(own_before)
        .map(|(after, before)| after.since(&before));
    let stats = match shared.stats.lock() {
        Ok(mut s) => std::mem::take(&mut *s),
        Err(_) => Stats::new(),
    };
    let connections = shared.ctx.connections.load(Ordering::Relaxed);
    Ok(Outcome {
        stats,
        elapsed,
        op_cpu,
        own_cpu,
        connections,
        connections_measured,
        prepared,
    })
}

/// Creates `n` requests for `ciba-pending`, [`PRIMING_AT_ONCE`] at a time,
/// and measures what the OP spent on them.
async fn prepare(shared: &Arc<Shared>, n: u64, op_pid: Option<u32>) -> Prepared {
    let rss = || op_pid.and_then(crate::proc::memory_mib).map(|(rss, _)| rss);
    let rss_before = rss();
    let cpu_before = op_pid.and_then(Cpu::of_process);
    let started = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let first_error = Arc::new(Mutex::new(None::<String>));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..PRIMING_AT_ONCE {
        let (shared, next, failed, first_error) =
            (shared.clone(), next.clone(), failed.clone(), first_error.clone());
        tasks.spawn(async move {
            let Ok(mut worker) = Worker::new(shared.ctx.alg) else {
                return;
            };
            while next.fetch_add(1, Ordering::Relaxed) < n {
                if let Err(e) = crate::scenario::ciba::prepare_pending(&mut worker, &shared.ctx).await {
                    failed.fetch_add(1, Ordering::Relaxed);
                    if let Ok(mut first) = first_error.lock() {
                        first.get_or_insert_with(|| format!("{}: {}", e.step, e.kind));
                    }
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let seconds = started.elapsed().as_secs_f64();
    let requests = shared.ctx.ciba.as_ref().map_or(0, |c| c.pending_count() as u64);
    let op_cpu_ms_per_request = op_pid
        .and_then(Cpu::of_process)
        .zip(cpu_before)
        .map(|(after, before)| after.since(&before).total() * 1000.0 / requests.max(1) as f64);
    Prepared {
        requests,
        failed: failed.load(Ordering::Relaxed),
        first_error: first_error.lock().ok().and_then(|e| e.clone()),
        seconds,
        per_sec: requests as f64 / seconds.max(1e-9),
        op_cpu_ms_per_request,
        op_rss_mib_before: rss_before,
        op_rss_mib_after: rss(),
    }
}

fn progress_line(shared: &Shared, start: Instant, (last_ops, last_at): (u64, Instant)) -> (u64, Instant) {
    let Ok(stats) = shared.stats.lock() else {
        return (last_ops, last_at);
    };
    let ops = stats.ok + stats.failed;
    let now = Instant::now();
    let rate = (ops - last_ops.min(ops)) as f64 / now.duration_since(last_at).as_secs_f64().max(1e-9);
    let (p50, p99) = stats
        .op()
        .map(|h| {
            (
                h.value_at_quantile(0.5) as f64 / 1000.0,
                h.value_at_quantile(0.99) as f64 / 1000.0,
            )
        })
        .unwrap_or((0.0, 0.0));
    eprint!(
        "\r[{:>4.0}s] {:>9} ok {:>6} failed {:>9.1}/s   p50 {:>7.2} ms  p99 {:>7.2} ms   ",
        start.elapsed().as_secs_f64(),
        stats.ok,
        stats.failed,
        rate,
        p50,
        p99
    );
    (ops, now)
}

/// Most operations [`prime`] runs at once.
const PRIMING_AT_ONCE: usize = 32;

/// Before the open loop's clock starts, runs one unmeasured operation on
/// each of its `clients`, so that each holds its kept-alive connections: a
/// burst in the measured window then finds an idle client instead of paying
/// a TCP+TLS handshake (and the OP a full mTLS handshake) inside the
/// latencies it is meant to show. Not for `handshake`, whose operation is a
/// new connection.
async fn prime(shared: &Arc<Shared>, clients: usize) {
    if shared.ctx.scenario == Scenario::Handshake {
        return;
    }
    let permits = Arc::new(tokio::sync::Semaphore::new(PRIMING_AT_ONCE));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients.max(1) {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        let shared = shared.clone();
        tasks.spawn(async move {
            let Ok(mut worker) = Worker::new(shared.ctx.alg) else {
                return;
            };
            shared.one(&mut worker, Instant::now(), false).await;
            if let Ok(mut idle) = shared.idle.lock() {
                idle.push(worker);
            }
            drop(permit);
        });
    }
    while tasks.join_next().await.is_some() {}
}

async fn open_loop(shared: Arc<Shared>, rate: f64, max_in_flight: usize) {
    let interval = Duration::from_secs_f64(1.0 / rate.max(1e-6));
    let permits = Arc::new(tokio::sync::Semaphore::new(max_in_flight.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let epoch = Instant::now();
    let mut n: u32 = 0;
    loop {
        let scheduled = epoch + interval.saturating_mul(n);
        n = n.saturating_add(1);
        tokio::time::sleep_until(scheduled.into()).await;
        let Some(measured) = shared.admit(scheduled) else {
            break;
        };
        // Waiting for a permit delays this start but not its clock: the wait is in its latency.
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        let shared = shared.clone();
        tasks.spawn(async move {
            let worker = shared.idle.lock().ok().and_then(|mut idle| idle.pop());
            let mut worker = match worker {
                Some(w) => w,
                None => match Worker::new(shared.ctx.alg) {
                    Ok(w) => w,
                    Err(_) => return,
                },
            };
            shared.one(&mut worker, scheduled, measured).await;
            if let Ok(mut idle) = shared.idle.lock() {
                idle.push(worker);
            }
            drop(permit);
        });
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
}

async fn closed_loop(shared: Arc<Shared>) {
    let Ok(mut worker) = Worker::new(shared.ctx.alg) else {
        return;
    };
    loop {
        let now = Instant::now();
        let Some(measured) = shared.admit(now) else { break };
        shared.one(&mut worker, now, measured).await;
    }
}
