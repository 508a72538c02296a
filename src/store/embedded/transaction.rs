//! One embedded transaction: reads from a snapshot overlaid with the
//! transaction's own writes (read-your-writes), buffered writes, and the read
//! set validated at commit.

use super::batch::{CommitRequest, ReadConflict, WriteSet};
use super::engine::EngineSnapshot;
use super::shared::Shared;
use crate::store::kv::{BackendTransaction, KeyRange, KeyValue, KvError, RangeOptions, backoff};
use futures::future::BoxFuture;
use std::cmp::Ordering as KeyOrdering;
use std::ops::Bound;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Default)]
struct TransactionState {
    write_set: WriteSet,
    reads: Vec<ReadConflict>,
}

/// One attempt of a transaction: what it read and wrote, and — from its
/// first read on — a read version and a snapshot.
///
/// Both are taken at the first read, as FoundationDB gets a read version
/// only when a transaction first reads: a transaction that only writes
/// (`insert_new`) has nothing to validate and needs neither. The read
/// version is the latest durable version, registered so that the pipeline
/// keeps the conflict history it needs; the snapshot is taken once that
/// version is applied, so it holds at least every batch up to it.
struct Attempt {
    shared: Arc<Shared>,
    read_version: Option<u64>,
    snapshot: Option<EngineSnapshot>,
    state: TransactionState,
}

impl Attempt {
    fn begin(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            read_version: None,
            snapshot: None,
            state: TransactionState::default(),
        }
    }

    /// The read version, taken (and registered) now if this is the first
    /// read.
    fn read_version(&mut self) -> u64 {
        let shared = &self.shared;
        *self.read_version.get_or_insert_with(|| {
            let mut active = shared.active_reads();
            let version = shared.durable.load(Ordering::Acquire);
            *active.entry(version).or_insert(0) += 1;
            version
        })
    }

    /// Reads at `later` instead: the snapshot holds every batch up to it,
    /// so only batches after it can conflict with the reads.
    fn move_read_version(&mut self, later: u64) {
        let mut active = self.shared.active_reads();
        if let Some(old) = self.read_version
            && let Some(count) = active.get_mut(&old)
        {
            *count -= 1;
            if *count == 0 {
                active.remove(&old);
            }
        }
        *active.entry(later).or_insert(0) += 1;
        self.read_version = Some(later);
    }

    fn snapshot(&self) -> Result<&EngineSnapshot, KvError> {
        self.snapshot
            .as_ref()
            .ok_or_else(|| KvError::Backend("read before the transaction's snapshot was taken".into()))
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        let Some(version) = self.read_version else {
            return;
        };
        let mut active = self.shared.active_reads();
        if let Some(count) = active.get_mut(&version) {
            *count -= 1;
            if *count == 0 {
                active.remove(&version);
            }
        }
    }
}

/// One of the transaction's own buffered writes, as a range read meets it.
type OwnWrite<'a> = (&'a Vec<u8>, &'a Option<Vec<u8>>);

pub(crate) struct EmbeddedTransaction {
    shared: Arc<Shared>,
    attempt: Mutex<Attempt>,
}

impl EmbeddedTransaction {
    pub(crate) fn begin(shared: Arc<Shared>) -> Self {
        Self {
            attempt: Mutex::new(Attempt::begin(shared.clone())),
            shared,
        }
    }

    fn attempt(&self) -> MutexGuard<'_, Attempt> {
        self.attempt.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes sure the attempt has its read version and snapshot: takes the
    /// read version, waits until it is applied, takes the snapshot.
    async fn ensure_snapshot(&self) -> Result<(), KvError> {
        loop {
            let version = {
                let mut attempt = self.attempt();
                if attempt.snapshot.is_some() {
                    return Ok(());
                }
                attempt.read_version()
            };
            self.shared.applied_up_to(version).await?;
            let mut attempt = self.attempt();
            // The attempt is the same unless it was reset meanwhile (then
            // start over with the new one).
            if attempt.read_version == Some(version) {
                if attempt.snapshot.is_none() {
                    let snapshot = self.shared.engine.snapshot();
                    if let Some(at) = snapshot.version()
                        && at > version
                    {
                        attempt.move_read_version(at);
                    }
                    attempt.snapshot = Some(snapshot);
                }
                return Ok(());
            }
        }
    }

    /// The transaction's own write or clear of `key`, if any.
    fn own_write(&self, key: &[u8]) -> Option<Option<Vec<u8>>> {
        let attempt = self.attempt();
        let write_set = &attempt.state.write_set;
        match write_set.writes.get(key) {
            Some(own) => Some(own.clone()),
            None if write_set.is_cleared(key) => Some(None),
            None => None,
        }
    }

    fn get_now(&self, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        let mut attempt = self.attempt();
        let state = &mut attempt.state;
        if let Some(own) = state.write_set.writes.get(key) {
            return Ok(own.clone());
        }
        if state.write_set.is_cleared(key) {
            return Ok(None);
        }
        state.reads.push(ReadConflict::Key(key.to_vec()));
        attempt.snapshot()?.get(key)
    }

    fn get_range_now(&self, range: &KeyRange, options: RangeOptions) -> Result<Vec<KeyValue>, KvError> {
        let limit = if options.limit == 0 {
            usize::MAX
        } else {
            options.limit
        };
        let mut guard = self.attempt();
        let attempt = &mut *guard;
        let mut stored = attempt
            .snapshot
            .as_ref()
            .ok_or_else(|| KvError::Backend("read before the transaction's snapshot was taken".into()))?
            .range(&range.begin, &range.end, options.reverse);
        let state = &mut attempt.state;
        let bounds = (
            Bound::Included(range.begin.clone()),
            Bound::Excluded(range.end.clone()),
        );
        let own = state.write_set.writes.range::<Vec<u8>, _>(bounds);
        let mut own: Box<dyn Iterator<Item = OwnWrite<'_>>> = if options.reverse {
            Box::new(own.rev())
        } else {
            Box::new(own)
        };
        let before = |a: &[u8], b: &[u8]| {
            let order = a.cmp(b);
            if options.reverse { order.reverse() } else { order }
        };

        let mut out = Vec::new();
        // The next stored pair is read only when the loop needs it, never
        // one past the limit: the memory engine's read of a pair written
        // after the read version is a conflict, which a pair the
        // transaction does not return must not cause.
        let mut next_stored = None;
        let mut stored_done = false;
        let mut next_own = own.next();
        while out.len() < limit {
            if next_stored.is_none() && !stored_done {
                next_stored = next_pair(&mut stored)?;
                stored_done = next_stored.is_none();
            }
            let take_own = match (&next_stored, &next_own) {
                (None, None) => break,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some((sk, _)), Some((ok, _))) => before(ok, sk) != KeyOrdering::Greater,
            };
            if take_own {
                if let Some((key, value)) = next_own.take() {
                    if next_stored.as_ref().is_some_and(|(sk, _)| sk == key) {
                        next_stored = None;
                    }
                    if let Some(value) = value {
                        out.push((key.clone(), value.clone()));
                    }
                }
                next_own = own.next();
            } else if let Some((key, value)) = next_stored.take()
                && !state.write_set.is_cleared(&key)
            {
                out.push((key, value));
            }
        }

        drop(own);
        // The read depends on the whole range, unless the limit cut it short:
        // then only on the part up to the last pair returned (as FoundationDB
        // records it).
        let conflict = match (out.len() >= limit, out.last()) {
            (true, Some((last, _))) if options.reverse => KeyRange::new(last.clone(), range.end.clone()),
            (true, Some((last, _))) => {
                let mut end = last.clone();
                end.push(0);
                KeyRange::new(range.begin.clone(), end)
            }
            _ => range.clone(),
        };
        state.reads.push(ReadConflict::Range(conflict));
        Ok(out)
    }
}

fn next_pair(iter: &mut dyn Iterator<Item = Result<KeyValue, KvError>>) -> Result<Option<KeyValue>, KvError> {
    iter.next().transpose()
}

impl BackendTransaction for EmbeddedTransaction {
    fn get<'a>(&'a self, key: &'a [u8]) -> BoxFuture<'a, Result<Option<Vec<u8>>, KvError>> {
        Box::pin(async move {
            if let Some(own) = self.own_write(key) {
                return Ok(own);
            }
            self.ensure_snapshot().await?;
            self.get_now(key)
        })
    }

    fn get_range<'a>(
        &'a self,
        range: &'a KeyRange,
        options: RangeOptions,
    ) -> BoxFuture<'a, Result<Vec<KeyValue>, KvError>> {
        Box::pin(async move {
            self.ensure_snapshot().await?;
            self.get_range_now(range, options)
        })
    }

    fn set(&self, key: &[u8], value: &[u8]) {
        self.attempt()
            .state
            .write_set
            .writes
            .insert(key.to_vec(), Some(value.to_vec()));
    }

    fn set_owned(&self, key: Vec<u8>, value: Vec<u8>) {
        self.attempt().state.write_set.writes.insert(key, Some(value));
    }

    fn clear(&self, key: &[u8]) {
        self.attempt().state.write_set.writes.insert(key.to_vec(), None);
    }

    fn clear_range(&self, range: &KeyRange) {
        let mut attempt = self.attempt();
        let state = &mut attempt.state;
        state.write_set.writes.retain(|key, _| !range.contains(key));
        state.write_set.cleared.push(range.clone());
    }

    fn on_error<'a>(&'a self, _error: &'a KvError, attempt: u32) -> BoxFuture<'a, Result<(), KvError>> {
        Box::pin(async move {
            tokio::time::sleep(backoff(attempt)).await;
            *self.attempt() = Attempt::begin(self.shared.clone());
            Ok(())
        })
    }

    fn commit(&self) -> BoxFuture<'_, Result<(), KvError>> {
        let request = {
            let mut attempt = self.attempt();
            // Without reads there is nothing to validate and the read
            // version does not matter.
            let read_version = attempt.read_version.unwrap_or(0);
            let state = &mut attempt.state;
            if state.write_set.is_empty() {
                // Read-only: its snapshot was one consistent state, so it is
                // serializable at its read version with nothing to validate.
                None
            } else {
                Some(CommitRequest {
                    read_version,
                    reads: std::mem::take(&mut state.reads),
                    write_set: std::mem::take(&mut state.write_set),
                })
            }
        };
        Box::pin(async move {
            match request {
                None => Ok(()),
                Some(request) => self.shared.commit(request).await,
            }
        })
    }
}
