//! The embedded backend: one process, a data directory, no server. The
//! store's own write-ahead log in front of one of two engines ([`engine`]):
//! the memory engine (the default: the live data as an in-memory ordered
//! index, snapshots written off the request path, [`memory`]) or the LSM
//! engine (fjall 3, [`lsm`]).
//!
//! # Design
//!
//! - **Reads** run on the caller's task against an engine snapshot taken
//!   at the transaction's first read, so a transaction reads one consistent
//!   state: a clone of the memory index (O(1)), or a fjall snapshot served
//!   from memtables and the block cache (a cold read is one block read).
//! - **Commits** are validated optimistically into an open batch on the
//!   committing task ([`writer`]). A sync thread takes the whole open batch
//!   whenever it is free and makes it durable with a single fdatasync of the
//!   store's write-ahead log ([`wal`]), then the batch's transactions are
//!   acknowledged while an apply thread applies it to the engine (group commit,
//!   pipelined): while one batch is applied the next one syncs and a third
//!   fills, so 64 concurrent writers cost one fsync per batch rather than
//!   64.
//! - **Serializability**: every commit carries its read version and read set.
//!   Validation rejects it with [`KvError::Conflict`] if any key it read was
//!   written by a batch after its read version (durable or in flight) or by a
//!   transaction ahead of it in the open batch. Accepted transactions are
//!   applied in order, so a batch is equivalent to running them one after the
//!   other (the resolver of FoundationDB's "Architecture" document, on one
//!   machine).
//! - **Durability and visibility**: a commit is acknowledged only after its
//!   batch was appended to the log and fdatasynced. It becomes visible when
//!   the apply thread has applied it to the engine, at most a few batches
//!   later; a transaction's read version is the latest durable version and
//!   its first read waits until that version is applied (FoundationDB's
//!   storage servers likewise answer a read at version v once they have
//!   applied v), so every transaction that begins after an acknowledgement
//!   sees that commit, and no reader sees data that a crash could take back.
//!   On open, the log is replayed into the engine (see [`wal`] for why
//!   replaying is always correct), and a log segment is deleted only once
//!   the engine holds its batches durably: a snapshot written after them
//!   (memory), or fjall's journal (written without an fsync) fsynced behind
//!   them (LSM). A batch is one checksummed log record: after a crash it is
//!   replayed whole or not at all.
//! - **Unknown outcome**: if the log write or fdatasync fails, the batch may
//!   or may not be on disk; its transactions get [`KvError::CommitUnknown`]
//!   and the store refuses further commits until it is reopened.
//!
//! The data directory holds `FIDUCIA_STORE` (the layout and engine), `wal/`
//! (the log) and either `memory.snapshot` and `LOCK` (memory) or `kv/`
//! (fjall's files).

mod batch;
mod disk_space;
mod engine;
mod layout;
mod lsm;
mod memory;
mod reclaim;
mod shared;
mod transaction;
mod wal;
mod writer;

use super::kv::{Backend, BackendTransaction, KvError, RunOptions, Store};
use futures::future::BoxFuture;
use layout::check_or_create_marker;
pub use layout::{EngineKind, MARKER_FILE};
pub use shared::InjectedFault;
use shared::{PipelineShared, Shared, WriterCounters};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use transaction::EmbeddedTransaction;

/// Tuning of the embedded backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedOptions {
    /// The engine of a new store (an existing one must match: its marker
    /// says which it is). Default [`EngineKind::Memory`].
    pub engine: EngineKind,
    /// The memory engine's budget for its index, in bytes: at it, commits
    /// that set keys are refused until expired records are swept. Default
    /// 1 GiB.
    pub memory_budget_bytes: u64,
    /// Most transactions in one group commit. Default 4096.
    pub max_batch_transactions: usize,
    /// LSM engine: fjall block cache, in bytes. Default 64 MiB.
    pub cache_bytes: u64,
    /// LSM engine: size at which fjall's memtable is flushed to a table,
    /// in bytes.
    /// Default 64 MiB.
    pub memtable_bytes: u64,
    /// LSM engine: fjall's flush and compaction threads. Default 1: on the two-vCPU
    /// machine of docs/PERFORMANCE.md one thread gave a lower commit p99 and
    /// a higher throughput than two (its default, one per core), since its
    /// writes and CPU compete with the log's fdatasyncs and the committing
    /// tasks.
    pub background_threads: usize,
    /// Run the log's sync thread under `SCHED_BATCH` (Linux): woken by a
    /// commit it does not preempt the committing thread, which goes on
    /// serving requests whose commits join the batch. Default true.
    pub sync_thread_batch_scheduling: bool,
    /// Bytes that must stay free on the store's disk: below it commits are
    /// refused before they are written (`disk_space`). Default 256 MiB.
    pub min_free_bytes: u64,
}

impl Default for EmbeddedOptions {
    fn default() -> Self {
        Self {
            engine: EngineKind::default(),
            memory_budget_bytes: 1024 * 1024 * 1024,
            max_batch_transactions: 4096,
            cache_bytes: 64 * 1024 * 1024,
            memtable_bytes: 64 * 1024 * 1024,
            background_threads: 1,
            sync_thread_batch_scheduling: true,
            min_free_bytes: 256 * 1024 * 1024,
        }
    }
}

/// The embedded backend. Open it with [`EmbeddedBackend::open`] and wrap it in
/// a [`Store`], or use [`open_store`].
pub struct EmbeddedBackend {
    shared: Arc<Shared>,
    committer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// What group commit has done since the store was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterStats {
    /// Durable batches written (one fsync each).
    pub batches: u64,
    /// Transactions committed in them.
    pub committed: u64,
    /// Transactions refused with a conflict.
    pub conflicts: u64,
}

/// Opens (or creates) the embedded store in `dir` with default options.
pub fn open_store(dir: &Path) -> Result<(Store, Arc<EmbeddedBackend>), KvError> {
    let backend = Arc::new(EmbeddedBackend::open(dir, EmbeddedOptions::default())?);
    Ok((Store::new(backend.clone()), backend))
}

impl EmbeddedBackend {
    /// Opens the store in `dir`, creating it when the directory is missing or
    /// empty. Refuses a directory that holds something else, or a store of
    /// another layout, with a message that says so. Recovers fjall's journal
    /// and replays the write-ahead log over it: every acknowledged commit is
    /// there afterwards.
    pub fn open(dir: &Path, options: EmbeddedOptions) -> Result<Self, KvError> {
        // Nothing in an existing store is written before the engine holds
        // its lock file (fjall's, or the memory engine's `LOCK`): a second
        // process (a `fiducia users` command next to a running OP) fails
        // there, having read only.
        let layout_1 = check_or_create_marker(dir, options.engine)?;
        let (engine, wal) = match options.engine {
            EngineKind::Memory => {
                let (engine, wal) = memory::engine::MemoryEngine::open(dir, options.memory_budget_bytes)?;
                (engine::Engine::Memory(engine), wal)
            }
            EngineKind::Lsm => {
                let tuning = lsm::LsmTuning {
                    cache_bytes: options.cache_bytes,
                    memtable_bytes: options.memtable_bytes,
                    background_threads: options.background_threads,
                };
                let (engine, wal) = lsm::LsmEngine::open(dir, &tuning, layout_1)?;
                (engine::Engine::Lsm(engine), wal)
            }
        };
        let shared = Arc::new(Shared {
            engine,
            durable: AtomicU64::new(0),
            applied: AtomicU64::new(0),
            applied_changed: tokio::sync::Notify::new(),
            active_reads: Mutex::new(BTreeMap::new()),
            pipeline: PipelineShared::new(0, options.max_batch_transactions),
            closed: AtomicBool::new(false),
            failed: Mutex::new(None),
            faults: Mutex::new(Vec::new()),
            apply_delay: Mutex::new(None),
            disk: disk_space::DiskSpace::new(dir, options.min_free_bytes),
            stats: WriterCounters::default(),
        });
        let committer = writer::spawn(shared.clone(), wal, options.sync_thread_batch_scheduling)
            .map_err(|e| KvError::Backend(format!("cannot start the store's commit threads: {e}")))?;
        Ok(Self {
            shared,
            committer: Mutex::new(Some(committer)),
        })
    }

    /// Makes the next group commits fail as `faults` say, one fault per batch
    /// (for tests of "maybe committed" handling).
    pub fn inject_faults(&self, faults: &[InjectedFault]) {
        let mut queued = self.shared.faults.lock().unwrap_or_else(|p| p.into_inner());
        queued.extend_from_slice(faults);
    }

    /// Makes the apply thread wait `delay` before it applies the next batch,
    /// so that commits are acknowledged (durable) well before they are
    /// applied: for tests of what readers see meanwhile.
    pub fn delay_next_apply(&self, delay: std::time::Duration) {
        *self.shared.apply_delay.lock().unwrap_or_else(|p| p.into_inner()) = Some(delay);
    }

    /// Makes the store see `bytes` free on its disk instead of what the file
    /// system says (`None`: the file system again), for tests of a full disk.
    pub fn report_free_space(&self, bytes: Option<u64>) {
        self.shared.disk.report(bytes);
    }

    /// Group-commit counters: transactions per fsync is `committed / batches`.
    pub fn stats(&self) -> WriterStats {
        let c = &self.shared.stats;
        WriterStats {
            batches: c.batches.load(Ordering::Relaxed),
            committed: c.committed.load(Ordering::Relaxed),
            conflicts: c.conflicts.load(Ordering::Relaxed),
        }
    }

    /// The memory engine's estimated index size in bytes (0 for the LSM
    /// engine), what `memory_budget_bytes` is held against.
    pub fn memory_bytes(&self) -> u64 {
        self.shared.engine.memory_bytes()
    }

    /// Bytes the store takes on disk.
    pub fn disk_space(&self) -> u64 {
        self.shared.engine.disk_space()
    }
}

impl Backend for EmbeddedBackend {
    fn name(&self) -> &'static str {
        "embedded"
    }

    fn begin(&self, _options: &RunOptions) -> Result<Box<dyn BackendTransaction>, KvError> {
        if self.shared.closed.load(Ordering::Acquire) {
            return Err(KvError::Closed);
        }
        Ok(Box::new(EmbeddedTransaction::begin(self.shared.clone())))
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.shared.closed.store(true, Ordering::Release);
            self.shared.pipeline.close();
            let handle = self.committer.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(handle) = handle {
                let _ = tokio::task::spawn_blocking(move || handle.join()).await;
            }
        })
    }
}

impl Drop for EmbeddedBackend {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
        self.shared.pipeline.close();
    }
}

#[cfg(test)]
mod tests;
