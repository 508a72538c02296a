//! The memory engine: the store's live data held in memory as an ordered
//! index, in the style of FoundationDB's `memory` storage engine. The
//! store's write-ahead log (`wal`) stays the only durability point, as with
//! the LSM engine; what changes is where a durable batch is applied.
//!
//! - **The index** is one `BTreeMap` under a reader-writer lock. Each entry
//!   carries the version of the batch that last wrote it; a delete leaves a
//!   tombstone with its version. The apply thread takes the write lock once
//!   per batch and writes in place (a few hundred nanoseconds a key).
//! - **Reads at a version** without keeping old values (optimistic, as
//!   TL2's software transactional memory reads): a transaction reading at
//!   version v is served an entry or tombstone only if its version is at
//!   most v, and that is then the key's state at v. One written after v
//!   makes the read a [`KvError::Conflict`], and the transaction is run
//!   again at a newer version — a read-write transaction with that read
//!   would have failed validation at commit anyway. Tombstones are dropped
//!   once no live transaction reads below them ([`MemoryIndex::apply_batch`]'s
//!   horizon), so an absent key was absent at every live read version.
//! - **Nothing runs on the request path but the inserts.** No memtable
//!   flush, no compaction, no journal lock: the LSM engine's flushes held
//!   reads and commits for 150-350 ms every few seconds at 80 % load
//!   (docs/PERFORMANCE.md, "Store maintenance and the tail").
//! - **Snapshots** ([`checkpoint`]): when sealed log segments add up to the
//!   live data's size (at least one segment), a background thread writes the
//!   index to `memory.snapshot` ([`snapshot_file`]) chunk by chunk, each
//!   under a short read lock, then deletes those segments. The snapshot is
//!   fuzzy — each key as it stood at some moment of the scan — which the
//!   log makes exact: every batch after the scan began is in the log that
//!   stays, and replaying a suffix of the log in order over a state that
//!   already holds some of it leaves every key as the last batch writing it
//!   left it (the `wal` argument). The log on disk stays about the live data
//!   plus one segment, and each logged byte pays for about one byte of
//!   snapshot at most.
//! - **Recovery**: load the snapshot, replay the log over it in order; the
//!   replayed segments wait for the next snapshot like sealed ones, so
//!   opening writes nothing but a new log segment.
//! - **Memory budget** ([`MemoryIndex::refusal`]): the index's estimated
//!   size ([`ENTRY_OVERHEAD`] per entry plus keys and values) is held
//!   against `store.memory_budget_mib`. At the budget a commit that sets any
//!   key is refused before it is validated (a 503 with `Retry-After` to the
//!   client, as for a full disk); deletes and range clears are still
//!   accepted, so the expiry sweeper frees the memory of expired records and
//!   writes resume by themselves.

pub(crate) mod checkpoint;
pub(crate) mod engine;
pub(crate) mod snapshot_file;

use super::batch::{BatchWrites, WriteSet};
use crate::store::kv::{KeyValue, KvError};
use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Estimated bytes one entry costs beyond its key and value: the node slot
/// (key and entry: 40), two heap blocks and their allocator rounding (~32),
/// the B-tree's free slots (~24).
pub(crate) const ENTRY_OVERHEAD: u64 = 96;

/// Entries a range read or a snapshot takes per read lock.
const CHUNK: usize = 256;

/// Estimated bytes of one entry.
pub(crate) fn entry_bytes(key: &[u8], value: Option<&[u8]>) -> u64 {
    key.len() as u64 + value.map_or(0, |v| v.len() as u64) + ENTRY_OVERHEAD
}

/// A key's state: its value (`None`: a tombstone) and the version of the
/// batch that wrote it (0: loaded or replayed at open).
struct Entry {
    version: u64,
    value: Option<Box<[u8]>>,
}

type Map = BTreeMap<Box<[u8]>, Entry>;

/// Pairs as a snapshot holds them.
pub(crate) type Pairs = Vec<(Box<[u8]>, Box<[u8]>)>;

/// A range read's buffered entry: its key, version and value (`None`: a
/// tombstone, skipped unless written after the read version).
type Met = (Vec<u8>, u64, Option<Vec<u8>>);

/// The memory engine's index, its size and its budget.
pub(crate) struct MemoryIndex {
    map: RwLock<Map>,
    /// Version of the last batch applied (under the write lock).
    applied: AtomicU64,
    /// Tombstones in the order written, dropped once below the horizon.
    tombstones: Mutex<VecDeque<(u64, Box<[u8]>)>>,
    /// Estimated bytes of the index ([`entry_bytes`] summed).
    live_bytes: AtomicU64,
    /// Bytes the index may reach before writes that add data are refused.
    budget_bytes: u64,
}

impl MemoryIndex {
    /// An index holding `pairs` (loaded from a snapshot: in key order).
    pub(crate) fn new(pairs: Pairs, budget_bytes: u64) -> Self {
        let live_bytes = pairs.iter().map(|(k, v)| entry_bytes(k, Some(v))).sum();
        let map = pairs
            .into_iter()
            .map(|(key, value)| {
                let entry = Entry {
                    version: 0,
                    value: Some(value),
                };
                (key, entry)
            })
            .collect();
        metrics::gauge!("fiducia_store_memory_bytes").set(live_bytes as f64);
        Self {
            map: RwLock::new(map),
            applied: AtomicU64::new(0),
            tombstones: Mutex::new(VecDeque::new()),
            live_bytes: AtomicU64::new(live_bytes),
            budget_bytes,
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, Map> {
        self.map.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Map> {
        self.map.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Version of the last batch applied: a transaction reads at it once it
    /// is at least the transaction's read version.
    pub(crate) fn applied(&self) -> u64 {
        self.applied.load(Ordering::Acquire)
    }

    /// Estimated bytes of the index.
    pub(crate) fn live_bytes(&self) -> u64 {
        self.live_bytes.load(Ordering::Relaxed)
    }

    /// Live keys (for tests and the open log line).
    pub(crate) fn len(&self) -> usize {
        self.read().values().filter(|e| e.value.is_some()).count()
    }

    /// Why a commit with these writes is refused, if it is: the index is at
    /// its budget and the commit sets a key. Deletes pass, so that expired
    /// records can still be swept.
    pub(crate) fn refusal(&self, write_set: &WriteSet) -> Option<String> {
        let full = self.live_bytes() >= self.budget_bytes;
        (full && write_set.writes.values().any(Option::is_some)).then(|| {
            format!(
                "the store's memory budget ({} MiB, store.memory_budget_mib) is used up; \
                 writes resume as expired records are swept",
                self.budget_bytes / (1024 * 1024)
            )
        })
    }

    /// Applies durable batch `version`, then drops the tombstones no reader
    /// at `horizon` or later needs (every live transaction reads at
    /// `horizon` or later, and so does every one that starts from now).
    pub(crate) fn apply_batch(&self, version: u64, batch: &BatchWrites, horizon: u64) {
        let mut delta = 0i64;
        let mut tombstones = Vec::new();
        {
            let mut map = self.write();
            for write_set in &batch.transactions {
                delta += apply_write_set(&mut map, write_set, version, &mut tombstones);
            }
            self.applied.store(version, Ordering::Release);
        }
        let mut queue = self.tombstones.lock().unwrap_or_else(|p| p.into_inner());
        queue.extend(tombstones);
        if queue.front().is_some_and(|(v, _)| *v <= horizon) {
            let mut map = self.write();
            while let Some((v, key)) = queue.pop_front_if(|(v, _)| *v <= horizon) {
                // Only if nothing wrote the key since.
                if map.get(&key).is_some_and(|e| e.version == v && e.value.is_none()) {
                    map.remove(&key);
                    delta -= entry_bytes(&key, None) as i64;
                }
            }
        }
        self.add_bytes(delta);
    }

    /// Applies one transaction's writes during recovery: no reader yet, so
    /// deletes remove at once.
    pub(crate) fn replay(&self, write_set: &WriteSet) {
        let mut tombstones = Vec::new();
        let mut map = self.write();
        let mut delta = apply_write_set(&mut map, write_set, 0, &mut tombstones);
        for (_, key) in tombstones {
            map.remove(&key);
            delta -= entry_bytes(&key, None) as i64;
        }
        drop(map);
        self.add_bytes(delta);
    }

    fn add_bytes(&self, delta: i64) {
        let now = if delta >= 0 {
            self.live_bytes.fetch_add(delta.unsigned_abs(), Ordering::Relaxed) + delta.unsigned_abs()
        } else {
            let by = delta.unsigned_abs();
            self.live_bytes
                .fetch_sub(by, Ordering::Relaxed)
                .saturating_sub(by)
        };
        metrics::gauge!("fiducia_store_memory_bytes").set(now as f64);
    }

    /// The value of `key` at `version`; a conflict if the key was written
    /// after it.
    pub(crate) fn get(&self, key: &[u8], version: u64) -> Result<Option<Vec<u8>>, KvError> {
        match self.read().get(key) {
            None => Ok(None),
            Some(entry) if entry.version > version => Err(KvError::Conflict),
            Some(entry) => Ok(entry.value.as_deref().map(<[u8]>::to_vec)),
        }
    }

    /// The next entries of `bounds` (at most [`CHUNK`], tombstones
    /// included), in key order or reversed, under one read lock; returns
    /// the last key met if the range may hold more. Versions are checked
    /// as the reader takes each entry ([`RangeAt`]), so an entry buffered
    /// but never returned causes no conflict.
    fn chunk(
        &self,
        bounds: (Bound<&[u8]>, Bound<&[u8]>),
        reverse: bool,
        out: &mut VecDeque<Met>,
    ) -> Option<Box<[u8]>> {
        let map = self.read();
        let range = map.range::<[u8], _>(bounds);
        let entries: Box<dyn Iterator<Item = (&Box<[u8]>, &Entry)>> = if reverse {
            Box::new(range.rev())
        } else {
            Box::new(range)
        };
        for (key, entry) in entries {
            out.push_back((
                key.to_vec(),
                entry.version,
                entry.value.as_deref().map(<[u8]>::to_vec),
            ));
            if out.len() == CHUNK {
                return Some(key.clone());
            }
        }
        None
    }

    /// The live pairs among the next 4 × [`CHUNK`] entries after `after` (from the first key if
    /// `None`), whatever their version, for a snapshot; `None` when there
    /// are no more.
    pub(crate) fn scan_chunk(&self, after: Option<&[u8]>, out: &mut Pairs) -> Option<Box<[u8]>> {
        let map = self.read();
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        let mut last = None;
        for (met, (key, entry)) in map.range::<[u8], _>((start, Bound::Unbounded)).enumerate() {
            if let Some(value) = &entry.value {
                out.push((key.clone(), value.clone()));
            }
            if met + 1 == CHUNK * 4 {
                last = Some(key.clone());
                break;
            }
        }
        last
    }
}

/// A range read at a version, a chunk under each read lock.
pub(crate) struct RangeAt {
    index: Arc<MemoryIndex>,
    version: u64,
    begin: Vec<u8>,
    end: Vec<u8>,
    reverse: bool,
    /// Where the next chunk starts (the last key met), once one was read.
    resume: Option<Box<[u8]>>,
    buffer: VecDeque<Met>,
    exhausted: bool,
}

impl RangeAt {
    pub(crate) fn new(
        index: Arc<MemoryIndex>,
        version: u64,
        begin: &[u8],
        end: &[u8],
        reverse: bool,
    ) -> Self {
        Self {
            index,
            version,
            begin: begin.to_vec(),
            end: end.to_vec(),
            reverse,
            resume: None,
            buffer: VecDeque::new(),
            exhausted: begin >= end,
        }
    }

    fn refill(&mut self) {
        let bounds: (Bound<&[u8]>, Bound<&[u8]>) = match (&self.resume, self.reverse) {
            (None, _) => (Bound::Included(&self.begin), Bound::Excluded(&self.end)),
            (Some(last), false) => (Bound::Excluded(last), Bound::Excluded(&self.end)),
            (Some(last), true) => (Bound::Included(&self.begin), Bound::Excluded(last)),
        };
        let next = self.index.chunk(bounds, self.reverse, &mut self.buffer);
        self.exhausted = next.is_none();
        self.resume = next;
    }
}

impl Iterator for RangeAt {
    type Item = Result<KeyValue, KvError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.buffer.is_empty() {
                if self.exhausted {
                    return None;
                }
                self.refill();
                continue;
            }
            let (key, version, value) = self.buffer.pop_front()?;
            if version > self.version {
                self.buffer.clear();
                self.exhausted = true;
                return Some(Err(KvError::Conflict));
            }
            if let Some(value) = value {
                return Some(Ok((key, value)));
            }
        }
    }
}

/// Applies one transaction's writes as it made them — its cleared ranges
/// against the index as it stands (which holds every transaction before
/// it), then its sets and deletes — at `version`, noting new tombstones,
/// and returns the change in [`entry_bytes`].
fn apply_write_set(
    map: &mut Map,
    write_set: &WriteSet,
    version: u64,
    tombstones: &mut Vec<(u64, Box<[u8]>)>,
) -> i64 {
    let mut delta = 0i64;
    let mut delete = |map: &mut Map, key: &[u8], delta: &mut i64| {
        if let Some(entry) = map.get_mut(key)
            && entry.value.is_some()
        {
            *delta -= entry.value.as_deref().map_or(0, |v| v.len() as i64);
            entry.value = None;
            entry.version = version;
            tombstones.push((version, Box::from(key)));
        }
    };
    for range in &write_set.cleared {
        let bounds: (Bound<&[u8]>, Bound<&[u8]>) = (
            Bound::Included(range.begin.as_slice()),
            Bound::Excluded(range.end.as_slice()),
        );
        if range.begin >= range.end {
            continue;
        }
        let doomed: Vec<Box<[u8]>> = map
            .range::<[u8], _>(bounds)
            .filter(|(key, entry)| entry.value.is_some() && !write_set.writes.contains_key(&key[..]))
            .map(|(key, _)| key.clone())
            .collect();
        for key in doomed {
            delete(map, &key, &mut delta);
        }
    }
    for (key, value) in &write_set.writes {
        match value {
            Some(value) => {
                let value = Some(Box::from(value.as_slice()));
                let new_len = value.as_deref().map_or(0, |v: &[u8]| v.len() as i64);
                if let Some(entry) = map.get_mut(key.as_slice()) {
                    delta += new_len - entry.value.as_deref().map_or(0, |v| v.len() as i64);
                    *entry = Entry { version, value };
                } else {
                    delta += entry_bytes(key, None) as i64 + new_len;
                    map.insert(Box::from(key.as_slice()), Entry { version, value });
                }
            }
            None => delete(map, key, &mut delta),
        }
    }
    delta
}

#[cfg(test)]
mod tests;
