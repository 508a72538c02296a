//! Group commit in two threads, with optimistic validation.
//!
//! The **writer** thread takes commit requests as they arrive and, for each
//! in arrival order:
//!
//! 1. **validates** its read set: a key it read (or any key in a range it
//!    read) must not have been written by a batch newer than its read version
//!    ([`Pipeline::written_after`]) nor by a transaction accepted earlier into
//!    the open batch; otherwise it gets [`KvError::Conflict`] and the caller's
//!    `run` retries;
//! 2. **applies** it to the open batch (range clears are expanded into the
//!    keys that exist, so a clear conflicts exactly with readers of what it
//!    deleted).
//!
//! The **committer** thread, whenever it is free, takes the whole open batch,
//! gives it the next version, and writes it as one fjall write batch with
//! `PersistMode::SyncAll` — one journal entry, one fsync — then publishes the
//! version and answers the batch's transactions. While it syncs, the writer
//! keeps validating into the next open batch: the batch is exactly what
//! arrived during the previous commit, so the more concurrent writers, the
//! fewer fsyncs per commit, with no timer and no waiting when load is light.

use super::transaction::WriteSet;
use super::{InjectedFault, Shared};
use crate::store::kv::{KeyRange, KvError};
use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, mpsc};
use std::time::Duration;
use tokio::sync::oneshot;

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

/// The final state of each key a batch writes (`None`: deleted), sorted.
type BatchState = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// What the writer and the committer share, under one lock.
#[derive(Default)]
struct Pipeline {
    /// Batches taken by the committer (in flight or durable), oldest first,
    /// kept while a live transaction may have read an older state.
    history: VecDeque<(u64, Arc<BatchState>)>,
    /// The batch being gathered.
    open: OpenBatch,
    /// Version of the last batch taken.
    last_version: u64,
    /// No more batches will come.
    closing: bool,
}

#[derive(Default)]
struct PipelineShared {
    state: Mutex<Pipeline>,
    /// Signalled when the open batch gets its first transaction, or on close.
    work: Condvar,
}

impl PipelineShared {
    fn lock(&self) -> MutexGuard<'_, Pipeline> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Pipeline {
    /// Whether a batch newer than `version` wrote what `read` covers.
    fn written_after(&self, read: &ReadConflict, version: u64) -> bool {
        self.history
            .iter()
            .rev()
            .take_while(|(v, _)| *v > version)
            .any(|(_, state)| touches(state, read))
    }

    /// Forgets batches no live transaction can conflict with: those at or
    /// below the oldest live read version.
    fn forget_up_to(&mut self, horizon: u64) {
        while self.history.front().is_some_and(|(v, _)| *v <= horizon) {
            self.history.pop_front();
        }
    }
}

fn touches(state: &BatchState, read: &ReadConflict) -> bool {
    match read {
        ReadConflict::Key(key) => state.contains_key(key),
        ReadConflict::Range(range) => state
            .range::<Vec<u8>, _>((Bound::Included(&range.begin), Bound::Excluded(&range.end)))
            .next()
            .is_some(),
    }
}

/// The batch being gathered.
#[derive(Default)]
struct OpenBatch {
    state: BatchState,
    accepted: Vec<Verdict>,
}

impl OpenBatch {
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

/// Starts the writer and committer threads; the returned handle finishes
/// when both have, after a [`WriterMessage::Close`].
pub(crate) fn spawn(
    shared: Arc<Shared>,
    queue: mpsc::Receiver<WriterMessage>,
    max_batch: usize,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let pipeline = Arc::new(PipelineShared::default());
    pipeline.lock().last_version = shared.version.load(Ordering::Acquire);
    let committer = {
        let (shared, pipeline) = (shared.clone(), pipeline.clone());
        std::thread::Builder::new()
            .name("store-commit".into())
            .spawn(move || commit_loop(&shared, &pipeline))?
    };
    let on_failure = pipeline.clone();
    let writer = std::thread::Builder::new()
        .name("store-writer".into())
        .spawn(move || {
            validate_loop(&shared, &pipeline, &queue, max_batch);
            pipeline.lock().closing = true;
            pipeline.work.notify_one();
            let _ = committer.join();
            // Anything still queued after a close is refused, not lost silently.
            while let Ok(message) = queue.try_recv() {
                if let WriterMessage::Commit(_, verdict) = message {
                    let _ = verdict.send(Err(KvError::Closed));
                }
            }
        });
    if writer.is_err() {
        // No writer will come: let the committer exit.
        on_failure.lock().closing = true;
        on_failure.work.notify_one();
    }
    writer
}

fn validate_loop(
    shared: &Shared,
    pipeline: &PipelineShared,
    queue: &mpsc::Receiver<WriterMessage>,
    max_batch: usize,
) {
    let mut requests = Vec::with_capacity(max_batch);
    let mut closing = false;
    while !closing {
        let Ok(first) = queue.recv() else { return };
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                WriterMessage::Commit(request, verdict) => requests.push((request, verdict)),
                WriterMessage::Close => closing = true,
            }
            if requests.len() < max_batch && !closing {
                next = queue.try_recv().ok();
            }
        }
        if requests.iter().any(|(r, _)| !r.write_set.cleared.is_empty()) {
            // Range clears are expanded against the stored state, which must
            // then include every batch taken.
            wait_until_idle(shared, pipeline);
        }
        let mut state = pipeline.lock();
        let was_empty = state.open.accepted.is_empty();
        for (request, verdict) in requests.drain(..) {
            let conflict = request.reads.iter().any(|read| {
                state.written_after(read, request.read_version) || touches(&state.open.state, read)
            });
            if conflict {
                shared.stats.conflicts.fetch_add(1, Ordering::Relaxed);
                let _ = verdict.send(Err(KvError::Conflict));
                continue;
            }
            match state.open.apply(shared, request.write_set) {
                Ok(()) => state.open.accepted.push(verdict),
                Err(e) => {
                    let _ = verdict.send(Err(e));
                }
            }
        }
        let published = shared.version.load(Ordering::Acquire);
        let oldest_read = shared.active_reads().keys().next().copied().unwrap_or(published);
        state.forget_up_to(oldest_read.min(published));
        if was_empty && !state.open.accepted.is_empty() {
            pipeline.work.notify_one();
        }
    }
}

fn wait_until_idle(shared: &Shared, pipeline: &PipelineShared) {
    loop {
        {
            let state = pipeline.lock();
            let idle = state.open.accepted.is_empty()
                && shared.version.load(Ordering::Acquire) >= state.last_version;
            if idle || shared.failed().is_some() {
                return;
            }
        }
        std::thread::sleep(Duration::from_micros(50));
    }
}

/// The committer thread: takes the open batch whenever it is free, writes it
/// as one fjall write batch — journaled and fsynced before fjall makes it
/// visible — publishes its version and answers its transactions.
fn commit_loop(shared: &Shared, pipeline: &PipelineShared) {
    loop {
        let (version, batch, accepted) = {
            let mut state = pipeline.lock();
            while state.open.accepted.is_empty() && !state.closing {
                state = pipeline.work.wait(state).unwrap_or_else(|p| p.into_inner());
            }
            if state.open.accepted.is_empty() {
                return;
            }
            let open = std::mem::take(&mut state.open);
            state.last_version += 1;
            let version = state.last_version;
            let batch = Arc::new(open.state);
            state.history.push_back((version, batch.clone()));
            (version, batch, open.accepted)
        };
        let fault = shared.take_fault();
        let written = match fault {
            Some(InjectedFault::UnknownWithoutApply) => Err("injected fault: batch dropped".to_string()),
            _ => write_durably(shared, &batch),
        };
        // Published even when dropped: a reader at this version sees nothing
        // of the batch, which is what the disk holds.
        shared.version.store(version, Ordering::Release);
        let outcome = match (&written, fault) {
            (Ok(()), None) => Ok(()),
            (Err(reason), None) => {
                tracing::error!(%reason, "store batch failed to reach the disk; refusing further commits");
                *shared.failed() = Some(reason.clone());
                Err(KvError::CommitUnknown)
            }
            (_, Some(_)) => Err(KvError::CommitUnknown),
        };
        if written.is_ok() {
            shared.stats.batches.fetch_add(1, Ordering::Relaxed);
            shared
                .stats
                .committed
                .fetch_add(accepted.len() as u64, Ordering::Relaxed);
        }
        for verdict in accepted {
            let _ = verdict.send(outcome.clone());
        }
    }
}

/// One fjall write batch, journaled and fsynced before it becomes visible.
fn write_durably(shared: &Shared, batch: &BatchState) -> Result<(), String> {
    let mut writes = fjall::OwnedWriteBatch::with_capacity(shared.db.clone(), batch.len())
        .durability(Some(fjall::PersistMode::SyncAll));
    for (key, value) in batch {
        match value {
            Some(value) => writes.insert(&shared.keyspace, key.as_slice(), value.as_slice()),
            None => writes.remove(&shared.keyspace, key.as_slice()),
        }
    }
    writes.commit().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(keys: &[&[u8]]) -> Arc<BatchState> {
        Arc::new(keys.iter().map(|k| (k.to_vec(), Some(Vec::new()))).collect())
    }

    #[test]
    fn history_sees_only_newer_writes_and_forgets_old_batches() {
        let mut pipeline = Pipeline::default();
        pipeline.history.push_back((1, batch(&[b"a"])));
        pipeline.history.push_back((2, batch(&[b"b"])));
        assert!(pipeline.written_after(&ReadConflict::Key(b"b".to_vec()), 1));
        assert!(!pipeline.written_after(&ReadConflict::Key(b"a".to_vec()), 1));
        let range = ReadConflict::Range(KeyRange::new(b"a".to_vec(), b"c".to_vec()));
        assert!(pipeline.written_after(&range, 1));
        assert!(!pipeline.written_after(&range, 2));
        let empty_range = ReadConflict::Range(KeyRange::new(b"bb".to_vec(), b"c".to_vec()));
        assert!(!pipeline.written_after(&empty_range, 0));
        pipeline.forget_up_to(1);
        assert_eq!(pipeline.history.len(), 1);
        pipeline.forget_up_to(2);
        assert!(pipeline.history.is_empty());
    }
}
