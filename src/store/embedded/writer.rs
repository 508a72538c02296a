//! The writer thread: group commit with optimistic validation.
//!
//! It takes every commit request waiting in the queue (up to
//! `max_batch_transactions`), and for each, in arrival order:
//!
//! 1. **validates** its read set: a key it read (or any key in a range it
//!    read) must not have been written by a batch newer than its read version
//!    ([`ConflictHistory`]) nor by a transaction accepted earlier in this batch;
//!    otherwise it gets [`KvError::Conflict`] and the caller's `run` retries;
//! 2. **applies** it to the batch's pending state (range clears are expanded
//!    into the keys that exist, so a clear conflicts exactly with readers of
//!    what it deleted).
//!
//! Then it writes the batch as one fjall write batch with
//! `PersistMode::SyncAll` — one journal entry, one fsync — bumps the version,
//! records the written keys in the history and only then answers the
//! accepted transactions. While it syncs, the next batch queues up: the more
//! concurrent writers, the larger the batch, the fewer fsyncs per commit.

use super::transaction::WriteSet;
use super::{InjectedFault, Shared};
use crate::store::kv::{KeyRange, KvError};
use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::sync::{mpsc, oneshot};

/// What a transaction read, for validation at commit.
pub(crate) enum ReadConflict {
    /// One key.
    Key(Vec<u8>),
    /// Every key in a range (including keys that were absent).
    Range(KeyRange),
}

/// A transaction asking to commit.
pub(crate) struct CommitRequest {
    pub(crate) read_version: u64,
    pub(crate) reads: Vec<ReadConflict>,
    pub(crate) write_set: WriteSet,
}

pub(crate) type Verdict = oneshot::Sender<Result<(), KvError>>;

pub(crate) enum WriterMessage {
    Commit(CommitRequest, Verdict),
    Close,
}

/// Which batch last wrote each key, for as long as a live transaction may
/// have read an older state of it.
#[derive(Default)]
struct ConflictHistory {
    last_write: BTreeMap<Vec<u8>, u64>,
    batches: VecDeque<(u64, Vec<Vec<u8>>)>,
}

impl ConflictHistory {
    fn written_after(&self, read: &ReadConflict, version: u64) -> bool {
        match read {
            ReadConflict::Key(key) => self.last_write.get(key).is_some_and(|v| *v > version),
            ReadConflict::Range(range) => self
                .last_write
                .range::<Vec<u8>, _>((Bound::Included(&range.begin), Bound::Excluded(&range.end)))
                .any(|(_, v)| *v > version),
        }
    }

    fn record(&mut self, version: u64, keys: Vec<Vec<u8>>) {
        for key in &keys {
            self.last_write.insert(key.clone(), version);
        }
        self.batches.push_back((version, keys));
    }

    /// Forgets batches no live transaction can conflict with: those at or
    /// below the oldest live read version.
    fn forget_up_to(&mut self, horizon: u64) {
        while self.batches.front().is_some_and(|(v, _)| *v <= horizon) {
            if let Some((version, keys)) = self.batches.pop_front() {
                for key in keys {
                    if self.last_write.get(&key) == Some(&version) {
                        self.last_write.remove(&key);
                    }
                }
            }
        }
    }
}

/// One batch being assembled: the final state of each key it writes.
#[derive(Default)]
struct PendingBatch {
    state: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    accepted: Vec<Verdict>,
}

impl PendingBatch {
    fn wrote(&self, read: &ReadConflict) -> bool {
        match read {
            ReadConflict::Key(key) => self.state.contains_key(key),
            ReadConflict::Range(range) => self
                .state
                .range::<Vec<u8>, _>((Bound::Included(&range.begin), Bound::Excluded(&range.end)))
                .next()
                .is_some(),
        }
    }

    fn apply(&mut self, shared: &Shared, write_set: WriteSet) -> Result<(), KvError> {
        for range in &write_set.cleared {
            for guard in shared
                .keyspace
                .range(range.begin.as_slice()..range.end.as_slice())
            {
                let key = guard
                    .key()
                    .map_err(|e| KvError::Backend(format!("range clear failed to read: {e}")))?;
                self.state.insert(key.to_vec(), None);
            }
            let bounds = (Bound::Included(&range.begin), Bound::Excluded(&range.end));
            for (_, value) in self.state.range_mut::<Vec<u8>, _>(bounds) {
                *value = None;
            }
        }
        self.state.extend(write_set.writes);
        Ok(())
    }
}

/// The writer thread's loop; returns when told to close.
pub(crate) fn run(shared: Arc<Shared>, mut queue: mpsc::UnboundedReceiver<WriterMessage>, max_batch: usize) {
    let mut history = ConflictHistory::default();
    let mut version = shared.version.load(Ordering::Acquire);
    let mut closing = false;
    let mut requests = Vec::with_capacity(max_batch);
    while !closing {
        let Some(first) = queue.blocking_recv() else { break };
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                WriterMessage::Commit(request, verdict) => requests.push((request, verdict)),
                WriterMessage::Close => {
                    closing = true;
                    queue.close();
                }
            }
            if requests.len() < max_batch {
                next = queue.try_recv().ok();
            }
        }
        commit_batch(&shared, &mut history, &mut version, requests.drain(..));
        let horizon = shared.active_reads().keys().next().copied().unwrap_or(version);
        history.forget_up_to(horizon);
    }
    // Anything still queued after a close is refused, not lost silently.
    while let Ok(message) = queue.try_recv() {
        if let WriterMessage::Commit(_, verdict) = message {
            let _ = verdict.send(Err(KvError::Closed));
        }
    }
}

fn commit_batch(
    shared: &Shared,
    history: &mut ConflictHistory,
    version: &mut u64,
    requests: impl Iterator<Item = (CommitRequest, Verdict)>,
) {
    let mut batch = PendingBatch::default();
    for (request, verdict) in requests {
        let conflict = request
            .reads
            .iter()
            .any(|read| history.written_after(read, request.read_version) || batch.wrote(read));
        if conflict {
            shared.stats.conflicts.fetch_add(1, Ordering::Relaxed);
            let _ = verdict.send(Err(KvError::Conflict));
            continue;
        }
        match batch.apply(shared, request.write_set) {
            Ok(()) => batch.accepted.push(verdict),
            Err(e) => {
                let _ = verdict.send(Err(e));
            }
        }
    }
    if batch.accepted.is_empty() {
        return;
    }

    let fault = shared.take_fault();
    let written = if fault == Some(InjectedFault::UnknownWithoutApply) {
        Err("injected fault: batch dropped before the journal".to_string())
    } else {
        write_durably(shared, &batch.state)
    };
    match written {
        Ok(()) => {
            *version += 1;
            history.record(*version, batch.state.into_keys().collect());
            shared.version.store(*version, Ordering::Release);
            shared.stats.batches.fetch_add(1, Ordering::Relaxed);
            shared
                .stats
                .committed
                .fetch_add(batch.accepted.len() as u64, Ordering::Relaxed);
            let outcome = match fault {
                Some(InjectedFault::UnknownAfterApply) => Err(KvError::CommitUnknown),
                _ => Ok(()),
            };
            for verdict in batch.accepted {
                let _ = verdict.send(outcome.clone());
            }
        }
        Err(reason) => {
            if fault.is_none() {
                tracing::error!(%reason, "store batch failed to reach the disk; refusing further commits");
                *shared.failed() = Some(reason);
            }
            for verdict in batch.accepted {
                let _ = verdict.send(Err(KvError::CommitUnknown));
            }
        }
    }
}

/// One fjall write batch, journaled and fsynced before it becomes visible.
fn write_durably(shared: &Shared, state: &BTreeMap<Vec<u8>, Option<Vec<u8>>>) -> Result<(), String> {
    let mut batch = fjall::OwnedWriteBatch::with_capacity(shared.db.clone(), state.len())
        .durability(Some(fjall::PersistMode::SyncAll));
    for (key, value) in state {
        match value {
            Some(value) => batch.insert(&shared.keyspace, key.as_slice(), value.as_slice()),
            None => batch.remove(&shared.keyspace, key.as_slice()),
        }
    }
    batch.commit().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_sees_only_newer_writes_and_forgets_old_batches() {
        let mut history = ConflictHistory::default();
        history.record(1, vec![b"a".to_vec()]);
        history.record(2, vec![b"b".to_vec()]);
        assert!(history.written_after(&ReadConflict::Key(b"b".to_vec()), 1));
        assert!(!history.written_after(&ReadConflict::Key(b"a".to_vec()), 1));
        let range = ReadConflict::Range(KeyRange::new(b"a".to_vec(), b"c".to_vec()));
        assert!(history.written_after(&range, 1));
        assert!(!history.written_after(&range, 2));
        history.forget_up_to(1);
        assert_eq!(history.last_write.len(), 1);
        history.forget_up_to(2);
        assert!(history.last_write.is_empty() && history.batches.is_empty());
    }
}
