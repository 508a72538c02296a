//! Group commit with optimistic validation, in a pipeline of two threads.
//!
//! **Validation** runs on the committing task itself ([`Shared::commit`]),
//! under the pipeline lock, in commit order:
//!
//! 1. its read set is checked: a key it read (or any key in a range it read)
//!    must not have been written by a batch newer than its read version
//!    ([`Pipeline::written_after`]) nor by a transaction accepted earlier into
//!    the open batch; otherwise it gets [`KvError::Conflict`] and the caller's
//!    `run` retries;
//! 2. its writes are merged into the open batch. A range clear stays a range
//!    (expanded into the stored keys only when the batch is applied), so, as
//!    in FoundationDB, it conflicts with every read that overlaps the range.
//!
//! Validating on the caller's task instead of a writer thread saves a thread
//! hand-off (a futex wake-up and two context switches) per transaction.
//!
//! The **sync** thread, whenever it is free, takes the whole open batch,
//! gives it the next version, appends it to the write-ahead log ([`wal`])
//! and fdatasyncs — one fsync per batch — and hands it to the **apply**
//! thread, which writes it into fjall without an fsync (memtable inserts),
//! publishes its version and answers its transactions. So a batch is
//! acknowledged and visible only once it is durable, and while one batch is
//! being applied the next one is being synced and a third is filling: the
//! batch is what arrived during the previous sync, so the more concurrent
//! writers, the fewer fsyncs per commit, with no timer and no waiting when
//! load is light.
//!
//! [`wal`]: super::wal

use super::transaction::WriteSet;
use super::wal::Wal;
use super::{InjectedFault, Shared};
use crate::store::kv::{KeyRange, KvError};
use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, mpsc};
use tokio::sync::futures::Notified;
use tokio::sync::{Notify, oneshot};

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

/// What one batch writes: the final state of each key (`None`: deleted),
/// sorted, and the ranges it cleared. A key in `state` has its final state
/// there even if it lies in a cleared range; the other stored keys in a
/// cleared range are deleted.
#[derive(Default)]
pub(crate) struct BatchWrites {
    pub(crate) state: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    pub(crate) cleared: Vec<KeyRange>,
}

impl BatchWrites {
    /// Whether this batch wrote what `read` covers.
    fn touches(&self, read: &ReadConflict) -> bool {
        match read {
            ReadConflict::Key(key) => {
                self.state.contains_key(key) || self.cleared.iter().any(|r| r.contains(key))
            }
            ReadConflict::Range(range) => {
                self.state
                    .range::<Vec<u8>, _>((Bound::Included(&range.begin), Bound::Excluded(&range.end)))
                    .next()
                    .is_some()
                    || self
                        .cleared
                        .iter()
                        .any(|r| r.begin < range.end && range.begin < r.end)
            }
        }
    }

    /// Applies one transaction's writes after everything already here: its
    /// range clears first, then its sets and clears (`WriteSet`'s order).
    fn merge(&mut self, write_set: WriteSet) {
        for range in write_set.cleared {
            let bounds = (Bound::Included(&range.begin), Bound::Excluded(&range.end));
            for (_, value) in self.state.range_mut::<Vec<u8>, _>(bounds) {
                *value = None;
            }
            self.cleared.push(range);
        }
        if self.state.is_empty() {
            self.state = write_set.writes;
        } else {
            self.state.extend(write_set.writes);
        }
    }
}

/// What the committing tasks and the committer share, under one lock.
#[derive(Default)]
struct Pipeline {
    /// Batches taken by the committer (in flight or durable), oldest first,
    /// kept while a live transaction may have read an older state.
    history: VecDeque<(u64, Arc<BatchWrites>)>,
    /// The batch being gathered.
    open: BatchWrites,
    /// The transactions accepted into `open`, waiting for its outcome.
    accepted: Vec<Verdict>,
    /// Version of the last batch taken.
    last_version: u64,
    /// No more commits are accepted; the sync thread finishes the open batch.
    closing: bool,
}

impl Pipeline {
    /// Whether a batch newer than `version` wrote what `read` covers.
    fn written_after(&self, read: &ReadConflict, version: u64) -> bool {
        self.history
            .iter()
            .rev()
            .take_while(|(v, _)| *v > version)
            .any(|(_, batch)| batch.touches(read))
    }

    /// Forgets batches no live transaction can conflict with: those at or
    /// below the oldest live read version.
    fn forget_up_to(&mut self, horizon: u64) {
        while self.history.front().is_some_and(|(v, _)| *v <= horizon) {
            self.history.pop_front();
        }
    }
}

/// The group-commit pipeline of one store.
pub(crate) struct PipelineShared {
    state: Mutex<Pipeline>,
    /// Signalled when the open batch gets its first transaction, or on close.
    work: Condvar,
    /// Notified whenever the sync thread takes the open batch (for commits
    /// waiting because it was full).
    taken: Notify,
    max_batch: usize,
}

impl PipelineShared {
    pub(crate) fn new(version: u64, max_batch: usize) -> Self {
        Self {
            state: Mutex::new(Pipeline {
                last_version: version,
                ..Pipeline::default()
            }),
            work: Condvar::new(),
            taken: Notify::new(),
            max_batch: max_batch.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Pipeline> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stops accepting commits; the threads write what was accepted and end.
    pub(crate) fn close(&self) {
        self.lock().closing = true;
        self.work.notify_one();
    }
}

/// What [`Shared::admit`] did with a commit.
enum Admission<'a> {
    /// Validated into the open batch: the batch's outcome will come here.
    Accepted(oneshot::Receiver<Result<(), KvError>>),
    /// The open batch is full: try again once the sync thread has taken it.
    Full(Notified<'a>),
}

impl Shared {
    /// Validates a commit into the open batch and waits for the batch's
    /// outcome.
    pub(crate) async fn commit(&self, request: CommitRequest) -> Result<(), KvError> {
        let mut request = Some(request);
        let verdict = loop {
            match self.admit(&mut request)? {
                Admission::Accepted(verdict) => break verdict,
                Admission::Full(taken) => taken.await,
            }
        };
        // The pipeline took the request; if it vanishes without a verdict,
        // the batch may or may not have reached the disk.
        verdict.await.unwrap_or(Err(KvError::CommitUnknown))
    }

    /// Validates `request` against the history and the open batch and, if
    /// it passes, merges it into the open batch (taking it out of `request`).
    fn admit(&self, request: &mut Option<CommitRequest>) -> Result<Admission<'_>, KvError> {
        if let Some(reason) = self.failed().as_ref() {
            return Err(KvError::Backend(format!(
                "the store failed to write and must be reopened: {reason}"
            )));
        }
        let pipeline = &self.pipeline;
        let mut state = pipeline.lock();
        if state.closing {
            return Err(KvError::Closed);
        }
        if state.accepted.len() >= pipeline.max_batch {
            // Created under the lock, so the sync thread's next take wakes it.
            return Ok(Admission::Full(pipeline.taken.notified()));
        }
        let Some(commit) = request.take() else {
            return Err(KvError::Backend("a commit was admitted twice".into()));
        };
        let conflict = commit
            .reads
            .iter()
            .any(|read| state.written_after(read, commit.read_version) || state.open.touches(read));
        if conflict {
            drop(state);
            self.stats.conflicts.fetch_add(1, Ordering::Relaxed);
            return Err(KvError::Conflict);
        }
        let (reply, verdict) = oneshot::channel();
        state.open.merge(commit.write_set);
        state.accepted.push(reply);
        let first = state.accepted.len() == 1;
        drop(state);
        if first {
            pipeline.work.notify_one();
        }
        Ok(Admission::Accepted(verdict))
    }
}

/// A batch on its way from the sync thread to the apply thread.
enum Synced {
    Batch {
        version: u64,
        batch: Arc<BatchWrites>,
        accepted: Vec<Verdict>,
        /// Whether the batch is durable in the log and must be applied.
        apply: bool,
        /// The outcome to report if applying succeeds (or is skipped).
        outcome: Result<(), KvError>,
    },
    /// A log segment was sealed after the batches before this message:
    /// delete it once fjall holds them durably.
    Sealed(PathBuf),
}

/// Starts the sync and apply threads; the returned handle finishes when both
/// have, after [`PipelineShared::close`], once the batches accepted before
/// are written.
pub(crate) fn spawn(shared: Arc<Shared>, wal: Wal) -> std::io::Result<std::thread::JoinHandle<()>> {
    let (to_apply, synced) = mpsc::channel();
    let applier = {
        let shared = shared.clone();
        std::thread::Builder::new()
            .name("store-apply".into())
            .spawn(move || apply_loop(&shared, &synced))?
    };
    let on_failure = shared.clone();
    let syncer = std::thread::Builder::new()
        .name("store-sync".into())
        .spawn(move || {
            sync_loop(&shared, wal, &to_apply);
            drop(to_apply);
            let _ = applier.join();
            shared.pipeline.taken.notify_waiters();
        });
    if syncer.is_err() {
        // No sync thread will come: nothing can be accepted any more.
        on_failure.pipeline.close();
    }
    syncer
}

/// The sync thread: takes the open batch whenever it is free, appends it to
/// the log and fdatasyncs, and passes it on to the apply thread.
fn sync_loop(shared: &Shared, mut wal: Wal, to_apply: &mpsc::Sender<Synced>) {
    let pipeline = &shared.pipeline;
    loop {
        let (version, batch, accepted) = {
            let mut state = pipeline.lock();
            while state.accepted.is_empty() && !state.closing {
                state = pipeline.work.wait(state).unwrap_or_else(|p| p.into_inner());
            }
            if state.accepted.is_empty() {
                return;
            }
            let open = std::mem::take(&mut state.open);
            let accepted = std::mem::take(&mut state.accepted);
            state.last_version += 1;
            let version = state.last_version;
            let batch = Arc::new(open);
            state.history.push_back((version, batch.clone()));
            let published = shared.version.load(Ordering::Acquire);
            let oldest_read = shared.active_reads().keys().next().copied().unwrap_or(published);
            state.forget_up_to(oldest_read.min(published));
            (version, batch, accepted)
        };
        pipeline.taken.notify_waiters();
        let failed_before = shared.failed().clone();
        let (apply, outcome) = match (failed_before, shared.take_fault()) {
            // Nothing of it was written: it certainly did not commit.
            (Some(reason), _) => (
                false,
                Err(KvError::Backend(format!(
                    "the store failed to write and must be reopened: {reason}"
                ))),
            ),
            (None, Some(InjectedFault::UnknownWithoutApply)) => (false, Err(KvError::CommitUnknown)),
            (None, fault) => match wal.append(&batch) {
                Ok(()) if fault.is_some() => (true, Err(KvError::CommitUnknown)),
                Ok(()) => (true, Ok(())),
                Err(e) => {
                    let reason = format!("store log write or fdatasync failed: {e}");
                    tracing::error!(%reason, "store batch may not have reached the disk; refusing further commits");
                    *shared.failed() = Some(reason);
                    (false, Err(KvError::CommitUnknown))
                }
            },
        };
        let message = Synced::Batch {
            version,
            batch,
            accepted,
            apply,
            outcome,
        };
        if to_apply.send(message).is_err() {
            return;
        }
        if wal.is_full() {
            match wal.rotate() {
                Ok(sealed) => {
                    if to_apply.send(Synced::Sealed(sealed)).is_err() {
                        return;
                    }
                }
                // Appending to the long segment stays correct; try again
                // after the next batch.
                Err(e) => tracing::warn!(error = %e, "cannot start a new store log segment"),
            }
        }
    }
}

/// The apply thread: writes each durable batch into fjall, publishes its
/// version and answers its transactions.
fn apply_loop(shared: &Shared, synced: &mpsc::Receiver<Synced>) {
    while let Ok(message) = synced.recv() {
        match message {
            Synced::Batch {
                version,
                batch,
                accepted,
                apply,
                outcome,
            } => {
                let outcome = match apply.then(|| write_to_fjall(&shared.db, &shared.keyspace, &batch)) {
                    Some(Err(reason)) => {
                        // Durable in the log (a reopen replays it) but not
                        // visible now: the caller cannot be told either way.
                        tracing::error!(%reason, "store batch could not be applied; refusing further commits");
                        *shared.failed() = Some(reason);
                        Err(KvError::CommitUnknown)
                    }
                    _ => outcome,
                };
                // Published even when not applied: a reader at this version
                // sees nothing of the batch, which is what the store holds.
                shared.version.store(version, Ordering::Release);
                if apply {
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
            Synced::Sealed(path) => match shared.db.persist(fjall::PersistMode::SyncAll) {
                // fjall's journal now holds every batch of the segment.
                Ok(()) => {
                    if let Err(e) = std::fs::remove_file(&path) {
                        tracing::warn!(path = %path.display(), error = %e, "cannot delete a sealed store log segment");
                    }
                }
                Err(e) => {
                    let reason = format!("fsync of fjall's journal failed: {e}");
                    tracing::error!(%reason, "refusing further commits");
                    *shared.failed() = Some(reason);
                }
            },
        }
    }
}

/// Writes `batch` into fjall without an fsync (the log made it durable):
/// one journal entry, then the memtable. Cleared ranges are expanded here,
/// against the stored state, which holds every batch before this one
/// (batches are applied in order by one thread, and replayed in order).
pub(crate) fn write_to_fjall(
    db: &fjall::Database,
    keyspace: &fjall::Keyspace,
    batch: &BatchWrites,
) -> Result<(), String> {
    let mut writes = fjall::OwnedWriteBatch::with_capacity(db.clone(), batch.state.len()).durability(None);
    for range in &batch.cleared {
        for guard in keyspace.range(range.begin.as_slice()..range.end.as_slice()) {
            let key = guard
                .key()
                .map_err(|e| format!("range clear failed to read: {e}"))?;
            if !batch.state.contains_key(key.as_ref()) {
                writes.remove(keyspace, key);
            }
        }
    }
    for (key, value) in &batch.state {
        match value {
            Some(value) => writes.insert(keyspace, key.as_slice(), value.as_slice()),
            None => writes.remove(keyspace, key.as_slice()),
        }
    }
    writes.commit().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(keys: &[&[u8]]) -> Arc<BatchWrites> {
        Arc::new(BatchWrites {
            state: keys.iter().map(|k| (k.to_vec(), Some(Vec::new()))).collect(),
            cleared: Vec::new(),
        })
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

    #[test]
    fn a_range_clear_conflicts_with_every_overlapping_read_as_in_foundationdb() {
        let mut writes = BatchWrites::default();
        writes.merge(WriteSet {
            writes: [(b"m".to_vec(), Some(b"1".to_vec()))].into_iter().collect(),
            cleared: Vec::new(),
        });
        writes.merge(WriteSet {
            writes: BTreeMap::new(),
            cleared: vec![KeyRange::new(b"k".to_vec(), b"p".to_vec())],
        });
        // The clear came after the set: `m` ends deleted.
        assert_eq!(writes.state.get(b"m".as_slice()), Some(&None));
        let key = |k: &[u8]| ReadConflict::Key(k.to_vec());
        let range = |a: &[u8], b: &[u8]| ReadConflict::Range(KeyRange::new(a.to_vec(), b.to_vec()));
        assert!(writes.touches(&key(b"k")) && writes.touches(&key(b"o")));
        assert!(!writes.touches(&key(b"p")) && !writes.touches(&key(b"j")));
        assert!(writes.touches(&range(b"a", b"l")) && writes.touches(&range(b"o\xff", b"z")));
        assert!(!writes.touches(&range(b"a", b"k")) && !writes.touches(&range(b"p", b"z")));
    }
}
