//! Crash safety of the embedded backend. The test re-runs this test binary as
//! a child (`crash_child`, selected by `FIDUCIA_CRASH_CHILD_DIR`) that commits
//! transactions from many tasks and prints every acknowledged one; the parent
//! kills it with SIGKILL mid-load, reopens the store and checks that every
//! acknowledged transaction is there whole, and that no transaction is there
//! in half (each writes two keys: both or neither).

use fiducia::store::embedded::open_store;
use fiducia::store::kv::{KeyRange, RangeOptions, Store};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_DIR_VAR: &str = "FIDUCIA_CRASH_CHILD_DIR";
const WRITERS: u64 = 32;

/// Not a test on its own: the child process of
/// `acknowledged_commits_survive_sigkill`. Without the variable it does
/// nothing.
#[test]
fn crash_child() {
    let Some(dir) = std::env::var_os(CHILD_DIR_VAR) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let (store, _backend) = open_store(Path::new(&dir)).unwrap();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_commits_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("store");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "it::store::crash::crash_child",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD_DIR_VAR, &store_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut acknowledged = BTreeSet::new();
        for line in BufReader::new(stdout).lines() {
            if let Some(n) = line.unwrap().strip_prefix("ack ") {
                acknowledged.insert(n.parse::<u64>().unwrap());
            }
        }
        acknowledged
    });

    // Let it commit under load until its log has moved from the first
    // (growing) segment to a preallocated one — the first segment is
    // deleted once sealed and applied — and a little more, so that the kill
    // lands in a segment whose tail is zeros; then kill it without warning.
    let started = Instant::now();
    let segment = |n: u64| store_dir.join("wal").join(format!("{n:020}.log"));
    let mut moved_on = false;
    while started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(100));
        if started.elapsed() > Duration::from_millis(1500) && segment(2).exists() && !segment(1).exists() {
            moved_on = true;
            break;
        }
    }
    assert!(moved_on, "the store log never left its first segment");
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "the child exited early");
    kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL).unwrap();
    child.wait().unwrap();
    let acknowledged = reader.join().unwrap();
    assert!(
        acknowledged.len() > 100,
        "only {} commits in {:?}",
        acknowledged.len(),
        started.elapsed()
    );

    let (store, _backend) = open_store(&store_dir).unwrap();
    let firsts = numbers_under(&store, b"a/").await;
    let seconds = numbers_under(&store, b"b/").await;
    let lost: Vec<_> = acknowledged.difference(&firsts).take(10).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    assert_eq!(firsts, seconds, "a transaction is visible in half");
    eprintln!(
        "crash test: {} acknowledged, {} on disk after SIGKILL",
        acknowledged.len(),
        firsts.len()
    );
}
