//! Crash safety when the process committing is killed: the test re-runs this
//! test binary as a child (`crash_child`, selected by
//! `FIDUCIA_CRASH_CHILD_STORE`) that commits transactions from many tasks
//! and prints every acknowledged one; the parent kills it with SIGKILL
//! mid-load, opens the store and checks that every acknowledged transaction
//! is there whole, and that no transaction is there in half (each writes
//! two keys: both or neither). Written once, run on each backend: embedded
//! (the child owns the store: its log is what must survive), PostgreSQL
//! (a server the tests start) and FoundationDB (`FDB_CLUSTER_FILE`). The
//! server's own crash is `pg_crash.rs`.

use super::acking_child::AckingChild;
use fiducia::store::embedded::{EmbeddedBackend, EmbeddedOptions, EngineKind, open_store};
use fiducia::store::kv::{KeyRange, RangeOptions, Store};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const CHILD_STORE_VAR: &str = "FIDUCIA_CRASH_CHILD_STORE";
const WRITERS: u64 = 32;

/// Which store the child writes to: `embedded:<dir>` (the memory engine),
/// `embedded-lsm:<dir>`, `postgres:<url>` or `fdb:<prefix>`.
async fn open_child_store(spec: &str) -> Store {
    if let Some(dir) = spec.strip_prefix("embedded:") {
        return open_store(Path::new(dir)).unwrap().0;
    }
    if let Some(dir) = spec.strip_prefix("embedded-lsm:") {
        return open_lsm(Path::new(dir));
    }
    if let Some(url) = spec.strip_prefix("postgres:") {
        let backend =
            fiducia::store::postgres::PostgresBackend::open(fiducia::store::postgres::PostgresOptions {
                url: url.to_string(),
                password: None,
                pool_size: WRITERS as usize,
                sslmode: fiducia::config::PostgresSslMode::Disable,
                ca_file: None,
            })
            .await
            .unwrap();
        return Store::new(Arc::new(backend));
    }
    #[cfg(feature = "fdb")]
    if let Some(prefix) = spec.strip_prefix("fdb:") {
        let cluster_file = std::env::var_os("FDB_CLUSTER_FILE").unwrap();
        let backend =
            fiducia::store::fdb::FdbBackend::open(Some(Path::new(&cluster_file)), prefix.as_bytes()).unwrap();
        return Store::new(Arc::new(backend));
    }
    panic!("unknown crash child store {spec}");
}

/// Not a test on its own: the child process of the crash tests. Without
/// the variable it does nothing.
#[test]
fn crash_child() {
    let Ok(spec) = std::env::var(CHILD_STORE_VAR) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let store = open_child_store(&spec).await;
        let mut writers = Vec::new();
        for writer in 0..WRITERS {
            let store = store.clone();
            writers.push(tokio::spawn(async move {
                // Bounded: the parent kills us long before this runs out.
                for n in (writer..).step_by(WRITERS as usize).take(200_000) {
                    store
                        .run(|tx, _| async move { write_pair(&tx, n) })
                        .await
                        .unwrap();
                    println!("ack {n}");
                }
            }));
        }
        for writer in writers {
            writer.await.unwrap();
        }
    });
}

pub fn write_pair(tx: &fiducia::store::kv::Transaction, n: u64) -> Result<(), fiducia::store::kv::KvError> {
    let value = vec![n as u8; 200];
    tx.set(format!("a/{n:012}").as_bytes(), &value)?;
    tx.set(format!("b/{n:012}").as_bytes(), &value)
}

pub async fn numbers_under(store: &Store, prefix: &'static [u8]) -> BTreeSet<u64> {
    let pairs = store
        .run(|tx, _| async move {
            tx.get_range(&KeyRange::starting_with(prefix), RangeOptions::default())
                .await
        })
        .await
        .unwrap();
    pairs
        .iter()
        .map(|(k, _)| std::str::from_utf8(&k[prefix.len()..]).unwrap().parse().unwrap())
        .collect()
}

/// Starts the child on `spec`, waits until `ready` says the moment to kill
/// has come (it sees the acknowledgements so far), kills it with SIGKILL
/// and returns every acknowledged transaction.
fn run_child_and_kill(spec: &str, ready: impl Fn(usize) -> bool) -> BTreeSet<u64> {
    let mut child = AckingChild::spawn("it::store::crash::crash_child", CHILD_STORE_VAR, spec, |n| {
        n.parse::<u64>().unwrap()
    });
    let started = Instant::now();
    let mut moment = false;
    while started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(100));
        if ready(child.acknowledged()) {
            moment = true;
            break;
        }
    }
    assert!(moment, "the child never got to the moment to kill it");
    assert!(!child.exited(), "the child exited early");
    let acknowledged = child.kill();
    assert!(
        acknowledged.len() > 100,
        "only {} commits in {:?}",
        acknowledged.len(),
        started.elapsed()
    );
    acknowledged
}

/// Every acknowledged pair is in `store`, and no pair is there in half.
async fn check_survivors(store: &Store, acknowledged: &BTreeSet<u64>, what: &str) {
    let firsts = numbers_under(store, b"a/").await;
    let seconds = numbers_under(store, b"b/").await;
    let lost: Vec<_> = acknowledged.difference(&firsts).take(10).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    assert_eq!(firsts, seconds, "a transaction is visible in half");
    eprintln!(
        "crash test ({what}): {} acknowledged, {} stored after SIGKILL",
        acknowledged.len(),
        firsts.len()
    );
}

fn open_lsm(dir: &Path) -> Store {
    let options = EmbeddedOptions {
        engine: EngineKind::Lsm,
        ..EmbeddedOptions::default()
    };
    Store::new(Arc::new(EmbeddedBackend::open(dir, options).unwrap()))
}

/// The memory engine (the default): the first segment is deleted once a
/// snapshot holds it, so the kill lands after a snapshot, with batches in
/// the log after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_commits_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("store");
    let acknowledged = kill_after_the_first_segment(&store_dir, "embedded");
    let (store, _backend) = open_store(&store_dir).unwrap();
    check_survivors(&store, &acknowledged, "embedded, memory engine").await;
}

/// The LSM engine: the first segment is deleted once fjall's journal is
/// fsynced behind it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_commits_survive_sigkill_on_the_lsm_engine() {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("store");
    let acknowledged = kill_after_the_first_segment(&store_dir, "embedded-lsm");
    check_survivors(&open_lsm(&store_dir), &acknowledged, "embedded, LSM engine").await;
}

fn kill_after_the_first_segment(store_dir: &Path, kind: &str) -> BTreeSet<u64> {
    // Let it commit under load until its log has moved from the first
    // (growing) segment to a preallocated one — the first segment is
    // deleted once sealed and applied — and a little more, so that the kill
    // lands in a segment whose tail is zeros; then kill it without warning.
    let segment = |n: u64| store_dir.join("wal").join(format!("{n:020}.log"));
    let started = Instant::now();
    let moved_on = std::cell::Cell::new(None::<Instant>);
    tokio::task::block_in_place(|| {
        run_child_and_kill(&format!("{kind}:{}", store_dir.display()), |_| {
            if moved_on.get().is_none()
                && started.elapsed() > Duration::from_millis(1500)
                && segment(2).exists()
                && !segment(1).exists()
            {
                moved_on.set(Some(Instant::now()));
            }
            moved_on
                .get()
                .is_some_and(|at| at.elapsed() >= Duration::from_millis(300))
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_commits_survive_sigkill_on_postgres() {
    let Some(server) = crate::it::pg_server::shared() else {
        return;
    };
    let url = server.database().await;
    let acknowledged =
        tokio::task::block_in_place(|| run_child_and_kill(&format!("postgres:{url}"), |acks| acks > 2000));
    let store = open_child_store(&format!("postgres:{url}")).await;
    check_survivors(&store, &acknowledged, "postgres").await;
}

#[cfg(feature = "fdb")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_commits_survive_sigkill_on_fdb() {
    if std::env::var_os("FDB_CLUSTER_FILE").is_none() {
        eprintln!("skipped: FDB_CLUSTER_FILE is not set");
        return;
    }
    let spec = format!("fdb:fiducia-crash/{}/", uuid::Uuid::new_v4());
    let acknowledged = tokio::task::block_in_place(|| run_child_and_kill(&spec, |acks| acks > 2000));
    let store = open_child_store(&spec).await;
    check_survivors(&store, &acknowledged, "fdb").await;
}
