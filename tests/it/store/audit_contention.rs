//! Why the audit trail is striped (docs/ARCHITECTURE.md "Audit trail"):
//! 32 concurrent writers each commit audited changes (a record and its
//! audit record, one transaction) on the embedded store and on PostgreSQL:
//! with every record in one chain (one head that every transaction reads
//! and writes), and spread over the chains by target id. The
//! test prints commits per second and attempts per commit (an attempt that
//! conflicts on a chain head is run again by `Store::run`) with the records
//! in one chain, in 16 and in all of them, checks that striping retried
//! less than one head, and that every trail verifies.

use fiducia::store::audit::chain::chain_of;
use fiducia::store::audit::{Actor, AuditEvent, EventType, Target, append, verify};
use fiducia::store::keys::AUDIT_CHAINS;
use fiducia::store::kv::Store;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

const WRITERS: u64 = 32;
const PER_WRITER: u64 = 40;

struct Outcome {
    commits_per_sec: f64,
    attempts_per_commit: f64,
}

/// A target id of writer `writer`'s change `i` that falls in one of the
/// first `chains` chains.
fn target_in(chains: u16, writer: u64, i: u64) -> String {
    (0..)
        .map(|k| format!("consent-{writer}-{i}-{k}"))
        .find(|t| chain_of(t) < chains)
        .unwrap_or_default()
}

async fn load(store: &Store, chains: u16) -> Outcome {
    let attempts = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for writer in 0..WRITERS {
        let (store, attempts) = (store.clone(), attempts.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..PER_WRITER {
                let id = target_in(chains, writer, i);
                let event = AuditEvent::new(
                    EventType::ConsentCreated,
                    Actor::Client("c".into()),
                    Target::new("consent", &id),
                );
                let (event, id, attempts) = (&event, &id, &attempts);
                store
                    .run(|tx, _| async move {
                        attempts.fetch_add(1, Ordering::Relaxed);
                        tx.set(format!("audited/{id}").as_bytes(), &[1; 300])?;
                        append(&tx, event, 1).await
                    })
                    .await
                    .unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let commits = (WRITERS * PER_WRITER) as f64;
    Outcome {
        commits_per_sec: commits / started.elapsed().as_secs_f64(),
        attempts_per_commit: attempts.load(Ordering::Relaxed) as f64 / commits,
    }
}

/// One chain, 16 and every chain, each on its own store, one after the
/// other in the same run (so under the same neighbours).
async fn compare(what: &str, stores: [&Store; 3]) {
    let mut outcomes = Vec::new();
    for (store, chains) in stores.iter().zip([1, 16, AUDIT_CHAINS]) {
        let outcome = load(store, chains).await;
        eprintln!(
            "audit contention ({what}, {WRITERS} writers, {chains} chains): {:.0} commits/s, {:.2} attempts/commit",
            outcome.commits_per_sec, outcome.attempts_per_commit
        );
        outcomes.push(outcome);
    }
    assert!(
        outcomes[2].attempts_per_commit <= outcomes[0].attempts_per_commit,
        "striping must not retry more than one head"
    );
    for store in stores {
        let report = verify::verify(store, &[]).await.unwrap();
        assert!(report.is_intact(), "{:?}", report.findings);
        assert_eq!(report.records, WRITERS * PER_WRITER);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn striped_chains_retry_less_than_one_head_embedded() {
    let dirs = [(); 3].map(|()| tempfile::tempdir().unwrap());
    let [a, b, c] = dirs
        .each_ref()
        .map(|d| fiducia::store::embedded::open_store(d.path()).unwrap().0);
    compare("embedded", [&a, &b, &c]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn striped_chains_retry_less_than_one_head_postgres() {
    let Some(server) = crate::it::pg_server::shared() else {
        return;
    };
    let open = |url: String| async move {
        let backend =
            fiducia::store::postgres::PostgresBackend::open(fiducia::store::postgres::PostgresOptions {
                url,
                password: None,
                pool_size: WRITERS as usize,
                sslmode: fiducia::config::PostgresSslMode::Disable,
                ca_file: None,
            })
            .await
            .unwrap();
        Store::new(Arc::new(backend))
    };
    let a = open(server.database().await).await;
    let b = open(server.database().await).await;
    let c = open(server.database().await).await;
    compare("postgres", [&a, &b, &c]).await;
}
