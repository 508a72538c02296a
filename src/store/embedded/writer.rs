//! Group commit with optimistic validation, acknowledged at the log and
//! applied behind it — FoundationDB's split between the transaction logs
//! and the storage servers, on one machine.
//!
//! **Validation** runs on the committing task itself ([`Shared::commit`]),
//! under the pipeline lock, in commit order:
//!
//! 1. its read set is checked: a key it read (or any key in a range it read)
//!    must not have been written by a batch newer than its read version
//!    ([`Pipeline::written_after`](super::shared::Pipeline::written_after))
//!    nor by a transaction accepted earlier into the open batch; otherwise
//!    it gets [`KvError::Conflict`] and the caller's `run` retries;
//! 2. its writes join the open batch. A range clear stays a range (expanded
//!    into the stored keys only when the transaction is applied), so, as in
//!    FoundationDB, it conflicts with every read that overlaps the range.
//!
//! Validating on the caller's task instead of a writer thread saves a thread
//! hand-off (a futex wake-up and two context switches) per transaction.
//!
//! The **sync** thread, whenever it is free, takes the whole open batch,
//! gives it the next version, appends it to the write-ahead log ([`wal`])
//! and fdatasyncs — one fsync per batch — then publishes the version as
//! durable ([`Shared::durable`]) and hands the batch's verdicts to the
//! **ack** thread, which answers the transactions, and the batch to the
//! **apply** thread, which applies it to the engine (the memory index, or
//! fjall's journal and memtable without an fsync: `engine`) and publishes
//! the version as applied ([`Shared::applied`]).
//! The batch is what arrived during the previous sync, so the more
//! concurrent writers, the fewer fsyncs per commit, with no timer and no
//! waiting when load is light.
//!
//! A commit is thus acknowledged once durable, without waiting for the
//! memtable inserts — as a FoundationDB commit is acknowledged once its
//! transaction logs have it, before the storage servers apply it. Reads
//! keep every guarantee because a transaction's read version is the durable
//! version when it first reads, and it takes its snapshot only once that
//! version is applied (as a FoundationDB storage server answers a read at
//! version v only once it has applied v): a transaction that begins after an
//! acknowledgement sees that commit, and no reader sees anything that is not
//! durable. The apply thread stays at most [`MAX_APPLY_LAG`] batches behind;
//! the sync thread waits beyond that.
//!
//! The ack thread exists because answering wakes the committing tasks,
//! whose threads then preempt the waker (a woken thread runs before the one
//! that woke it): the sync thread must not be the one held up.
//!
//! [`wal`]: super::wal

use super::batch::{BatchWrites, CommitRequest};
use super::shared::{InjectedFault, Shared, Verdict};
use super::wal::{AppendError, Wal};
use crate::store::kv::KvError;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, mpsc};
use tokio::sync::futures::Notified;
use tokio::sync::oneshot;

/// Most batches the apply thread may be behind the log.
pub(crate) const MAX_APPLY_LAG: u64 = 8;

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
    /// it passes, adds it to the open batch (taking it out of `request`).
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
        if let Some(reason) = self.engine.refusal(&commit.write_set) {
            drop(state);
            metrics::counter!("fiducia_store_commits_refused_total", "reason" => "memory_budget")
                .increment(1);
            return Err(KvError::Backend(reason));
        }
        let conflict = commit
            .reads
            .iter()
            .any(|read| state.written_after(read, commit.read_version) || state.open.touches(read));
        if conflict {
            drop(state);
            self.stats.conflicts.fetch_add(1, Ordering::Relaxed);
            metrics::counter!("fiducia_store_conflicts_total").increment(1);
            return Err(KvError::Conflict);
        }
        let (reply, verdict) = oneshot::channel();
        state.open.push(commit.write_set);
        state.accepted.push(reply);
        let first = state.accepted.len() == 1;
        drop(state);
        if first {
            pipeline.work.notify_one();
        }
        Ok(Admission::Accepted(verdict))
    }

    /// Waits until every batch up to `version` is applied, so that a snapshot
    /// taken afterwards holds it; fails if the store failed meanwhile.
    pub(crate) async fn applied_up_to(&self, version: u64) -> Result<(), KvError> {
        loop {
            // Created before the check, so a notification in between counts.
            let changed = self.applied_changed.notified();
            if self.applied.load(Ordering::Acquire) >= version {
                return Ok(());
            }
            if let Some(reason) = self.failed().as_ref() {
                return Err(KvError::Backend(format!(
                    "the store failed to apply a commit and must be reopened: {reason}"
                )));
            }
            changed.await;
        }
    }
}

/// A durable (or dropped) batch on its way to the apply thread.
enum Synced {
    Batch {
        version: u64,
        batch: Arc<BatchWrites>,
        /// Whether the batch is in the log and must be applied.
        apply: bool,
    },
    /// A log segment was sealed after the batches before this message:
    /// delete it once the engine holds them durably.
    Sealed(PathBuf),
}

/// Verdicts for the ack thread to send.
type Answers = Vec<(Verdict, Result<(), KvError>)>;

/// Starts the sync, ack and apply threads; the returned handle finishes when
/// all have, after
/// [`PipelineShared::close`](super::shared::PipelineShared::close), once the
/// batches accepted before are written and applied. With `batch_scheduling` the sync thread
/// asks for `SCHED_BATCH` ([`ask_for_batch_scheduling`]).
pub(crate) fn spawn(
    shared: Arc<Shared>,
    wal: Wal,
    batch_scheduling: bool,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let (to_apply, synced) = mpsc::channel();
    let (to_ack, answers) = mpsc::channel::<Answers>();
    let applier = {
        let shared = shared.clone();
        std::thread::Builder::new()
            .name("store-apply".into())
            .spawn(move || apply_loop(&shared, &synced))?
    };
    let acker = std::thread::Builder::new()
        .name("store-ack".into())
        .spawn(move || {
            while let Ok(batch) = answers.recv() {
                for (verdict, result) in batch {
                    let _ = verdict.send(result);
                }
            }
        })?;
    let on_failure = shared.clone();
    let syncer = std::thread::Builder::new()
        .name("store-sync".into())
        .spawn(move || {
            if batch_scheduling {
                ask_for_batch_scheduling();
            }
            sync_loop(&shared, wal, &to_apply, &to_ack);
            drop(to_ack);
            drop(to_apply);
            let _ = acker.join();
            let _ = applier.join();
            shared.pipeline.taken.notify_waiters();
        });
    if syncer.is_err() {
        // No sync thread will come: nothing can be accepted any more.
        on_failure.pipeline.close();
    }
    syncer
}

/// Puts the calling thread under `SCHED_BATCH` (sched(7)): the scheduler
/// then does not let it preempt the running thread when it wakes. A commit
/// wakes the sync thread; under the default policy, on a busy CPU, it would
/// run at once with a batch of that one transaction, and the thread serving
/// requests would wait. Under `SCHED_BATCH` that thread goes on until its
/// slice ends or it waits, and the commits of the requests it served in the
/// meantime share the fdatasync: fewer syncs, wake-ups and context switches
/// per commit when request handling, not the disk, fills the CPU. An idle
/// CPU still runs the sync thread at once. Refused (a seccomp profile, say):
/// logged, and the thread keeps the default policy.
fn ask_for_batch_scheduling() {
    #[cfg(target_os = "linux")]
    if scheduler::set_self_policy(scheduler::Policy::Batch, 0).is_err() {
        tracing::warn!(
            "the store's sync thread could not switch to SCHED_BATCH; group commits may be smaller"
        );
    }
}

/// The sync thread: takes the open batch whenever it is free (and the apply
/// thread not too far behind), appends it to the log and fdatasyncs,
/// publishes it as durable, and passes on its verdicts and its writes.
fn sync_loop(shared: &Shared, mut wal: Wal, to_apply: &mpsc::Sender<Synced>, to_ack: &mpsc::Sender<Answers>) {
    let pipeline = &shared.pipeline;
    let mut was_full = false;
    loop {
        let (version, batch, accepted) = {
            let mut state = pipeline.lock();
            loop {
                let lagging = state
                    .last_version
                    .saturating_sub(shared.applied.load(Ordering::Acquire))
                    >= MAX_APPLY_LAG
                    && shared.failed().is_none();
                if state.closing || (!state.accepted.is_empty() && !lagging) {
                    break;
                }
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
            let durable = shared.durable.load(Ordering::Acquire);
            let oldest_read = shared.active_reads().keys().next().copied().unwrap_or(durable);
            state.forget_up_to(oldest_read.min(durable));
            (version, batch, accepted)
        };
        pipeline.taken.notify_waiters();
        let failed_before = shared.failed().clone();
        let disk_full = if failed_before.is_none() {
            shared.disk.too_low()
        } else {
            None
        };
        disk_full_changed(&mut was_full, disk_full.as_deref());
        let (apply, outcome) = match (failed_before, shared.take_fault()) {
            // Nothing of it was written: it certainly did not commit.
            (Some(reason), _) => (
                false,
                Err(KvError::Backend(format!(
                    "the store failed to write and must be reopened: {reason}"
                ))),
            ),
            // Refused before anything was written; the next batch may pass.
            (None, _) if let Some(reason) = disk_full => {
                metrics::counter!("fiducia_store_commits_refused_total", "reason" => "disk_full")
                    .increment(accepted.len() as u64);
                (false, Err(KvError::Backend(reason)))
            }
            (None, Some(InjectedFault::UnknownWithoutApply)) => (false, Err(KvError::CommitUnknown)),
            (None, fault) => match wal.append(&batch) {
                Ok(()) if fault.is_some() => (true, Err(KvError::CommitUnknown)),
                Ok(()) => (true, Ok(())),
                // The write failed and the segment is as it was before it:
                // nothing of the batch can be read back, so it did not
                // commit, and the log goes on (a full disk that beat the
                // guard above).
                Err(AppendError::NotWritten(e)) => {
                    tracing::warn!(error = %e, "store batch not written; the log is unchanged");
                    metrics::counter!("fiducia_store_commits_refused_total", "reason" => "log_write")
                        .increment(accepted.len() as u64);
                    (
                        false,
                        Err(KvError::Backend(format!(
                            "the store log could not be written: {e}"
                        ))),
                    )
                }
                Err(AppendError::Unknown(e)) => {
                    let reason = format!("store log write or fdatasync failed: {e}");
                    tracing::error!(%reason, "store batch may not have reached the disk; refusing further commits");
                    *shared.failed() = Some(reason);
                    (false, Err(KvError::CommitUnknown))
                }
            },
        };
        // Published even when not written: a reader at this version sees
        // nothing of the batch, which is what the disk holds.
        shared.durable.store(version, Ordering::Release);
        if apply {
            shared.stats.batches.fetch_add(1, Ordering::Relaxed);
            shared
                .stats
                .committed
                .fetch_add(accepted.len() as u64, Ordering::Relaxed);
            metrics::counter!("fiducia_store_log_syncs_total").increment(1);
            metrics::counter!("fiducia_store_commits_total").increment(accepted.len() as u64);
        }
        let answers = accepted.into_iter().map(|v| (v, outcome.clone())).collect();
        if to_ack.send(answers).is_err()
            || to_apply
                .send(Synced::Batch {
                    version,
                    batch,
                    apply,
                })
                .is_err()
        {
            return;
        }
        if wal.should_rotate() {
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

/// The apply thread: applies each durable batch to the engine and publishes
/// it as applied; hands sealed segments to the engine.
fn apply_loop(shared: &Shared, synced: &mpsc::Receiver<Synced>) {
    // Set once a durable batch could not be applied: nothing after it may be
    // published as applied, since readers would miss it.
    let mut broken = false;
    while let Ok(message) = synced.recv() {
        match message {
            Synced::Batch {
                version,
                batch,
                apply,
            } => {
                let delay = shared
                    .apply_delay
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .take();
                if let Some(delay) = delay {
                    std::thread::sleep(delay);
                }
                // Every live transaction reads at or above the oldest
                // registered read version, and one that registers later
                // reads at the durable version, which is at least what is
                // applied now.
                let applied = shared.applied.load(Ordering::Acquire);
                let horizon = shared
                    .active_reads()
                    .keys()
                    .next()
                    .map_or(applied, |&v| v.min(applied));
                if !broken
                    && apply
                    && let Err(reason) = shared.engine.apply_batch(version, &batch, horizon)
                {
                    // Durable in the log, so a reopen replays it, but it
                    // cannot be made visible now: reads that need it fail,
                    // and so do further commits.
                    tracing::error!(%reason, "store batch could not be applied; refusing further commits");
                    *shared.failed() = Some(reason);
                    broken = true;
                }
                if !broken {
                    // A batch that was not written is published too: a reader
                    // at this version sees nothing of it, which is what the
                    // disk holds.
                    shared.applied.store(version, Ordering::Release);
                }
                shared.applied_changed.notify_waiters();
                shared.pipeline.applied_one();
            }
            // Once a batch could not be applied the engine misses it: the
            // segment holding it must stay for the replay at reopen.
            Synced::Sealed(_) if broken => {}
            Synced::Sealed(path) => {
                if let Err(reason) = shared.engine.segment_sealed(path) {
                    tracing::error!(%reason, "refusing further commits");
                    *shared.failed() = Some(reason);
                }
            }
        }
    }
    shared.engine.finish();
}

/// Logs (once) and reports (`fiducia_store_disk_full`) the store's disk
/// becoming full and having room again.
fn disk_full_changed(was_full: &mut bool, reason: Option<&str>) {
    match (reason, *was_full) {
        (Some(reason), false) => {
            tracing::error!(%reason, "refusing commits until space returns; reads are served");
            metrics::gauge!("fiducia_store_disk_full").set(1.0);
        }
        (None, true) => {
            tracing::info!("the store's disk has room again; commits resume");
            metrics::gauge!("fiducia_store_disk_full").set(0.0);
        }
        _ => {}
    }
    *was_full = reason.is_some();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::embedded::batch::{ReadConflict, WriteSet};
    use crate::store::embedded::shared::Pipeline;
    use crate::store::kv::KeyRange;

    fn batch(keys: &[&[u8]]) -> Arc<BatchWrites> {
        Arc::new(BatchWrites::of(vec![WriteSet {
            writes: keys.iter().map(|k| (k.to_vec(), Some(Vec::new()))).collect(),
            cleared: Vec::new(),
        }]))
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
