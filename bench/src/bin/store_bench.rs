//! Durable token-issue transactions against the embedded store: N concurrent
//! writers each issue access tokens (one `Repo::upsert`: the record, its
//! expiry entry and its client, grant and user index entries, in one
//! transaction) as fast as their commits are acknowledged, for a fixed time.
//! Prints throughput, commit latency percentiles and group-commit batching.
//!
//! ```text
//! cargo run --release -p fiducia-bench --bin store-bench -- --writers 64 --seconds 10
//! ```

use clap::Parser;
use fiducia::store::embedded::{EmbeddedBackend, EmbeddedOptions};
use fiducia::store::keys::Kind;
use fiducia::store::kv::Store;
use fiducia::store::repo::{Links, Repo, StoredRecord};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Parser, Debug)]
#[command(about = "Durable token-issue transactions per second on the embedded store")]
struct Args {
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
    /// Index entries per token: `grant` (node-oidc-provider's adapter: the
    /// grant, for revoke-by-grant) or `all` (client, grant and user).
    #[arg(long, value_enum, default_value_t = Indexes::Grant)]
    indexes: Indexes,
    /// fjall memtable size, in MiB.
    #[arg(long, default_value_t = 64)]
    memtable_mib: u64,
    /// Tokio worker threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Indexes {
    Grant,
    All,
}

/// Which index entries the tokens of this run get (set once in `main`).
static INDEX_ALL: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// An access token as the token endpoint would store it (about 300 bytes).
#[derive(Serialize, Deserialize)]
struct AccessToken {
    client_id: String,
    grant_id: String,
    account_id: String,
    scope: String,
    jkt: String,
    consent_id: String,
    claims: String,
}

impl StoredRecord for AccessToken {
    const KIND: Kind = Kind::AccessToken;
    fn links(&self) -> Links {
        let all = INDEX_ALL.load(std::sync::atomic::Ordering::Relaxed);
        Links {
            client_id: all.then(|| self.client_id.clone()),
            grant_id: Some(self.grant_id.clone()),
            account_id: all.then(|| self.account_id.clone()),
            ..Links::default()
        }
    }
}

fn token(writer: usize, n: u64) -> (String, AccessToken) {
    let id = format!("at-{writer:03}-{n:010}-6jHq0bN3kXv9PzQ2rT8sLw5mYc1dFgA7eUiKoR4hJ");
    let token = AccessToken {
        client_id: format!("client-{}", writer % 8),
        grant_id: format!("grant-{writer}-{}", n / 4),
        account_id: format!("customer-{}", n % 1000),
        scope: "openid accounts payments".into(),
        jkt: "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I".into(),
        consent_id: format!("urn:bank:consent:{writer}-{n}"),
        claims: r#"{"acr":"urn:openbanking:psd2:sca","auth_time":1800000000}"#.into(),
    };
    (id, token)
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
    writer: usize,
    warmup_until: Instant,
    until: Instant,
) -> Result<Histogram<u64>, BoxError> {
    let mut latencies = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut n = 0u64;
    loop {
        let (id, payload) = token(writer, n);
        n += 1;
        let started = Instant::now();
        if started >= until {
            return Ok(latencies);
        }
        repo.upsert(&id, &payload, Some(600), now_unix()).await?;
        if started >= warmup_until {
            let micros = started.elapsed().as_micros().min(u128::from(u64::MAX)) as u64;
            let _ = latencies.record(micros.max(1));
        }
    }
}

fn main() -> Result<(), BoxError> {
    let args = Args::parse();
    INDEX_ALL.store(args.indexes == Indexes::All, std::sync::atomic::Ordering::Relaxed);
    let temp = tempfile::tempdir()?;
    let dir = args.dir.clone().unwrap_or_else(|| temp.path().join("store"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let backend = Arc::new(EmbeddedBackend::open(
            &dir,
            EmbeddedOptions {
                memtable_bytes: args.memtable_mib * 1024 * 1024,
                ..EmbeddedOptions::default()
            },
        )?);
        let store = Store::new(backend.clone());
        let repo = Repo::open(store.clone()).await?;
        let warmup_until = Instant::now() + Duration::from_secs(args.warmup_seconds);
        let until = warmup_until + Duration::from_secs(args.seconds);
        let before = backend.stats();
        let cpu_before = cpu_by_thread();
        let mut tasks = Vec::new();
        for w in 0..args.writers {
            tasks.push(tokio::spawn(writer(repo.clone(), w, warmup_until, until)));
        }
        let mut all = Histogram::<u64>::new(3)?;
        for task in tasks {
            all.add(task.await??)?;
        }
        let stats = backend.stats();
        let cpu_after = cpu_by_thread();
        store.close().await;
        let commits = all.len();
        let ms = |v: u64| v as f64 / 1000.0;
        println!(
            "store-bench: embedded backend, {} writers, {} s measured ({} s warm-up), token indexes: {:?}, memtable {} MiB",
            args.writers, args.seconds, args.warmup_seconds, args.indexes, args.memtable_mib
        );
        println!("durable token-issue transactions: {commits} ({:.0}/s)", commits as f64 / args.seconds as f64);
        println!(
            "commit latency ms: p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}",
            ms(all.value_at_quantile(0.50)),
            ms(all.value_at_quantile(0.90)),
            ms(all.value_at_quantile(0.99)),
            ms(all.value_at_quantile(0.999)),
            ms(all.max())
        );
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
            "cpu per transaction (incl. warm-up): {:.1} us in all threads, {:.1} us validating (store-writer), {:.1} us committing (store-commit)",
            per_txn(None),
            per_txn(Some("store-writer")),
            per_txn(Some("store-commit"))
        );
        println!("disk: {:.1} MiB", backend.disk_space() as f64 / (1024.0 * 1024.0));
        Ok::<(), BoxError>(())
    })?;
    Ok(())
}
