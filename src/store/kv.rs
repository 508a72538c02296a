//! The transactional, ordered key-value interface every store backend offers,
//! with FoundationDB's semantics so that code written against the embedded
//! backend behaves the same on a cluster:
//!
//! - **Serializable** transactions over an ordered byte-key space; reads see
//!   the transaction's own writes (read-your-writes).
//! - **Optimistic**: nothing is locked; a commit whose reads were invalidated
//!   by a concurrent commit fails with [`KvError::Conflict`] and
//!   [`Store::run`] runs the closure again. Closures must therefore be
//!   idempotent (FoundationDB "Developer Guide: Transactions — Idempotence";
//!   foundationdb-rs `Database::run`).
//! - **"Maybe committed" is explicit**: when a commit's outcome is unknown
//!   (FoundationDB error 1021 `commit_unknown_result`), the retry is told so
//!   through [`MaybeCommitted`] and, if retries run out, the caller gets
//!   [`KvError::CommitUnknown`] — never a silent success or failure.
//! - **The same limits everywhere** (FoundationDB "Known Limitations"): keys up
//!   to [`MAX_KEY_BYTES`], values up to [`MAX_VALUE_BYTES`], a transaction's
//!   mutations and conflict ranges up to [`MAX_TRANSACTION_BYTES`], and
//!   [`MAX_TRANSACTION_AGE`] from the first read to the commit. They are checked
//!   here, above the backends, so nothing works embedded and fails on FDB.
//!
//! A backend implements [`Backend`] (begin a transaction) and
//! [`BackendTransaction`] (read, buffer writes, commit); the retry loop, limits
//! and deadlines live once in this file.

use futures::future::BoxFuture;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Largest key, in bytes (FoundationDB: 10,000).
pub const MAX_KEY_BYTES: usize = 10_000;
/// Largest value, in bytes (FoundationDB: 100,000).
pub const MAX_VALUE_BYTES: usize = 100_000;
/// Largest transaction: keys and values written plus read and write conflict
/// ranges, in bytes (FoundationDB: 10,000,000).
pub const MAX_TRANSACTION_BYTES: usize = 10_000_000;
/// Longest a transaction may live from its first read (FoundationDB's MVCC
/// window; older reads fail with `transaction_too_old`, 1007).
pub const MAX_TRANSACTION_AGE: Duration = Duration::from_secs(5);

/// Why a transaction failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KvError {
    /// A concurrent commit changed something this transaction read
    /// (FoundationDB 1020 `not_committed`). Retried by [`Store::run`].
    #[error("transaction conflict: a concurrent commit changed what it read")]
    Conflict,
    /// The transaction outlived [`MAX_TRANSACTION_AGE`] (FoundationDB 1007
    /// `transaction_too_old`). Retried by [`Store::run`].
    #[error("transaction too old (more than 5 s)")]
    TransactionTooOld,
    /// The commit may or may not have been applied (FoundationDB 1021
    /// `commit_unknown_result`). [`Store::run`] retries with
    /// [`MaybeCommitted`] set; returned only when retries ran out.
    #[error("commit outcome unknown: the transaction may have been committed")]
    CommitUnknown,
    /// Another retryable backend error (FoundationDB error code).
    #[error("retryable backend error {0}")]
    Retryable(i32),
    /// A key over [`MAX_KEY_BYTES`] (FoundationDB 2102 `key_too_large`).
    #[error("key of {0} bytes exceeds the 10,000-byte limit")]
    KeyTooLarge(usize),
    /// A value over [`MAX_VALUE_BYTES`] (FoundationDB 2103 `value_too_large`).
    #[error("value of {0} bytes exceeds the 100,000-byte limit")]
    ValueTooLarge(usize),
    /// A transaction over [`MAX_TRANSACTION_BYTES`] (FoundationDB 2101
    /// `transaction_too_large`).
    #[error("transaction of {0} bytes exceeds the 10,000,000-byte limit")]
    TransactionTooLarge(usize),
    /// [`RunOptions::timeout`] passed before a commit succeeded (FoundationDB
    /// 1031 `transaction_timed_out`).
    #[error("transaction timed out after {0:?}")]
    TimedOut(Duration),
    /// [`RunOptions::retry_limit`] attempts all failed with retryable errors.
    #[error("gave up after {attempts} attempts; last error: {last}")]
    RetryLimit {
        /// Attempts made.
        attempts: u32,
        /// The last attempt's error.
        last: Box<KvError>,
    },
    /// The store was closed.
    #[error("the store is closed")]
    Closed,
    /// The backend failed (I/O, engine error); the message says how.
    #[error("store backend error: {0}")]
    Backend(String),
    /// Stored bytes could not be decoded, or a stored value is not what the
    /// schema says it is.
    #[error("stored data cannot be read: {0}")]
    Corrupt(String),
    /// The closure gave up on purpose; not retried.
    #[error("{0}")]
    Aborted(String),
}

impl KvError {
    /// Whether running the closure again may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Conflict | Self::TransactionTooOld | Self::CommitUnknown | Self::Retryable(_)
        )
    }

    /// Whether the failed transaction may nevertheless have been committed.
    pub fn is_maybe_committed(&self) -> bool {
        match self {
            Self::CommitUnknown => true,
            Self::RetryLimit { last, .. } => last.is_maybe_committed(),
            _ => false,
        }
    }
}

/// Told to a closure on a retry: `true` when an earlier attempt's commit had
/// an unknown outcome, so its writes may already be in the store. An
/// idempotent closure checks for its own earlier effect (e.g. a marker it
/// wrote) before acting again. foundationdb-rs passes the same flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaybeCommitted(pub bool);

/// A half-open key range `[begin, end)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyRange {
    /// First key in the range.
    pub begin: Vec<u8>,
    /// First key after the range.
    pub end: Vec<u8>,
}

impl KeyRange {
    /// `[begin, end)`.
    pub fn new(begin: impl Into<Vec<u8>>, end: impl Into<Vec<u8>>) -> Self {
        Self {
            begin: begin.into(),
            end: end.into(),
        }
    }

    /// Every key that starts with `prefix`.
    pub fn starting_with(prefix: &[u8]) -> Self {
        Self::new(prefix.to_vec(), strinc(prefix))
    }

    /// The range holding exactly `key`.
    pub fn single(key: &[u8]) -> Self {
        let mut end = key.to_vec();
        end.push(0);
        Self::new(key.to_vec(), end)
    }

    /// Whether `key` lies in the range.
    pub fn contains(&self, key: &[u8]) -> bool {
        key >= self.begin.as_slice() && key < self.end.as_slice()
    }

    /// Whether the range holds no key.
    pub fn is_empty(&self) -> bool {
        self.begin >= self.end
    }

    fn byte_len(&self) -> usize {
        self.begin.len() + self.end.len()
    }
}

/// The first key after every key starting with `prefix` (FoundationDB
/// `strinc`): drop trailing 0xff bytes, then add one to the last byte. A
/// prefix of only 0xff bytes has no such key; the end of the key space
/// (`[0xff; 1]` repeated) is returned, which sorts after every user key the
/// schema in `keys.rs` produces.
pub fn strinc(prefix: &[u8]) -> Vec<u8> {
    let mut out = prefix.to_vec();
    while let Some(last) = out.pop() {
        if last != 0xff {
            out.push(last + 1);
            return out;
        }
    }
    vec![0xff; prefix.len() + 1]
}

/// How a range read walks the range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RangeOptions {
    /// At most this many pairs; `0` means no limit.
    pub limit: usize,
    /// From the end of the range backwards.
    pub reverse: bool,
}

impl RangeOptions {
    /// At most `limit` pairs, in key order.
    pub fn limit(limit: usize) -> Self {
        Self {
            limit,
            reverse: false,
        }
    }

    /// Every pair in descending key order.
    pub fn reversed() -> Self {
        Self {
            limit: 0,
            reverse: true,
        }
    }
}

/// One key and its value.
pub type KeyValue = (Vec<u8>, Vec<u8>);

/// What a backend does for one transaction. Writes are buffered in the
/// transaction and sent at commit; reads see them (read-your-writes). Limits
/// are checked by [`Transaction`] before any of this is called.
pub trait BackendTransaction: Send + Sync {
    /// The value at `key`.
    fn get<'a>(&'a self, key: &'a [u8]) -> BoxFuture<'a, Result<Option<Vec<u8>>, KvError>>;
    /// Pairs in `range` in key order (or reversed), at most `options.limit`.
    /// Adds the part of the range actually read to the read conflict set.
    fn get_range<'a>(
        &'a self,
        range: &'a KeyRange,
        options: RangeOptions,
    ) -> BoxFuture<'a, Result<Vec<KeyValue>, KvError>>;
    /// Buffers a write.
    fn set(&self, key: &[u8], value: &[u8]);
    /// Buffers a write of bytes the caller no longer needs; a backend that
    /// keeps them saves copying.
    fn set_owned(&self, key: Vec<u8>, value: Vec<u8>) {
        self.set(&key, &value);
    }
    /// Buffers a delete.
    fn clear(&self, key: &[u8]);
    /// Buffers the delete of every key in `range`.
    fn clear_range(&self, range: &KeyRange);
    /// Commits the buffered writes; `Ok` only once they are durable.
    fn commit(&self) -> BoxFuture<'_, Result<(), KvError>>;
    /// After a retryable `error` in attempt number `attempt` (from 1): waits
    /// the backoff and resets the transaction for the next attempt (a new
    /// read version, no reads or writes), or returns the error that ends the
    /// loop (FoundationDB `fdb_transaction_on_error`).
    fn on_error<'a>(&'a self, error: &'a KvError, attempt: u32) -> BoxFuture<'a, Result<(), KvError>>;
}

/// A store backend: begins transactions.
pub trait Backend: Send + Sync + 'static {
    /// Short name for logs and metrics (`embedded`, `fdb`).
    fn name(&self) -> &'static str;
    /// Begins a transaction that [`Store::run`] will retry under `options`.
    fn begin(&self, options: &RunOptions) -> Result<Box<dyn BackendTransaction>, KvError>;
    /// Stops accepting transactions and waits for in-flight commits.
    fn close(&self) -> BoxFuture<'_, ()>;
}

/// A transaction handed to a [`Store::run`] closure. Cheap to clone; every
/// clone is the same transaction. Enforces the size and age limits.
#[derive(Clone)]
pub struct Transaction {
    inner: Arc<TransactionInner>,
}

struct TransactionInner {
    backend: Box<dyn BackendTransaction>,
    started: std::sync::Mutex<Instant>,
    bytes: AtomicUsize,
}

impl fmt::Debug for Transaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transaction")
            .field("bytes", &self.inner.bytes.load(Ordering::Relaxed))
            .finish()
    }
}

impl Transaction {
    fn new(backend: Box<dyn BackendTransaction>) -> Self {
        Self {
            inner: Arc::new(TransactionInner {
                backend,
                started: std::sync::Mutex::new(Instant::now()),
                bytes: AtomicUsize::new(0),
            }),
        }
    }

    /// The value stored at `key`, seeing this transaction's own writes.
    pub async fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        self.check_age()?;
        check_key(key)?;
        self.account(key.len() + 1)?;
        self.inner.backend.get(key).await
    }

    /// The pairs in `range`, in key order (or reversed), at most
    /// `options.limit` of them.
    pub async fn get_range(&self, range: &KeyRange, options: RangeOptions) -> Result<Vec<KeyValue>, KvError> {
        self.check_age()?;
        check_key(&range.begin)?;
        check_key(&range.end)?;
        self.account(range.byte_len())?;
        if range.is_empty() {
            return Ok(Vec::new());
        }
        self.inner.backend.get_range(range, options).await
    }

    /// Writes `value` at `key` when the transaction commits.
    pub fn set(&self, key: &[u8], value: &[u8]) -> Result<(), KvError> {
        check_key(key)?;
        if value.len() > MAX_VALUE_BYTES {
            return Err(KvError::ValueTooLarge(value.len()));
        }
        // A write costs its mutation and its write conflict range.
        self.account(2 * key.len() + value.len() + 1)?;
        self.inner.backend.set(key, value);
        Ok(())
    }

    /// [`Transaction::set`] of bytes the caller no longer needs (no copy).
    pub fn set_owned(&self, key: Vec<u8>, value: Vec<u8>) -> Result<(), KvError> {
        check_key(&key)?;
        if value.len() > MAX_VALUE_BYTES {
            return Err(KvError::ValueTooLarge(value.len()));
        }
        self.account(2 * key.len() + value.len() + 1)?;
        self.inner.backend.set_owned(key, value);
        Ok(())
    }

    /// Deletes `key` when the transaction commits.
    pub fn clear(&self, key: &[u8]) -> Result<(), KvError> {
        check_key(key)?;
        self.account(2 * key.len() + 1)?;
        self.inner.backend.clear(key);
        Ok(())
    }

    /// Deletes every key in `range` when the transaction commits.
    pub fn clear_range(&self, range: &KeyRange) -> Result<(), KvError> {
        check_key(&range.begin)?;
        check_key(&range.end)?;
        self.account(2 * range.byte_len())?;
        if !range.is_empty() {
            self.inner.backend.clear_range(range);
        }
        Ok(())
    }

    async fn commit(&self) -> Result<(), KvError> {
        self.check_age()?;
        self.inner.backend.commit().await
    }

    async fn on_error(&self, error: &KvError, attempt: u32) -> Result<(), KvError> {
        self.inner.backend.on_error(error, attempt).await?;
        *self.inner.started.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        self.inner.bytes.store(0, Ordering::Relaxed);
        Ok(())
    }

    fn check_age(&self) -> Result<(), KvError> {
        let started = *self.inner.started.lock().unwrap_or_else(|p| p.into_inner());
        if started.elapsed() > MAX_TRANSACTION_AGE {
            return Err(KvError::TransactionTooOld);
        }
        Ok(())
    }

    fn account(&self, bytes: usize) -> Result<(), KvError> {
        let total = self.inner.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if total > MAX_TRANSACTION_BYTES {
            return Err(KvError::TransactionTooLarge(total));
        }
        Ok(())
    }
}

fn check_key(key: &[u8]) -> Result<(), KvError> {
    if key.len() > MAX_KEY_BYTES {
        return Err(KvError::KeyTooLarge(key.len()));
    }
    Ok(())
}

/// How [`Store::run`] retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOptions {
    /// Total time for all attempts (FoundationDB transaction option
    /// `timeout`). Default 5 s.
    pub timeout: Duration,
    /// Attempts before giving up (FoundationDB `retry_limit`). Default 100.
    pub retry_limit: u32,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            retry_limit: 100,
        }
    }
}

/// A handle to the store: cheap to clone, shared by every task.
#[derive(Clone)]
pub struct Store {
    backend: Arc<dyn Backend>,
    options: RunOptions,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend.name())
            .field("options", &self.options)
            .finish()
    }
}

impl Store {
    /// A store over `backend` with the default [`RunOptions`].
    pub fn new(backend: Arc<dyn Backend>) -> Self {
        Self {
            backend,
            options: RunOptions::default(),
        }
    }

    /// The same store with other retry options.
    pub fn with_options(mut self, options: RunOptions) -> Self {
        self.options = options;
        self
    }

    /// The backend's name (`embedded`, `fdb`).
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// Runs `closure` in a transaction and commits it, retrying on conflicts
    /// and other retryable errors until it commits, the closure returns a
    /// non-retryable error, [`RunOptions::retry_limit`] attempts failed or
    /// [`RunOptions::timeout`] passed. The closure must be idempotent: it can
    /// run several times, and after a [`KvError::CommitUnknown`] the next
    /// attempt gets `MaybeCommitted(true)` (foundationdb-rs `Database::run`).
    pub async fn run<F, Fut, T>(&self, closure: F) -> Result<T, KvError>
    where
        F: Fn(Transaction, MaybeCommitted) -> Fut,
        Fut: Future<Output = Result<T, KvError>>,
    {
        let deadline = Instant::now() + self.options.timeout;
        let timed_out = |maybe_committed: bool| {
            if maybe_committed {
                KvError::CommitUnknown
            } else {
                KvError::TimedOut(self.options.timeout)
            }
        };
        let tx = Transaction::new(self.backend.begin(&self.options)?);
        let mut maybe_committed = false;
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let committing = AtomicBool::new(false);
            let attempt = async {
                let value = closure(tx.clone(), MaybeCommitted(maybe_committed)).await?;
                committing.store(true, Ordering::Release);
                tx.commit().await?;
                Ok::<T, KvError>(value)
            };
            let remaining = deadline.saturating_duration_since(Instant::now());
            let error: KvError = match tokio::time::timeout(remaining, attempt).await {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(error)) => error,
                // Cut off while its commit was on its way to the backend,
                // the attempt may have committed: say so.
                Err(_) => return Err(timed_out(maybe_committed || committing.load(Ordering::Acquire))),
            };
            if !error.is_retryable() {
                return Err(error);
            }
            maybe_committed |= error == KvError::CommitUnknown;
            if attempts >= self.options.retry_limit {
                return Err(KvError::RetryLimit {
                    attempts,
                    last: Box::new(if maybe_committed {
                        KvError::CommitUnknown
                    } else {
                        error
                    }),
                });
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(remaining, tx.on_error(&error, attempts)).await {
                Ok(Ok(())) => {}
                Ok(Err(KvError::TimedOut(_))) | Err(_) => return Err(timed_out(maybe_committed)),
                Ok(Err(fatal)) if maybe_committed && !fatal.is_maybe_committed() && fatal.is_retryable() => {
                    return Err(KvError::CommitUnknown);
                }
                Ok(Err(fatal)) => return Err(fatal),
            }
        }
    }

    /// Stops the backend: new transactions fail with [`KvError::Closed`];
    /// commits already sent finish first.
    pub async fn close(&self) {
        self.backend.close().await;
    }
}

/// Jittered exponential backoff between attempts: 0–1 ms after the first
/// failure, doubling to at most 0–64 ms (FoundationDB's client backs off
/// from 10 ms to 1 s; conflicts here resolve in one group commit, ~1 ms).
pub(crate) fn backoff(attempt: u32) -> Duration {
    let cap_micros = 1_000u64 << attempt.saturating_sub(1).min(6);
    Duration::from_micros(jitter(cap_micros))
}

fn jitter(below: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(below);
    hasher.finish() % below.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strinc_follows_foundationdb() {
        assert_eq!(strinc(b"ab"), b"ac");
        assert_eq!(strinc(b"a\xff"), b"b");
        assert_eq!(strinc(b"\xff\xff"), vec![0xff; 3]);
        let range = KeyRange::starting_with(b"user/");
        assert!(range.contains(b"user/1") && !range.contains(b"user0"));
    }

    #[test]
    fn single_key_range_holds_only_that_key() {
        let range = KeyRange::single(b"k");
        assert!(range.contains(b"k"));
        assert!(!range.contains(b"k\x00") && !range.contains(b"j"));
    }

    #[test]
    fn retryable_and_maybe_committed_are_classified() {
        assert!(KvError::Conflict.is_retryable());
        assert!(!KvError::KeyTooLarge(1).is_retryable());
        let exhausted = KvError::RetryLimit {
            attempts: 3,
            last: Box::new(KvError::CommitUnknown),
        };
        assert!(exhausted.is_maybe_committed());
        assert!(!KvError::Conflict.is_maybe_committed());
    }

    /// A backend whose commits never answer (a server that went silent).
    struct SilentBackend;
    struct SilentTransaction;

    impl BackendTransaction for SilentTransaction {
        fn get<'a>(&'a self, _key: &'a [u8]) -> BoxFuture<'a, Result<Option<Vec<u8>>, KvError>> {
            Box::pin(async { Ok(None) })
        }
        fn get_range<'a>(
            &'a self,
            _range: &'a KeyRange,
            _options: RangeOptions,
        ) -> BoxFuture<'a, Result<Vec<KeyValue>, KvError>> {
            Box::pin(async { Ok(Vec::new()) })
        }
        fn set(&self, _key: &[u8], _value: &[u8]) {}
        fn clear(&self, _key: &[u8]) {}
        fn clear_range(&self, _range: &KeyRange) {}
        fn commit(&self) -> BoxFuture<'_, Result<(), KvError>> {
            Box::pin(futures::future::pending())
        }
        fn on_error<'a>(&'a self, error: &'a KvError, _attempt: u32) -> BoxFuture<'a, Result<(), KvError>> {
            Box::pin(async move { Err(error.clone()) })
        }
    }

    impl Backend for SilentBackend {
        fn name(&self) -> &'static str {
            "silent"
        }
        fn begin(&self, _options: &RunOptions) -> Result<Box<dyn BackendTransaction>, KvError> {
            Ok(Box::new(SilentTransaction))
        }
        fn close(&self) -> BoxFuture<'_, ()> {
            Box::pin(async {})
        }
    }

    /// A timeout that cuts off a commit in flight is "maybe committed"
    /// (FoundationDB 1021 semantics), one that cuts off the closure is not.
    #[tokio::test]
    async fn a_timeout_during_the_commit_is_commit_unknown() {
        let store = Store::new(Arc::new(SilentBackend)).with_options(RunOptions {
            timeout: Duration::from_millis(50),
            retry_limit: 3,
        });
        let in_commit = store.run(|tx, _| async move { tx.set(b"k", b"v") }).await;
        assert_eq!(in_commit, Err(KvError::CommitUnknown));
        let in_closure = store
            .run(|_, _| async move {
                futures::future::pending::<()>().await;
                Ok(())
            })
            .await;
        assert_eq!(in_closure, Err(KvError::TimedOut(Duration::from_millis(50))));
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        for attempt in 1..20 {
            assert!(backoff(attempt) < Duration::from_millis(64));
        }
    }
}
