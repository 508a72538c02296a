//! Signer pool benchmark: raw multi-session PKCS#11 signing against the
//! pool's throughput on the same keys, in one run.
//!
//! Raw: `--threads` OS threads, each with its own logged-in session, call
//! `C_Sign` in a loop (the best the token can do). Pool: the same number of
//! pool workers, driven by `--in-flight` concurrent async callers through
//! the bounded queue and oneshot replies (what the OP pays per signature).
//!
//! `cargo run --release -p fiducia-bench --bin signer-bench -- --seconds 5 --runs 3`

use clap::Parser;
use fiducia_hsm::JoseAlg;
use fiducia_hsm::pkcs11::admin::KeyAdmin;
use fiducia_hsm::pkcs11::keygen::find_key_objects;
use fiducia_hsm::pkcs11::lifecycle::RotationPolicy;
use fiducia_hsm::pkcs11::mechanism::sign_blocking;
use fiducia_hsm::pkcs11::softhsm::new_token;
use fiducia_hsm::pkcs11::{Pin, PoolConfig, SignerPool, TokenConfig};
use hdrhistogram::Histogram;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(about = "Raw PKCS#11 vs signer-pool signing throughput on SoftHSM")]
struct Args {
    /// Sessions (raw threads, and pool workers).
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Concurrent callers driving the pool.
    #[arg(long, default_value_t = 64)]
    in_flight: usize,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Repetitions; medians are reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Algorithms to measure.
    #[arg(long, value_delimiter = ',', default_value = "ES256,PS256")]
    algs: Vec<JoseAlg>,
    /// Print one JSON object per algorithm instead of text.
    #[arg(long)]
    json: bool,
}

const PIN: &str = "bench-pin";
const INPUT: &[u8] = b"eyJhbGciOiJFUzI1NiIsImtpZCI6ImJlbmNoIn0.eyJzdWIiOiJiZW5jaCIsImlhdCI6MTcwMDAwMDAwMH0";

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let soft = new_token("bench", PIN)?;
    let token = TokenConfig {
        module: soft.module,
        token_label: soft.label,
        pin: Pin::new(PIN),
    };
    let admin = KeyAdmin::new(
        token.clone(),
        RotationPolicy {
            jwks_cache_ttl: Duration::from_secs(300),
            max_token_lifetime: Duration::from_secs(3600),
            refresh_interval: Duration::from_secs(10),
        },
    );
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let pool = runtime.block_on(SignerPool::start(PoolConfig {
        token: token.clone(),
        workers: args.threads,
        queue_capacity: args.in_flight * 2,
        job_deadline: Duration::from_secs(10),
    }))?;
    runtime.block_on(pool.wait_ready(Duration::from_secs(5)));
    if !args.json {
        println!(
            "signer-bench: {} sessions, {} in flight, {} s x {} runs (medians)",
            args.threads, args.in_flight, args.seconds, args.runs
        );
    }
    for alg in &args.algs {
        let record = admin.generate(*alg, 2048, "bench", 0)?;
        let kid: Arc<str> = record.kid().into();
        let duration = Duration::from_secs(args.seconds);
        let mut raw = Vec::new();
        let mut pooled = Vec::new();
        let mut latency = Histogram::<u64>::new(3)?;
        for _ in 0..args.runs {
            raw.push(raw_throughput(&token, &kid, *alg, args.threads, duration)?);
            let (rate, hist) =
                runtime.block_on(pool_throughput(&pool, &kid, *alg, args.in_flight, duration))?;
            pooled.push(rate);
            latency.add(hist)?;
        }
        // Each run measures raw and pool back to back; the median of the
        // per-run ratios is the figure that survives a noisy machine.
        let mut ratios: Vec<f64> = raw.iter().zip(&pooled).map(|(r, p)| p / r).collect();
        let ratio = median(&mut ratios);
        let (raw, pooled) = (median(&mut raw), median(&mut pooled));
        let p = |q: f64| latency.value_at_quantile(q) as f64 / 1000.0;
        if args.json {
            println!(
                "{{\"alg\":\"{alg}\",\"raw_per_s\":{raw:.0},\"pool_per_s\":{pooled:.0},\"ratio\":{ratio:.3},\"p50_ms\":{:.3},\"p99_ms\":{:.3},\"max_ms\":{:.3}}}",
                p(0.5),
                p(0.99),
                latency.max() as f64 / 1000.0
            );
        } else {
            println!(
                "{alg:<6} raw {raw:>9.0}/s   pool {pooled:>9.0}/s   pool/raw (median of runs) {:>5.1}%   pool latency p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
                ratio * 100.0,
                p(0.5),
                p(0.99),
                latency.max() as f64 / 1000.0
            );
        }
    }
    runtime.block_on(pool.shutdown());
    Ok(())
}

/// Signs per second with `threads` sessions calling C_Sign directly.
fn raw_throughput(
    token: &TokenConfig,
    kid: &str,
    alg: JoseAlg,
    threads: usize,
    duration: Duration,
) -> anyhow::Result<f64> {
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::new();
    for _ in 0..threads {
        let session = token.open_session(false)?;
        let (key, _) = find_key_objects(&session, kid)?;
        let key = key.ok_or_else(|| anyhow::anyhow!("key {kid} not found"))?;
        let (stop, count) = (stop.clone(), count.clone());
        handles.push(std::thread::spawn(move || -> anyhow::Result<()> {
            while !stop.load(Ordering::Relaxed) {
                sign_blocking(&session, alg, key, INPUT)?;
                count.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        }));
    }
    let started = Instant::now();
    std::thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    let signs = count.load(Ordering::Relaxed);
    let elapsed = started.elapsed();
    for handle in handles {
        handle
            .join()
            .map_err(|_| anyhow::anyhow!("raw signer thread panicked"))??;
    }
    Ok(signs as f64 / elapsed.as_secs_f64())
}

/// Signs per second through the pool with `in_flight` concurrent callers,
/// and their latencies in microseconds.
async fn pool_throughput(
    pool: &SignerPool,
    kid: &Arc<str>,
    alg: JoseAlg,
    in_flight: usize,
    duration: Duration,
) -> anyhow::Result<(f64, Histogram<u64>)> {
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..in_flight {
        let (pool, kid) = (pool.clone(), kid.clone());
        tasks.push(tokio::spawn(async move {
            let mut hist = Histogram::<u64>::new(3)?;
            let mut done = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                pool.sign(kid.clone(), alg, INPUT.to_vec()).await?;
                hist.record(t.elapsed().as_micros() as u64)?;
                done += 1;
            }
            anyhow::Ok((done, hist))
        }));
    }
    let mut total = 0;
    let mut hist = Histogram::<u64>::new(3)?;
    for task in tasks {
        let (done, h) = task.await??;
        total += done;
        hist.add(h)?;
    }
    Ok((total as f64 / started.elapsed().as_secs_f64(), hist))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
