//! The FoundationDB backend (cargo feature `fdb`, client API 7.3): a thin
//! mapping of [`kv`](super::kv) onto FoundationDB transactions.
//!
//! - Every key is stored under the configured prefix (`store.fdb_prefix`), a
//!   subspace of its own, so deployments can share a cluster; range results
//!   come back without it.
//! - The retry loop is [`Store::run`](super::kv::Store::run), which does what
//!   foundationdb-rs `Database::run` does — one transaction, the closure,
//!   commit, and on a retryable error `fdb_transaction_on_error` (FDB's own
//!   backoff and reset) — so that both backends share the loop, the limits and
//!   the "maybe committed" handling. The transaction's `timeout` and
//!   `retry_limit` options are set from `RunOptions` as well; they persist
//!   across `on_error` (API 610 and later).
//! - FDB errors map to [`KvError`]: 1020 `not_committed` → `Conflict`, 1007
//!   `transaction_too_old` → `TransactionTooOld`, 1021
//!   `commit_unknown_result` → `CommitUnknown`, 1031 `transaction_timed_out`
//!   → `TimedOut`, 2101–2103 → the size errors; other retryable codes →
//!   `Retryable(code)`.
//!
//! Tests: the conformance suite in `tests/it/store` runs against a cluster
//! when `FDB_CLUSTER_FILE` is set.

use super::kv::{Backend, BackendTransaction, KeyRange, KeyValue, KvError, RangeOptions, RunOptions};
use foundationdb::options::{StreamingMode, TransactionOption};
use foundationdb::{Database, FdbError, RangeOption, Transaction, TransactionCommitError};
use futures::future::BoxFuture;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

/// The FoundationDB backend.
pub struct FdbBackend {
    db: Database,
    prefix: Arc<[u8]>,
    _network: Arc<fiducia_fdb_network::Network>,
}

impl FdbBackend {
    /// Connects to the cluster in `cluster_file` (FoundationDB's default
    /// when `None`), with every key under `prefix`.
    pub fn open(cluster_file: Option<&Path>, prefix: &[u8]) -> Result<Self, KvError> {
        if prefix.is_empty() || prefix[0] == 0xff {
            return Err(KvError::Backend(
                "the FDB prefix must be non-empty and not start with 0xff".into(),
            ));
        }
        let network = fiducia_fdb_network::start().map_err(KvError::Backend)?;
        let path = match cluster_file {
            Some(path) => Some(
                path.to_str()
                    .ok_or_else(|| KvError::Backend(format!("cluster file path {path:?} is not UTF-8")))?,
            ),
            None => None,
        };
        let db = Database::new(path)
            .map_err(|e| KvError::Backend(format!("cannot open the FDB database: {e}")))?;
        Ok(Self {
            db,
            prefix: prefix.into(),
            _network: network,
        })
    }
}

impl Backend for FdbBackend {
    fn name(&self) -> &'static str {
        "fdb"
    }

    fn begin(&self, options: &RunOptions) -> Result<Box<dyn BackendTransaction>, KvError> {
        let tx = self.db.create_trx().map_err(map_error)?;
        let timeout_ms = i32::try_from(options.timeout.as_millis()).unwrap_or(i32::MAX);
        let retry_limit = i32::try_from(options.retry_limit).unwrap_or(i32::MAX);
        tx.set_option(TransactionOption::Timeout(timeout_ms))
            .map_err(map_error)?;
        tx.set_option(TransactionOption::RetryLimit(retry_limit))
            .map_err(map_error)?;
        Ok(Box::new(FdbTransaction {
            slot: Mutex::new(Slot::Open(tx)),
            prefix: self.prefix.clone(),
        }))
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        // Nothing is buffered client-side; the network stops when the last
        // backend handle is dropped.
        Box::pin(async {})
    }
}

enum Slot {
    Open(Transaction),
    /// The commit failed; `on_error` needs the failed commit.
    CommitFailed(TransactionCommitError),
    /// Between commit and its outcome, or after a fatal error.
    Gone,
}

struct FdbTransaction {
    slot: Mutex<Slot>,
    prefix: Arc<[u8]>,
}

impl FdbTransaction {
    fn slot(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn with_open<R>(&self, f: impl FnOnce(&Transaction) -> R) -> Result<R, KvError> {
        match &*self.slot() {
            Slot::Open(tx) => Ok(f(tx)),
            _ => Err(KvError::Backend(
                "the FDB transaction was already committed".into(),
            )),
        }
    }

    fn prefixed(&self, key: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.prefix.len() + key.len());
        out.extend_from_slice(&self.prefix);
        out.extend_from_slice(key);
        out
    }
}

impl BackendTransaction for FdbTransaction {
    fn get<'a>(&'a self, key: &'a [u8]) -> BoxFuture<'a, Result<Option<Vec<u8>>, KvError>> {
        let read = self.with_open(|tx| tx.get(&self.prefixed(key), false));
        Box::pin(async move {
            let value = read?.await.map_err(map_error)?;
            Ok(value.map(|v| v.to_vec()))
        })
    }

    fn get_range<'a>(
        &'a self,
        range: &'a KeyRange,
        options: RangeOptions,
    ) -> BoxFuture<'a, Result<Vec<KeyValue>, KvError>> {
        Box::pin(async move {
            let mut next = Some(RangeOption {
                limit: (options.limit > 0).then_some(options.limit),
                reverse: options.reverse,
                mode: StreamingMode::WantAll,
                ..RangeOption::from((self.prefixed(&range.begin), self.prefixed(&range.end)))
            });
            let mut out = Vec::new();
            while let Some(option) = next.take() {
                let values = self
                    .with_open(|tx| tx.get_range(&option, 1, false))?
                    .await
                    .map_err(map_error)?;
                for pair in values.iter() {
                    let key = pair.key().strip_prefix(&*self.prefix).unwrap_or(pair.key());
                    out.push((key.to_vec(), pair.value().to_vec()));
                }
                next = option.next_range(&values);
            }
            Ok(out)
        })
    }

    fn set(&self, key: &[u8], value: &[u8]) {
        let _ = self.with_open(|tx| tx.set(&self.prefixed(key), value));
    }

    fn clear(&self, key: &[u8]) {
        let _ = self.with_open(|tx| tx.clear(&self.prefixed(key)));
    }

    fn clear_range(&self, range: &KeyRange) {
        let _ = self.with_open(|tx| tx.clear_range(&self.prefixed(&range.begin), &self.prefixed(&range.end)));
    }

    fn commit(&self) -> BoxFuture<'_, Result<(), KvError>> {
        let taken = std::mem::replace(&mut *self.slot(), Slot::Gone);
        Box::pin(async move {
            let Slot::Open(tx) = taken else {
                return Err(KvError::Backend(
                    "the FDB transaction was already committed".into(),
                ));
            };
            match tx.commit().await {
                Ok(committed) => {
                    *self.slot() = Slot::Open(committed.reset());
                    Ok(())
                }
                Err(failed) => {
                    let error = map_error(*failed);
                    *self.slot() = Slot::CommitFailed(failed);
                    Err(error)
                }
            }
        })
    }

    fn on_error<'a>(&'a self, error: &'a KvError, _attempt: u32) -> BoxFuture<'a, Result<(), KvError>> {
        let taken = std::mem::replace(&mut *self.slot(), Slot::Gone);
        Box::pin(async move {
            let reset = match taken {
                Slot::CommitFailed(failed) => failed.on_error().await,
                Slot::Open(tx) => match error_code(error) {
                    Some(code) => tx.on_error(FdbError::from_code(code)).await,
                    None => return Err(error.clone()),
                },
                Slot::Gone => return Err(error.clone()),
            };
            let tx = reset.map_err(map_error)?;
            *self.slot() = Slot::Open(tx);
            Ok(())
        })
    }
}

/// The FDB error code standing for a retryable [`KvError`].
fn error_code(error: &KvError) -> Option<i32> {
    match error {
        KvError::Conflict => Some(1020),
        KvError::TransactionTooOld => Some(1007),
        KvError::CommitUnknown => Some(1021),
        KvError::Retryable(code) => Some(*code),
        _ => None,
    }
}

fn map_error(error: FdbError) -> KvError {
    match error.code() {
        1020 => KvError::Conflict,
        1007 => KvError::TransactionTooOld,
        1031 => KvError::TimedOut(std::time::Duration::ZERO),
        2101 => KvError::TransactionTooLarge(0),
        2102 => KvError::KeyTooLarge(0),
        2103 => KvError::ValueTooLarge(0),
        _ if error.is_maybe_committed() => KvError::CommitUnknown,
        code if error.is_retryable() => KvError::Retryable(code),
        code => KvError::Backend(format!("FoundationDB error {code}: {error}")),
    }
}
