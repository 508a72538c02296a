//! Why the audit trail is striped (docs/ARCHITECTURE.md "Audit trail"):
//! 32 concurrent writers each commit audited changes (a record and its
//! audit record, one transaction) on the embedded store and on PostgreSQL,
//! once with every record in one chain (one head that every transaction
//! reads and writes) and once spread over the chains by target id. The
//! test prints commits per second and attempts per commit (an attempt that
//! conflicts on a chain head is run again by `Store::run`), checks that the
//! striped trail retried less, and that both trails verify.

use fiducia::store::audit::{Actor, AuditEvent, EventType, Target, append, verify};
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

async fn load(store: &Store, one_chain: bool) -> Outcome {
    let attempts = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for writer in 0..WRITERS {
        let (store, attempts) = (store.clone(), attempts.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..PER_WRITER {
                let id = format!("consent-{writer}-{i}");
                // One chain: every record is about the same target.
                let target = if one_chain { "the-one" } else { id.as_str() };
                let event = AuditEvent::new(
                    EventType::ConsentCreated,
                    Actor::Client("c".into()),
                    Target::new("consent", target),
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

async fn compare(what: &str, one: &Store, striped: &Store) {
    let single = load(one, true).await;
    let spread = load(striped, false).await;
    eprintln!(
        "audit contention ({what}, {WRITERS} writers): one chain {:.0} commits/s, {:.2} attempts/commit; \
         striped {:.0} commits/s, {:.2} attempts/commit",
        single.commits_per_sec, single.attempts_per_commit, spread.commits_per_sec, spread.attempts_per_commit
    );
    assert!(
        spread.attempts_per_commit <= single.attempts_per_commit,
        "striping must not retry more"
    );
    for store in [one, striped] {
        let report = verify::verify(store, &[]).await.unwrap();
        assert!(report.is_intact(), "{:?}", report.findings);
        assert_eq!(report.records, WRITERS * PER_WRITER);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn striped_chains_retry_less_than_one_head_embedded() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let one = fiducia::store::embedded::open_store(a.path()).unwrap().0;
    let striped = fiducia::store::embedded::open_store(b.path()).unwrap().0;
    compare("embedded", &one, &striped).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn striped_chains_retry_less_than_one_head_postgres() {
    let Some(server) = crate::it::pg_server::shared() else {
        return;
    };
    let open = |url: String| async move {
        let backend = fiducia::store::postgres::PostgresBackend::open(fiducia::store::postgres::PostgresOptions {
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
    let one = open(server.database().await).await;
    let striped = open(server.database().await).await;
    compare("postgres", &one, &striped).await;
}
