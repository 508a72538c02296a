//! The backend conformance suite: what every `kv` backend must do, written
//! once and run per backend by `conformance_suite!(factory expression)`.
//! Exact results under concurrency are the point: serializability means no
//! lost update, no double consumption and no write skew, ever.

use fiducia::store::embedded::InjectedFault;
use fiducia::store::kv::{
    KeyRange, KvError, MAX_KEY_BYTES, MAX_VALUE_BYTES, MaybeCommitted, RangeOptions, RunOptions, Store,
};
use fiducia::store::record::{Links, StoredRecord};
use fiducia::store::repo::Repo;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Makes the store under test.
pub trait Factory: Send + Sync + 'static {
    /// The store; every call returns the same empty-at-start store.
    fn store(&self) -> Store;
    /// Makes the next commits fail as told; `false` if the backend cannot.
    fn inject_faults(&self, faults: &[InjectedFault]) -> bool;
}

/// One `#[tokio::test]` per conformance case, for the factory expression.
#[macro_export]
macro_rules! conformance_suite {
    ($factory:expr) => {
        $crate::conformance_suite!(@cases $factory;
            read_your_writes, range_order_and_limits, size_limits_are_foundationdbs,
            counter_increments_are_exact_under_contention, one_consumer_wins,
            write_skew_is_prevented, conflicts_are_retried, ttl_hides_then_sweeps,
            maybe_committed_is_explicit_and_idempotent_closures_apply_once);
    };
    (@cases $factory:expr; $($case:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let factory = $factory;
                $crate::it::store::conformance::$case(&factory).await;
            }
        )*
    };
}

fn key(text: &str) -> Vec<u8> {
    text.as_bytes().to_vec()
}

fn range(begin: &str, end: &str) -> KeyRange {
    KeyRange::new(key(begin), key(end))
}

fn keys_of(pairs: &[(Vec<u8>, Vec<u8>)]) -> Vec<String> {
    pairs
        .iter()
        .map(|(k, _)| String::from_utf8_lossy(k).into_owned())
        .collect()
}

async fn read_counter(store: &Store, name: &'static [u8]) -> u64 {
    store
        .run(|tx, _| async move { Ok(tx.get(name).await?.map(|v| decode_u64(&v)).unwrap_or(0)) })
        .await
        .unwrap()
}

fn decode_u64(bytes: &[u8]) -> u64 {
    u64::from_be_bytes(bytes.try_into().unwrap())
}

pub async fn read_your_writes(factory: &impl Factory) {
    let store = factory.store();
    store
        .run(|tx, _| async move { tx.set(b"ryw/a", b"old") })
        .await
        .unwrap();
    let seen = store
        .run(|tx, _| async move {
            tx.set(b"ryw/a", b"new")?;
            tx.set(b"ryw/b", b"b")?;
            let a = tx.get(b"ryw/a").await?;
            tx.clear(b"ryw/b")?;
            let b = tx.get(b"ryw/b").await?;
            let all = tx
                .get_range(&range("ryw/", "ryw0"), RangeOptions::default())
                .await?;
            Ok((a, b, all))
        })
        .await
        .unwrap();
    assert_eq!(seen.0.as_deref(), Some(&b"new"[..]));
    assert_eq!(seen.1, None);
    assert_eq!(seen.2, vec![(key("ryw/a"), key("new"))]);
    // A failed closure leaves nothing behind.
    let failed = store
        .run(|tx, _| async move {
            tx.set(b"ryw/c", b"c")?;
            Err::<(), _>(KvError::Aborted("changed my mind".into()))
        })
        .await;
    assert_eq!(failed, Err(KvError::Aborted("changed my mind".into())));
    assert_eq!(
        store
            .run(|tx, _| async move { tx.get(b"ryw/c").await })
            .await
            .unwrap(),
        None
    );
}

pub async fn range_order_and_limits(factory: &impl Factory) {
    let store = factory.store();
    let names = ["r/m", "r/a", "r/\x00", "r/z\u{ff}", "r/b", "r/aa", "r/\u{7f}"];
    store
        .run(|tx, _| async move { names.iter().try_for_each(|n| tx.set(n.as_bytes(), n.as_bytes())) })
        .await
        .unwrap();
    let mut sorted: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    sorted.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    let (all, back, first, last) = store
        .run(|tx, _| async move {
            let r = KeyRange::starting_with(b"r/");
            Ok((
                tx.get_range(&r, RangeOptions::default()).await?,
                tx.get_range(&r, RangeOptions::reversed()).await?,
                tx.get_range(&r, RangeOptions::limit(2)).await?,
                tx.get_range(
                    &r,
                    RangeOptions {
                        limit: 2,
                        reverse: true,
                    },
                )
                .await?,
            ))
        })
        .await
        .unwrap();
    assert_eq!(keys_of(&all), sorted);
    let mut reversed = sorted.clone();
    reversed.reverse();
    assert_eq!(keys_of(&back), reversed);
    assert_eq!(keys_of(&first), sorted[..2].to_vec());
    assert_eq!(keys_of(&last), reversed[..2].to_vec());
    // The range is half-open.
    let half = store
        .run(|tx, _| async move { tx.get_range(&range("r/a", "r/b"), RangeOptions::default()).await })
        .await
        .unwrap();
    assert_eq!(keys_of(&half), vec!["r/a", "r/aa"]);
}

pub async fn size_limits_are_foundationdbs(factory: &impl Factory) {
    let store = factory.store();
    let attempts = Arc::new(AtomicUsize::new(0));
    let largest = |len: usize| vec![b'k'; len];
    store
        .run(|tx, _| async move { tx.set(&largest(MAX_KEY_BYTES), &vec![0; MAX_VALUE_BYTES]) })
        .await
        .unwrap();
    let too_long_key = store
        .run(|tx, _| async move { tx.set(&largest(MAX_KEY_BYTES + 1), b"") })
        .await;
    assert_eq!(too_long_key, Err(KvError::KeyTooLarge(MAX_KEY_BYTES + 1)));
    let too_long_read = store
        .run(|tx, _| async move { tx.get(&largest(MAX_KEY_BYTES + 1)).await })
        .await;
    assert_eq!(too_long_read, Err(KvError::KeyTooLarge(MAX_KEY_BYTES + 1)));
    let too_big_value = store
        .run(|tx, _| async move { tx.set(b"v", &vec![0; MAX_VALUE_BYTES + 1]) })
        .await;
    assert_eq!(too_big_value, Err(KvError::ValueTooLarge(MAX_VALUE_BYTES + 1)));
    let counted = attempts.clone();
    let too_big_transaction = store
        .run(|tx, _| {
            counted.fetch_add(1, Ordering::SeqCst);
            async move {
                for i in 0..101u32 {
                    tx.set(format!("big/{i}").as_bytes(), &vec![1; MAX_VALUE_BYTES - 10])?;
                }
                Ok(())
            }
        })
        .await;
    assert!(
        matches!(too_big_transaction, Err(KvError::TransactionTooLarge(_))),
        "{too_big_transaction:?}"
    );
    assert_eq!(attempts.load(Ordering::SeqCst), 1, "limit errors are not retried");
    let none = store
        .run(|tx, _| async move {
            tx.get_range(&KeyRange::starting_with(b"big/"), RangeOptions::limit(1))
                .await
        })
        .await
        .unwrap();
    assert!(none.is_empty(), "nothing of the refused transaction was written");
}

pub async fn counter_increments_are_exact_under_contention(factory: &impl Factory) {
    let store = factory.store();
    let attempts = Arc::new(AtomicUsize::new(0));
    let (tasks, increments) = (32, 20);
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let (store, attempts) = (store.clone(), attempts.clone());
        handles.push(tokio::spawn(async move {
            for _ in 0..increments {
                store
                    .run(|tx, _| {
                        attempts.fetch_add(1, Ordering::Relaxed);
                        async move {
                            let now = tx.get(b"counter").await?.map(|v| decode_u64(&v)).unwrap_or(0);
                            tx.set(b"counter", &(now + 1).to_be_bytes())
                        }
                    })
                    .await
                    .unwrap();
            }
        }));
    }
    for handle in handles {
        handle.await.unwrap();
    }
    assert_eq!(
        read_counter(&store, b"counter").await,
        (tasks * increments) as u64
    );
    assert!(
        attempts.load(Ordering::Relaxed) > tasks * increments,
        "32 tasks on one key must have conflicted at least once"
    );
}

pub async fn one_consumer_wins(factory: &impl Factory) {
    let store = factory.store();
    for round in 0..10u32 {
        let code = format!("code/{round}").into_bytes();
        let setup = code.clone();
        store
            .run(|tx, _| {
                let c = setup.clone();
                async move { tx.set(&c, b"fresh") }
            })
            .await
            .unwrap();
        let mut handles = Vec::new();
        for _ in 0..16 {
            let (store, code) = (store.clone(), code.clone());
            handles.push(tokio::spawn(async move {
                store
                    .run(|tx, _| {
                        let code = code.clone();
                        async move {
                            match tx.get(&code).await?.as_deref() {
                                Some(b"fresh") => tx.set(&code, b"consumed").map(|()| true),
                                _ => Ok(false),
                            }
                        }
                    })
                    .await
                    .unwrap()
            }));
        }
        let mut winners = 0;
        for handle in handles {
            winners += usize::from(handle.await.unwrap());
        }
        assert_eq!(winners, 1, "round {round}");
    }
}

/// Write skew (Berenson et al., "A Critique of ANSI SQL Isolation Levels",
/// A5B): two transactions each read both keys and zero a different one if
/// both are set. Snapshot isolation lets both commit; serializability must
/// not.
pub async fn write_skew_is_prevented(factory: &impl Factory) {
    let store = factory.store();
    for round in 0..20u32 {
        store
            .run(|tx, _| async move {
                tx.set(b"skew/x", &[1])?;
                tx.set(b"skew/y", &[1])
            })
            .await
            .unwrap();
        let zero = |target: &'static [u8]| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .run(|tx, _| async move {
                        let x = tx.get(b"skew/x").await?.map_or(0, |v| v[0]);
                        let y = tx.get(b"skew/y").await?.map_or(0, |v| v[0]);
                        tokio::task::yield_now().await;
                        if x + y == 2 {
                            tx.set(target, &[0])?;
                        }
                        Ok(())
                    })
                    .await
                    .unwrap()
            })
        };
        let (a, b) = (zero(b"skew/x"), zero(b"skew/y"));
        a.await.unwrap();
        b.await.unwrap();
        let sum = store
            .run(|tx, _| async move {
                Ok(tx.get(b"skew/x").await?.map_or(0, |v| v[0])
                    + tx.get(b"skew/y").await?.map_or(0, |v| v[0]))
            })
            .await
            .unwrap();
        assert_eq!(sum, 1, "round {round}: exactly one of the two may zero its key");
    }
}

pub async fn conflicts_are_retried(factory: &impl Factory) {
    let store = factory.store();
    let calls = Arc::new(AtomicUsize::new(0));
    let (outer, interferer, counted) = (store.clone(), store.clone(), calls.clone());
    let seen = outer
        .run(|tx, _| {
            let call = counted.fetch_add(1, Ordering::SeqCst);
            let interferer = interferer.clone();
            async move {
                let value = tx.get(b"retry/k").await?;
                if call == 0 {
                    // Someone else changes what we read before we commit,
                    // having read what we are about to write: a cycle no
                    // serial order allows, so every serializable backend
                    // must fail this attempt. (Had they only written, the
                    // order "us, then them" would be serializable, and
                    // PostgreSQL's SSI rightly commits it; FoundationDB and
                    // the embedded backend refuse it anyway.)
                    interferer
                        .run(|tx, _| async move {
                            tx.get(b"retry/seen").await?;
                            tx.set(b"retry/k", b"theirs")
                        })
                        .await?;
                }
                tx.set(b"retry/seen", value.as_deref().unwrap_or(b"nothing"))?;
                Ok(value)
            }
        })
        .await
        .unwrap();
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "the first attempt conflicted and ran again"
    );
    assert_eq!(seen.as_deref(), Some(&b"theirs"[..]));

    // With a retry limit of 1 the conflict is reported, not hidden.
    let once = store.clone().with_options(RunOptions {
        retry_limit: 1,
        ..RunOptions::default()
    });
    let (interferer, first) = (store.clone(), Arc::new(AtomicUsize::new(0)));
    let result = once
        .run(|tx, _| {
            let interferer = interferer.clone();
            let call = first.fetch_add(1, Ordering::SeqCst);
            async move {
                tx.get(b"retry/k").await?;
                if call == 0 {
                    interferer
                        .run(|tx, _| async move { tx.set(b"retry/k", b"again") })
                        .await?;
                }
                tx.set(b"retry/k", b"mine")
            }
        })
        .await;
    assert!(matches!(&result, Err(KvError::RetryLimit { attempts: 1, last }) if **last == KvError::Conflict));
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Code {
    client_id: String,
}

impl StoredRecord for Code {
    const KIND: fiducia::store::keys::Kind = fiducia::store::keys::Kind::AuthorizationCode;
    fn links(&self) -> Links {
        Links {
            client_id: Some(self.client_id.clone()),
            ..Links::default()
        }
    }
}

pub async fn ttl_hides_then_sweeps(factory: &impl Factory) {
    let repo = Repo::open(factory.store()).await.unwrap();
    let now = 1_900_000_000;
    let code = Code {
        client_id: "c".into(),
    };
    repo.upsert("short", &code, Some(10), now).await.unwrap();
    repo.upsert("long", &code, Some(3600), now).await.unwrap();
    assert!(repo.find::<Code>("short", now + 9).await.unwrap().is_some());
    assert!(
        repo.find::<Code>("short", now + 10).await.unwrap().is_none(),
        "expired: invisible before any sweep"
    );
    assert_eq!(repo.find_by_client::<Code>("c", now + 10).await.unwrap().len(), 1);
    assert_eq!(repo.sweep_all_expired(now + 200).await.unwrap(), 1);
    assert!(repo.find::<Code>("long", now + 200).await.unwrap().is_some());
    assert_eq!(repo.sweep_all_expired(now + 200).await.unwrap(), 0);
}

/// An increment made idempotent the FoundationDB way ("Developer Guide",
/// transactions with unknown results): it writes a marker with a unique id
/// and, when told the previous attempt may have committed, checks for it.
async fn idempotent_increment(store: &Store, call_id: &'static [u8]) -> Result<(), KvError> {
    let marker = [b"mc/done/".as_slice(), call_id].concat();
    store
        .run(|tx, MaybeCommitted(maybe)| {
            let marker = marker.clone();
            async move {
                if maybe && tx.get(&marker).await?.is_some() {
                    return Ok(());
                }
                let now = tx.get(b"mc/counter").await?.map(|v| decode_u64(&v)).unwrap_or(0);
                tx.set(b"mc/counter", &(now + 1).to_be_bytes())?;
                tx.set(&marker, b"")
            }
        })
        .await
}

pub async fn maybe_committed_is_explicit_and_idempotent_closures_apply_once(factory: &impl Factory) {
    let store = factory.store();
    if !factory.inject_faults(&[InjectedFault::UnknownAfterApply]) {
        eprintln!("skipped: this backend cannot inject commit_unknown_result");
        return;
    }
    idempotent_increment(&store, b"call-1").await.unwrap();
    assert_eq!(
        read_counter(&store, b"mc/counter").await,
        1,
        "applied once although the ack was lost"
    );

    factory.inject_faults(&[InjectedFault::UnknownWithoutApply]);
    idempotent_increment(&store, b"call-2").await.unwrap();
    assert_eq!(
        read_counter(&store, b"mc/counter").await,
        2,
        "applied once after a lost write"
    );

    // When retries run out, the caller is told it may have committed.
    let once = store.clone().with_options(RunOptions {
        retry_limit: 1,
        ..RunOptions::default()
    });
    factory.inject_faults(&[InjectedFault::UnknownAfterApply]);
    let err = idempotent_increment(&once, b"call-3").await.unwrap_err();
    assert!(err.is_maybe_committed(), "{err}");
    assert_eq!(read_counter(&store, b"mc/counter").await, 3);
}
