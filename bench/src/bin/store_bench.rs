//! Durable token-issue transactions against the embedded store (or, with
//! `--backend postgres --postgres-url URL`, the PostgreSQL one): N concurrent
//! writers each issue access tokens exactly as the token endpoint does
//! (`src/oauth/tokens.rs`): a fresh 256-bit id, the OP's own `AccessToken`
//! record, one `Repo::insert_new` — the record keyed by SHA-256, its expiry
//! entry and its grant index entry, in one transaction — as fast as their
//! commits are acknowledged, for a fixed time. Prints throughput, commit
//! latency percentiles, group-commit batching and CPU per transaction.
//!
//! With `--reopen` the store is closed after the run and opened again,
//! timed: the recovery an OP does at start (the memory engine loads its
//! snapshot and replays the log after it; the LSM engine replays the log
//! into fjall).
//!
//! ```text
//! cargo run --release -p fiducia-bench --bin store-bench -- --writers 64 --seconds 10
//! cargo run --release -p fiducia-bench --bin store-bench -- --engine lsm --writers 64 --seconds 10
//! scripts/pg-bench.sh   # the same against a temporary PostgreSQL, beside pgbench
//! ```

use clap::Parser;
use fiducia::model::Binding;
use fiducia::model::records::AccessToken;
use fiducia::store::embedded::{EmbeddedBackend, EmbeddedOptions, EngineKind};
use fiducia::store::kv::Store;
use fiducia::store::postgres::{PostgresBackend, PostgresOptions};
use fiducia::store::record::FreshId;
use fiducia::store::repo::Repo;
use hdrhistogram::Histogram;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Parser, Debug)]
#[command(about = "Durable token-issue transactions per second on the embedded or PostgreSQL store")]
struct Args {
    /// The store backend.
    #[arg(long, value_enum, default_value_t = BenchBackend::Embedded)]
    backend: BenchBackend,
    /// PostgreSQL backend: the connection URL (no TLS).
    #[arg(long, env = "FIDUCIA_BENCH_POSTGRES_URL")]
    postgres_url: Option<String>,
    /// PostgreSQL backend: connections in the pool.
    #[arg(long, default_value_t = 16)]
    pool_size: usize,
    /// Concurrent writers (tokio tasks), each waiting for its commit.
    #[arg(long, default_value_t = 64)]
    writers: usize,
    /// Measured seconds (after the warm-up).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Warm-up seconds, not measured.
    #[arg(long, default_value_t = 1)]
    warmup_seconds: u64,
    /// Data directory (default: a fresh temporary directory, removed after).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// How a token is written: `insert-new` (what the token endpoint does: no
    /// read, never conflicts) or `upsert` (reads the id first, for comparison).
    #[arg(long, value_enum, default_value_t = Api::InsertNew)]
    api: Api,
    /// The embedded backend's engine (`store.engine`).
    #[arg(long, value_enum, default_value_t = BenchEngine::Memory)]
    engine: BenchEngine,
    /// Memory engine: the index's budget, in MiB (`store.memory_budget_mib`).
    #[arg(long, default_value_t = 4096)]
    memory_budget_mib: u64,
    /// Close the store after the run, open it again and time the opening.
    #[arg(long)]
    reopen: bool,
    /// LSM engine: fjall memtable size, in MiB.
    #[arg(long, default_value_t = 64)]
    memtable_mib: u64,
    /// fjall's flush and compaction threads (`store.background_threads`).
    #[arg(long, default_value_t = 1)]
    background_threads: usize,
    /// The sync thread under SCHED_BATCH (`store.sync_thread_batch_scheduling`).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    sync_thread_batch_scheduling: bool,
    /// Tokio worker threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum BenchBackend {
    Embedded,
    Postgres,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum BenchEngine {
    Memory,
    Lsm,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Api {
    InsertNew,
    Upsert,
}

/// An access token as the token endpoint stores it (about 230 bytes of
/// payload, 330 with the record's metadata): a client id, a customer, four
/// scopes (one naming the consent), a 43-character grant id shared by four
/// tokens, a DPoP key thumbprint.
fn token(writer: usize, n: u64, now: u64) -> AccessToken {
    let grant = n / 4;
    AccessToken {
        client_id: format!("8c1f6e2a-{:04x}-4bd3-9f0e-5a7c2d1b{:04x}", writer % 8, writer % 8),
        account_id: Some(format!("customer-{:06}", (writer as u64 * 7919 + n) % 100_000)),
        scopes: vec![
            "openid".into(),
            "accounts".into(),
            "payments".into(),
            format!("consent:urn-bank-consent-{writer:03}-{grant:08}"),
        ],
        grant_id: format!("g{writer:03}{grant:010}Zq8vW2xN5kR7tY1uI3oP6aS9dF4gH0jK"),
        binding: Binding::Dpop("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I".into()),
        issued_at: now,
        expires_at: now + 600,
        authorization_details: None,
        claims: None,
    }
}

/// CPU seconds used so far by this process's threads, by thread name
/// (Linux: `/proc/self/task/*/stat`, fields 14 and 15, in clock ticks of
/// 10 ms). Empty elsewhere.
fn cpu_by_thread() -> Vec<(String, f64)> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = stat[open + 1..close].to_string();
        let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
        let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
        // After the name: state is field 3, utime 14 and stime 15 (1-based).
        out.push((name, (ticks(11) + ticks(12)) / 100.0));
    }
    out
}

fn cpu_seconds(threads: &[(String, f64)], name: Option<&str>) -> f64 {
    threads
        .iter()
        .filter(|(n, _)| name.is_none_or(|want| n == want))
        .map(|(_, s)| s)
        .sum()
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn writer(
    repo: Repo,
    api: Api,
    writer: usize,
    warmup_until: Instant,
    until: Instant,
) -> Result<Histogram<u64>, BoxError> {
    let mut latencies = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut n = 0u64;
    loop {
        let started = Instant::now();
        if started >= until {
            return Ok(latencies);
        }
        let now = now_unix();
        let record = token(writer, n, now);
        n += 1;
        let id = FreshId::generate()?;
        match api {
            Api::InsertNew => repo.insert_new(&id, &record, Some(600), now).await?,
            Api::Upsert => repo.upsert(id.as_str(), &record, Some(600), now).await?,
        }
        if started >= warmup_until {
            let micros = started.elapsed().as_micros().min(u128::from(u64::MAX)) as u64;
            let _ = latencies.record(micros.max(1));
        }
    }
}

fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    let temp = tempfile::tempdir()?;
    let dir = args.dir.clone().unwrap_or_else(|| temp.path().join("store"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match args.backend {
            BenchBackend::Embedded => embedded(&args, &dir).await,
            BenchBackend::Postgres => postgres(&args).await,
        }
    })?;
    Ok(())
}

/// Runs the writers for the warm-up and the measured time; returns every
/// measured commit's latency.
async fn run_writers(args: &Args, repo: &Repo) -> Result<Histogram<u64>, BoxError> {
    let warmup_until = Instant::now() + Duration::from_secs(args.warmup_seconds);
    let until = warmup_until + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for w in 0..args.writers {
        tasks.push(tokio::spawn(writer(
            repo.clone(),
            args.api,
            w,
            warmup_until,
            until,
        )));
    }
    let mut all = Histogram::<u64>::new(3)?;
    for task in tasks {
        all.add(task.await??)?;
    }
    Ok(all)
}

fn print_latencies(args: &Args, all: &Histogram<u64>) {
    let commits = all.len();
    let ms = |v: u64| v as f64 / 1000.0;
    println!(
        "durable token-issue transactions: {commits} ({:.0}/s)",
        commits as f64 / args.seconds as f64
    );
    println!(
        "commit latency ms: p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}",
        ms(all.value_at_quantile(0.50)),
        ms(all.value_at_quantile(0.90)),
        ms(all.value_at_quantile(0.99)),
        ms(all.value_at_quantile(0.999)),
        ms(all.max())
    );
}

async fn postgres(args: &Args) -> Result<(), BoxError> {
    let url = args
        .postgres_url
        .clone()
        .ok_or("--backend postgres needs --postgres-url (or FIDUCIA_BENCH_POSTGRES_URL)")?;
    let backend = Arc::new(
        PostgresBackend::open(PostgresOptions {
            url,
            password: None,
            pool_size: args.pool_size,
            sslmode: fiducia::config::PostgresSslMode::Disable,
            ca_file: None,
        })
        .await?,
    );
    let store = Store::new(backend);
    let repo = Repo::open(store.clone()).await?;
    let cpu_before = cpu_by_thread();
    let all = run_writers(args, &repo).await?;
    let cpu_after = cpu_by_thread();
    store.close().await;
    println!(
        "store-bench: postgres backend, {} writers, pool of {}, {} s measured ({} s warm-up), {:?}",
        args.writers, args.pool_size, args.seconds, args.warmup_seconds, args.api
    );
    print_latencies(args, &all);
    let total = all.len() as f64 * (args.seconds + args.warmup_seconds) as f64 / args.seconds as f64;
    println!(
        "client cpu per transaction (estimated over warm-up too): {:.1} us",
        (cpu_seconds(&cpu_after, None) - cpu_seconds(&cpu_before, None)) * 1e6 / total.max(1.0)
    );
    Ok(())
}

fn embedded_options(args: &Args) -> EmbeddedOptions {
    EmbeddedOptions {
        engine: match args.engine {
            BenchEngine::Memory => EngineKind::Memory,
            BenchEngine::Lsm => EngineKind::Lsm,
        },
        memory_budget_bytes: args.memory_budget_mib * 1024 * 1024,
        memtable_bytes: args.memtable_mib * 1024 * 1024,
        background_threads: args.background_threads,
        sync_thread_batch_scheduling: args.sync_thread_batch_scheduling,
        ..EmbeddedOptions::default()
    }
}

async fn embedded(args: &Args, dir: &std::path::Path) -> Result<(), BoxError> {
    {
        let backend = Arc::new(EmbeddedBackend::open(dir, embedded_options(args))?);
        let store = Store::new(backend.clone());
        let repo = Repo::open(store.clone()).await?;
        let before = backend.stats();
        let cpu_before = cpu_by_thread();
        let all = run_writers(args, &repo).await?;
        let stats = backend.stats();
        let cpu_after = cpu_by_thread();
        store.close().await;
        println!(
            "store-bench: embedded backend, {:?} engine, {} writers, {} s measured ({} s warm-up), {:?}, memtable {} MiB, {} background thread(s), sync thread batch scheduling {}",
            args.engine,
            args.writers,
            args.seconds,
            args.warmup_seconds,
            args.api,
            args.memtable_mib,
            args.background_threads,
            args.sync_thread_batch_scheduling
        );
        print_latencies(args, &all);
        let batches = stats.batches - before.batches;
        let committed = stats.committed - before.committed;
        println!(
            "group commit (incl. warm-up): {batches} fsynced batches, {:.1} transactions per batch, {} conflicts",
            committed as f64 / batches.max(1) as f64,
            stats.conflicts - before.conflicts
        );
        let per_txn = |name: Option<&str>| {
            (cpu_seconds(&cpu_after, name) - cpu_seconds(&cpu_before, name)) * 1e6 / committed.max(1) as f64
        };
        println!(
            "cpu per transaction (incl. warm-up): {:.1} us in all threads: {:.1} us tokio workers (building, validating), {:.1} us store-sync (log write, fdatasync), {:.1} us store-ack (answers), {:.1} us store-apply (index, or fjall journal and memtable), {:.1} us store-checkpoint (snapshots), {:.1} us fjall workers (flush, compaction)",
            per_txn(None),
            per_txn(Some("tokio-rt-worker")),
            per_txn(Some("store-sync")),
            per_txn(Some("store-ack")),
            per_txn(Some("store-apply")),
            per_txn(Some("store-checkpoint")),
            per_txn(Some("fjall:worker"))
        );
        println!(
            "disk: {:.1} MiB; memory index (estimated): {:.1} MiB",
            backend.disk_space() as f64 / (1024.0 * 1024.0),
            backend.memory_bytes() as f64 / (1024.0 * 1024.0)
        );
        drop(store);
        drop(backend);
    }
    if args.reopen {
        let started = Instant::now();
        let backend = Arc::new(EmbeddedBackend::open(dir, embedded_options(args))?);
        let opened = started.elapsed();
        let store = Store::new(backend.clone());
        let keys = store
            .run(|tx, _| async move {
                tx.get_range(
                    &fiducia::store::kv::KeyRange::new(Vec::new(), vec![0xff]),
                    fiducia::store::kv::RangeOptions::default(),
                )
                .await
                .map(|pairs| pairs.len())
            })
            .await?;
        println!(
            "reopen: {:.3} s for {keys} keys ({:.3} s per million keys)",
            opened.as_secs_f64(),
            opened.as_secs_f64() * 1e6 / keys.max(1) as f64
        );
        store.close().await;
    }
    Ok(())
}
