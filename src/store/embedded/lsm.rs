//! The LSM engine: durable batches applied into fjall 3 (journal without an
//! fsync, memtable, tables flushed and compacted by fjall's own threads).
//! A sealed log segment is deleted once fjall's journal is fsynced behind
//! it. `store.engine = "lsm"`; the memory engine ([`super::memory`]) is the
//! default.

use super::batch::{BatchWrites, WriteSet};
use super::reclaim::{self, Reclaimer};
use super::wal;
use crate::store::kv::{KeyValue, KvError};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// fjall's tuning (`EmbeddedOptions`' LSM fields).
pub(crate) struct LsmTuning {
    pub(crate) cache_bytes: u64,
    pub(crate) memtable_bytes: u64,
    pub(crate) background_threads: usize,
}

/// fjall's database, the store's keyspace and the reclaim keyspace.
pub(crate) struct LsmEngine {
    db: fjall::Database,
    keyspace: fjall::Keyspace,
    /// Only the apply thread uses it.
    reclaimer: Mutex<Reclaimer>,
}

impl LsmEngine {
    /// Opens fjall in `dir/kv`, upgrades a layout-1 store once fjall holds
    /// its lock, replays the log over it and starts a new log segment.
    pub(crate) fn open(dir: &Path, options: &LsmTuning, layout_1: bool) -> Result<(Self, wal::Wal), KvError> {
        let db = fjall::Database::builder(dir.join("kv"))
            .cache_size(options.cache_bytes)
            .manual_journal_persist(true)
            .worker_threads(options.background_threads.max(1))
            .open()
            .map_err(|e| backend_error(dir, &e))?;
        let keyspace = db
            .keyspace("kv", || {
                fjall::KeyspaceCreateOptions::default().max_memtable_size(options.memtable_bytes)
            })
            .map_err(|e| backend_error(dir, &e))?;
        let reclaim = db
            .keyspace(reclaim::KEYSPACE, fjall::KeyspaceCreateOptions::default)
            .map_err(|e| backend_error(dir, &e))?;
        if layout_1 {
            super::layout::upgrade_layout_1(dir)?;
        }
        let wal = recover_log(dir, &db, &keyspace)?;
        let engine = Self {
            db,
            keyspace,
            reclaimer: Mutex::new(Reclaimer::new(reclaim)),
        };
        Ok((engine, wal))
    }

    pub(crate) fn snapshot(&self) -> LsmSnapshot {
        LsmSnapshot {
            snapshot: self.db.snapshot(),
            keyspace: self.keyspace.clone(),
        }
    }

    /// Writes a durable batch into fjall. Usually one fjall write batch
    /// holds the whole batch — one journal entry, one publication: the
    /// transactions' writes in commit order, where a key written twice keeps
    /// the later value, as fjall applies a batch's items in order under one
    /// sequence number. A batch with a range clear is applied one
    /// transaction at a time instead, because the clear is expanded against
    /// the stored state, which must then hold the transactions before it.
    pub(crate) fn apply_batch(&self, batch: &BatchWrites) -> Result<(), String> {
        let (db, keyspace) = (&self.db, &self.keyspace);
        if batch.transactions.iter().any(|t| !t.cleared.is_empty()) {
            return batch
                .transactions
                .iter()
                .try_for_each(|write_set| write_to_fjall(db, keyspace, write_set));
        }
        let items = batch.transactions.iter().map(|t| t.writes.len()).sum();
        let mut writes = fjall::OwnedWriteBatch::with_capacity(db.clone(), items).durability(None);
        for write_set in &batch.transactions {
            for (key, value) in &write_set.writes {
                match value {
                    Some(value) => writes.insert(keyspace, key.as_slice(), value.as_slice()),
                    None => writes.remove(keyspace, key.as_slice()),
                }
            }
        }
        writes.commit().map_err(|e| e.to_string())
    }

    /// After a sealed segment's last batch: fsyncs fjall's journal, which
    /// then holds every batch of the segment, and deletes the segment.
    pub(crate) fn segment_sealed(&self, path: PathBuf) -> Result<(), String> {
        self.db
            .persist(fjall::PersistMode::SyncAll)
            .map_err(|e| format!("fsync of fjall's journal failed: {e}"))?;
        if let Err(e) = std::fs::remove_file(&path) {
            tracing::warn!(path = %path.display(), error = %e, "cannot delete a sealed store log segment");
        }
        self.reclaimer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .after_journal_sync(&self.keyspace);
        Ok(())
    }

    pub(crate) fn disk_space(&self) -> u64 {
        self.db.disk_space().unwrap_or(0)
    }
}

/// A transaction's view of fjall.
pub(crate) struct LsmSnapshot {
    snapshot: fjall::Snapshot,
    keyspace: fjall::Keyspace,
}

impl LsmSnapshot {
    pub(crate) fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        use fjall::Readable;
        self.snapshot
            .get(&self.keyspace, key)
            .map(|v| v.map(|v| v.to_vec()))
            .map_err(|e| KvError::Backend(format!("read failed: {e}")))
    }

    pub(crate) fn range<'a>(
        &'a self,
        begin: &'a [u8],
        end: &'a [u8],
        reverse: bool,
    ) -> Box<dyn Iterator<Item = Result<KeyValue, KvError>> + 'a> {
        use fjall::Readable;
        let pairs = self.snapshot.range(&self.keyspace, begin..end);
        let owned = |guard: fjall::Guard| {
            guard
                .into_inner()
                .map(|(key, value)| (key.to_vec(), value.to_vec()))
                .map_err(|e| KvError::Backend(format!("range read failed: {e}")))
        };
        if reverse {
            Box::new(pairs.rev().map(owned))
        } else {
            Box::new(pairs.map(owned))
        }
    }
}

/// Writes one transaction's writes into fjall as one write batch, without
/// an fsync (the log made them durable): one journal entry, then the
/// memtable. Its cleared ranges are expanded here, against the stored
/// state, which holds every transaction before it (one thread applies them
/// in order, and replay is in order too).
fn write_to_fjall(
    db: &fjall::Database,
    keyspace: &fjall::Keyspace,
    write_set: &WriteSet,
) -> Result<(), String> {
    let mut writes =
        fjall::OwnedWriteBatch::with_capacity(db.clone(), write_set.writes.len()).durability(None);
    for range in &write_set.cleared {
        for guard in keyspace.range(range.begin.as_slice()..range.end.as_slice()) {
            let key = guard
                .key()
                .map_err(|e| format!("range clear failed to read: {e}"))?;
            if !write_set.writes.contains_key(key.as_ref()) {
                writes.remove(keyspace, key);
            }
        }
    }
    for (key, value) in &write_set.writes {
        match value {
            Some(value) => writes.insert(keyspace, key.as_slice(), value.as_slice()),
            None => writes.remove(keyspace, key.as_slice()),
        }
    }
    writes.commit().map_err(|e| e.to_string())
}

/// Replays the log in `dir/wal` into fjall, makes fjall's journal durable
/// behind it, deletes the replayed segments and starts a new one.
fn recover_log(dir: &Path, db: &fjall::Database, keyspace: &fjall::Keyspace) -> Result<wal::Wal, KvError> {
    let log_dir = dir.join(wal::DIR);
    let mut batches = 0usize;
    let (replayed, next) = wal::recover(&log_dir, |batch| {
        batches += 1;
        batch.transactions.iter().try_for_each(|write_set| {
            write_to_fjall(db, keyspace, write_set)
                .map_err(|e| KvError::Backend(format!("replaying the store log into fjall failed: {e}")))
        })
    })?;
    if !replayed.is_empty() {
        db.persist(fjall::PersistMode::SyncAll)
            .map_err(|e| backend_error(dir, &e))?;
        wal::delete_replayed(&replayed)?;
        tracing::info!(batches, segments = replayed.len(), "replayed the store log");
    }
    wal::start_after_recovery(&log_dir, next)
}

fn backend_error(dir: &Path, error: &fjall::Error) -> KvError {
    if matches!(error, fjall::Error::Locked) {
        // fjall's lock file is held: another process (a running OP, or a
        // `fiducia users` command) has the store open.
        return KvError::Backend(format!(
            "the store is in use by a running OP; stop it first ({} is locked by another process)",
            dir.display()
        ));
    }
    KvError::Backend(format!("embedded store in {}: {error}", dir.display()))
}
