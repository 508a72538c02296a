//! What the transactions and the group-commit threads of one store share:
//! the engine, the durable and applied versions, the live read
//! versions, and the pipeline (the open batch and the conflict history,
//! under one lock). The commit path itself is in `writer`.

use super::batch::{BatchWrites, ReadConflict};
use crate::store::kv::KvError;
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use tokio::sync::{Notify, oneshot};

/// How the next group commits fail, for testing the "maybe committed" paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InjectedFault {
    /// The batch is made durable, but its transactions are told the outcome
    /// is unknown (a lost acknowledgement).
    UnknownAfterApply,
    /// The batch is dropped, and its transactions are told the outcome is
    /// unknown (a failure before the write reached the disk).
    UnknownWithoutApply,
}

/// State shared by transactions and the pipeline threads.
pub(crate) struct Shared {
    /// Where durable batches are applied and read from.
    pub(crate) engine: super::engine::Engine,
    /// Version of the last batch in the log (fdatasynced), or given up on;
    /// a transaction's read version.
    pub(crate) durable: AtomicU64,
    /// Version of the last batch applied to the engine; never ahead of
    /// `durable`. A transaction takes its snapshot once this has reached its
    /// read version, so the snapshot holds everything up to it.
    pub(crate) applied: AtomicU64,
    /// Notified whenever `applied` moves (or the store fails).
    pub(crate) applied_changed: tokio::sync::Notify,
    /// Read versions of live transactions → how many; the pipeline keeps
    /// conflict history back to the oldest of them.
    pub(crate) active_reads: Mutex<BTreeMap<u64, usize>>,
    /// The open batch, the conflict history and the sync thread's wake-up.
    pub(crate) pipeline: PipelineShared,
    pub(crate) closed: AtomicBool,
    /// Set when a batch failed to reach the disk; commits are refused then.
    pub(crate) failed: Mutex<Option<String>>,
    pub(crate) faults: Mutex<Vec<InjectedFault>>,
    /// How long the apply thread waits before applying the next batch (for
    /// tests of reads while it lags behind the log).
    pub(crate) apply_delay: Mutex<Option<std::time::Duration>>,
    /// The free space the store keeps on its disk.
    pub(crate) disk: super::disk_space::DiskSpace,
    pub(crate) stats: WriterCounters,
}

/// Group-commit counters.
#[derive(Default)]
pub(crate) struct WriterCounters {
    pub(crate) batches: AtomicU64,
    pub(crate) committed: AtomicU64,
    pub(crate) conflicts: AtomicU64,
}

impl Shared {
    pub(crate) fn active_reads(&self) -> MutexGuard<'_, BTreeMap<u64, usize>> {
        self.active_reads.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn failed(&self) -> MutexGuard<'_, Option<String>> {
        self.failed.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn take_fault(&self) -> Option<InjectedFault> {
        let mut faults = self.faults.lock().unwrap_or_else(|p| p.into_inner());
        if faults.is_empty() {
            None
        } else {
            Some(faults.remove(0))
        }
    }
}

pub(crate) type Verdict = oneshot::Sender<Result<(), KvError>>;

/// What the committing tasks and the pipeline threads share, under one lock.
#[derive(Default)]
pub(crate) struct Pipeline {
    /// Batches taken by the sync thread (in flight or durable), oldest first,
    /// kept while a live transaction may have read an older state.
    pub(crate) history: VecDeque<(u64, Arc<BatchWrites>)>,
    /// The batch being gathered.
    pub(crate) open: BatchWrites,
    /// The transactions accepted into `open`, waiting for its outcome.
    pub(crate) accepted: Vec<Verdict>,
    /// Version of the last batch taken.
    pub(crate) last_version: u64,
    /// No more commits are accepted; the threads finish the open batch.
    pub(crate) closing: bool,
}

impl Pipeline {
    /// Whether a batch newer than `version` wrote what `read` covers.
    pub(crate) fn written_after(&self, read: &ReadConflict, version: u64) -> bool {
        self.history
            .iter()
            .rev()
            .take_while(|(v, _)| *v > version)
            .any(|(_, batch)| batch.touches(read))
    }

    /// Forgets batches no live transaction can conflict with: those at or
    /// below the oldest live read version.
    pub(crate) fn forget_up_to(&mut self, horizon: u64) {
        while self.history.front().is_some_and(|(v, _)| *v <= horizon) {
            self.history.pop_front();
        }
    }
}

/// The group-commit pipeline of one store.
pub(crate) struct PipelineShared {
    pub(crate) state: Mutex<Pipeline>,
    /// Wakes the sync thread: the open batch got its first transaction, the
    /// apply thread caught up, or the store is closing.
    pub(crate) work: Condvar,
    /// Notified whenever the sync thread takes the open batch (for commits
    /// waiting because it was full).
    pub(crate) taken: Notify,
    pub(crate) max_batch: usize,
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

    pub(crate) fn lock(&self) -> MutexGuard<'_, Pipeline> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stops accepting commits; the threads write what was accepted and end.
    pub(crate) fn close(&self) {
        self.lock().closing = true;
        self.work.notify_one();
    }

    /// Wakes the sync thread if it waits for the apply thread to catch up.
    pub(crate) fn applied_one(&self) {
        let _state = self.lock();
        self.work.notify_one();
    }
}
