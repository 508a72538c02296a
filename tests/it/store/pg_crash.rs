//! Crash safety of the PostgreSQL backend: 32 writers commit pairs of keys
//! through the store while the server (postmaster and every backend) is
//! killed with SIGKILL; after a restart (crash recovery from the WAL) every
//! acknowledged pair is there whole and no pair is there in half — the same
//! check as `crash.rs` makes of the embedded backend, whose own process is
//! the one killed there.

use super::crash::{numbers_under, write_pair};
use crate::it::pg_server::PgServer;
use fiducia::config::PostgresSslMode;
use fiducia::store::kv::{KvError, RunOptions, Store};
use fiducia::store::postgres::{PostgresBackend, PostgresOptions};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const WRITERS: u64 = 32;

async fn open(url: &str) -> Store {
    let backend = PostgresBackend::open(PostgresOptions {
        url: url.to_string(),
        password: None,
        pool_size: WRITERS as usize,
        sslmode: PostgresSslMode::Disable,
        ca_file: None,
    })
    .await
    .unwrap();
    Store::new(Arc::new(backend)).with_options(RunOptions {
        timeout: Duration::from_secs(2),
        retry_limit: 100,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_commits_survive_a_postgres_server_sigkill() {
    let Some(server) = PgServer::start() else {
        return;
    };
    let server = server.unwrap();
    let url = server.database().await;
    let store = open(&url).await;
    let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));
    let failures = Arc::new(Mutex::new(Vec::new()));
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let (store, acknowledged, failures) = (store.clone(), acknowledged.clone(), failures.clone());
        writers.push(tokio::spawn(async move {
            for n in (writer..).step_by(WRITERS as usize).take(100_000) {
                match store.run(|tx, _| async move { write_pair(&tx, n) }).await {
                    Ok(()) => {
                        acknowledged.lock().unwrap().insert(n);
                    }
                    Err(e) => {
                        failures.lock().unwrap().push(e);
                        return;
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before_kill = acknowledged.lock().unwrap().len();
    assert!(before_kill > 100, "only {before_kill} commits before the kill");
    tokio::task::block_in_place(|| server.crash());
    for writer in writers {
        writer.await.unwrap();
    }
    // Every writer stopped on an error: none was told "committed" falsely.
    let failures = failures.lock().unwrap().clone();
    assert_eq!(failures.len(), WRITERS as usize);
    assert!(
        failures.iter().all(|e| matches!(
            e,
            KvError::TimedOut(_) | KvError::CommitUnknown | KvError::RetryLimit { .. }
        )),
        "{failures:?}"
    );
    store.close().await;

    tokio::task::block_in_place(|| server.run()).unwrap();
    let store = open(&url).await;
    let acknowledged = acknowledged.lock().unwrap().clone();
    let firsts = numbers_under(&store, b"a/").await;
    let seconds = numbers_under(&store, b"b/").await;
    let lost: Vec<_> = acknowledged.difference(&firsts).take(10).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    assert_eq!(firsts, seconds, "a transaction is visible in half");
    eprintln!(
        "postgres crash test: {} acknowledged, {} in the store after SIGKILL and recovery",
        acknowledged.len(),
        firsts.len()
    );
}
