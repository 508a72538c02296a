//! Opening the memory engine: its lock, recovery (snapshot, then the log
//! replayed over it) and its checkpoint thread.

use super::checkpoint::Checkpointer;
use super::{MemoryIndex, snapshot_file};
use crate::store::embedded::wal;
use crate::store::kv::KvError;
use nix::fcntl::{Flock, FlockArg};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// The lock file a running store holds (flock(2), exclusive).
const LOCK_FILE: &str = "LOCK";

/// The memory engine of one open store.
pub(crate) struct MemoryEngine {
    pub(crate) index: Arc<MemoryIndex>,
    checkpointer: Checkpointer,
    dir: PathBuf,
    /// Held while the store is open: a second process (a `fiducia users`
    /// command beside a running OP) is refused before it reads anything.
    _lock: Flock<File>,
}

impl MemoryEngine {
    /// Takes the store's lock, loads its snapshot, replays the log over it
    /// and starts a new segment; the replayed segments go to the checkpoint
    /// thread, to be deleted behind its next snapshot (so opening writes
    /// nothing but the new segment, and opens on a full disk too).
    pub(crate) fn open(dir: &Path, budget_bytes: u64) -> Result<(Self, wal::Wal), KvError> {
        let lock = lock(dir)?;
        let started = Instant::now();
        let pairs = snapshot_file::load(dir)
            .map_err(KvError::Backend)?
            .unwrap_or_default();
        let loaded = pairs.len();
        let index = Arc::new(MemoryIndex::new(pairs, budget_bytes));
        let log_dir = dir.join(wal::DIR);
        let mut batches = 0usize;
        let (replayed, next) = wal::recover(&log_dir, |batch| {
            batches += 1;
            batch
                .transactions
                .iter()
                .for_each(|write_set| index.replay(write_set));
            Ok(())
        })?;
        tracing::info!(
            snapshot_entries = loaded,
            batches,
            entries = index.len(),
            seconds = started.elapsed().as_secs_f64(),
            "opened the store (memory engine)"
        );
        let wal = wal::start_after_recovery(&log_dir, next)?;
        // The replayed segments wait for the next snapshot like sealed ones:
        // every batch in them is applied, so a scan from now holds them.
        let checkpointer = Checkpointer::spawn(dir.to_path_buf(), index.clone(), replayed)
            .map_err(|e| KvError::Backend(format!("cannot start the store's checkpoint thread: {e}")))?;
        let engine = Self {
            index,
            checkpointer,
            dir: dir.to_path_buf(),
            _lock: lock,
        };
        Ok((engine, wal))
    }

    /// Hands a sealed segment (every batch of it published) to the
    /// checkpoint thread.
    pub(crate) fn segment_sealed(&self, path: PathBuf) {
        self.checkpointer.segment_sealed(path);
    }

    /// Ends the checkpoint thread, after a last snapshot if segments wait.
    pub(crate) fn finish(&self) {
        self.checkpointer.finish();
    }

    /// Bytes of the snapshot and the log on disk.
    pub(crate) fn disk_space(&self) -> u64 {
        let file_len = |path: &Path| std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let log = std::fs::read_dir(self.dir.join(wal::DIR))
            .map(|entries| entries.flatten().map(|e| file_len(&e.path())).sum())
            .unwrap_or(0);
        file_len(&snapshot_file::path(&self.dir)) + log
    }
}

fn lock(dir: &Path) -> Result<Flock<File>, KvError> {
    let path = dir.join(LOCK_FILE);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| KvError::Backend(format!("cannot open {}: {e}", path.display())))?;
    Flock::lock(file, FlockArg::LockExclusiveNonblock).map_err(|(_, errno)| {
        if errno == nix::errno::Errno::EWOULDBLOCK {
            KvError::Backend(format!(
                "the store is in use by a running OP; stop it first ({} is locked by another process)",
                dir.display()
            ))
        } else {
            KvError::Backend(format!("cannot lock {}: {errno}", path.display()))
        }
    })
}
