//! Where durable batches are applied and read from: the engine behind the
//! write-ahead log. The log, group commit, validation and the read
//! versions (`writer`, `transaction`) are the same for both.
//!
//! - [`Engine::Lsm`] (the default, `store.engine = "lsm"`): fjall 3
//!   ([`super::lsm`]);
//! - [`Engine::Memory`] (`store.engine = "memory"`): an in-memory ordered
//!   index read at a version, snapshots written off the request path
//!   ([`super::memory`]), for deployments whose live records fit in memory.
//!
//! docs/PERFORMANCE.md ("Store engines") has the measurements that chose
//! the default: the memory engine's tail and CPU are better, but at the
//! default token lifetime a peak `cc-mtls` rate fills its default budget
//! in about 90 seconds.

use super::batch::{BatchWrites, WriteSet};
use super::lsm::{LsmEngine, LsmSnapshot};
use super::memory::engine::MemoryEngine;
use super::memory::{MemoryIndex, RangeAt};
use crate::store::kv::{KeyValue, KvError};
use std::path::PathBuf;
use std::sync::Arc;

pub(crate) enum Engine {
    Memory(MemoryEngine),
    Lsm(LsmEngine),
}

/// One transaction's snapshot.
pub(crate) enum EngineSnapshot {
    /// The index read at a version (the last applied when the snapshot was
    /// taken).
    Memory(Arc<MemoryIndex>, u64),
    Lsm(LsmSnapshot),
}

impl Engine {
    pub(crate) fn snapshot(&self) -> EngineSnapshot {
        match self {
            Self::Memory(engine) => EngineSnapshot::Memory(engine.index.clone(), engine.index.applied()),
            Self::Lsm(engine) => EngineSnapshot::Lsm(engine.snapshot()),
        }
    }

    /// Why a commit with `write_set` is refused before validation, if it is
    /// (the memory budget).
    pub(crate) fn refusal(&self, write_set: &WriteSet) -> Option<String> {
        match self {
            Self::Memory(engine) => engine.index.refusal(write_set),
            Self::Lsm(_) => None,
        }
    }

    /// Applies durable batch `version` (on the apply thread, in version
    /// order). `horizon`: no live or future transaction reads below it.
    pub(crate) fn apply_batch(&self, version: u64, batch: &BatchWrites, horizon: u64) -> Result<(), String> {
        match self {
            Self::Memory(engine) => {
                engine.index.apply_batch(version, batch, horizon);
                Ok(())
            }
            Self::Lsm(engine) => engine.apply_batch(batch),
        }
    }

    /// A log segment is sealed and every batch in it applied: make the
    /// engine durable behind it and let the segment go. An error means the
    /// engine cannot be made durable and the store must stop committing.
    pub(crate) fn segment_sealed(&self, path: PathBuf) -> Result<(), String> {
        match self {
            Self::Memory(engine) => {
                engine.segment_sealed(path);
                Ok(())
            }
            Self::Lsm(engine) => engine.segment_sealed(path),
        }
    }

    /// The apply thread is ending: the memory engine's checkpoint thread
    /// writes what waits and ends too.
    pub(crate) fn finish(&self) {
        if let Self::Memory(engine) = self {
            engine.finish();
        }
    }

    pub(crate) fn disk_space(&self) -> u64 {
        match self {
            Self::Memory(engine) => engine.disk_space(),
            Self::Lsm(engine) => engine.disk_space(),
        }
    }

    /// The memory engine's estimated index size (0 for the LSM engine).
    pub(crate) fn memory_bytes(&self) -> u64 {
        match self {
            Self::Memory(engine) => engine.index.live_bytes(),
            Self::Lsm(_) => 0,
        }
    }
}

impl EngineSnapshot {
    /// The version the snapshot reads at, when the engine knows it exactly
    /// (memory: the last batch applied). A transaction then reads at it, so
    /// that its reads conflict only with later batches. fjall's snapshot may
    /// be of a later state than the version the transaction waited for; its
    /// read version stays that one (conservative: a conflict with a batch it
    /// saw only retries).
    pub(crate) fn version(&self) -> Option<u64> {
        match self {
            Self::Memory(_, version) => Some(*version),
            Self::Lsm(_) => None,
        }
    }

    pub(crate) fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        match self {
            Self::Memory(index, version) => index.get(key, *version),
            Self::Lsm(snapshot) => snapshot.get(key),
        }
    }

    /// The pairs in `[begin, end)`, in key order or reversed.
    pub(crate) fn range<'a>(
        &'a self,
        begin: &'a [u8],
        end: &'a [u8],
        reverse: bool,
    ) -> Box<dyn Iterator<Item = Result<KeyValue, KvError>> + 'a> {
        match self {
            Self::Memory(index, version) => {
                Box::new(RangeAt::new(index.clone(), *version, begin, end, reverse))
            }
            Self::Lsm(snapshot) => snapshot.range(begin, end, reverse),
        }
    }
}
