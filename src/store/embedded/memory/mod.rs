//! The memory engine: the store's live data held in memory as an ordered
//! index, in the style of FoundationDB's `memory` storage engine. The
//! store's write-ahead log (`wal`) stays the only durability point, as with
//! the LSM engine; what changes is where a durable batch is applied.
//!
//! - **The index** is a persistent B-tree (`imbl::OrdMap`) whose clone is
//!   O(1): the apply thread writes a batch into its working copy (copying
//!   only the nodes the batch touches if a reader still holds them), then
//!   publishes a clone with the batch's version. A transaction's snapshot
//!   is the published clone it found: one consistent state, however long
//!   it is held, without locks on the read path.
//! - **Nothing runs on the request path but the inserts.** No memtable
//!   flush, no compaction, no journal lock: the LSM engine's flushes held
//!   reads and commits for 150-350 ms every few seconds at 80 % load
//!   (docs/PERFORMANCE.md, "Store maintenance and the tail").
//! - **Snapshots** ([`checkpoint`]): when sealed log segments add up to the
//!   live data's size (at least one segment), a background thread writes
//!   the published index to `memory.snapshot` ([`snapshot_file`]), fsyncs
//!   it, renames it over the previous one and deletes those segments. The
//!   log on disk is thus at most about the live data plus one segment, and
//!   the snapshot work is proportional to what was logged, never to a
//!   request.
//! - **Recovery**: load the snapshot, replay the log over it in order (the
//!   replay argument of `wal`: the snapshot holds every batch of every
//!   deleted segment), write a new snapshot, delete the replayed segments.
//! - **Memory budget** ([`MemoryIndex::refusal`]): the index's estimated
//!   size ([`ENTRY_OVERHEAD`] per entry plus keys and values) is kept
//!   against `store.memory_budget_mib`. At the budget a commit that sets any
//!   key is refused before it is validated (a 503 with `Retry-After` to the
//!   client, as for a full disk); deletes and range clears are still
//!   accepted, so the expiry sweeper frees the memory of expired records and
//!   writes resume by themselves.

pub(crate) mod checkpoint;
pub(crate) mod engine;
pub(crate) mod snapshot_file;

use super::batch::{BatchWrites, WriteSet};
use crate::store::kv::KvError;
use arc_swap::ArcSwap;
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The index: keys and values are shared slices, so that copying a B-tree
/// node for a writer copies pointers, not bytes.
pub(crate) type Map = imbl::OrdMap<Arc<[u8]>, Arc<[u8]>>;

/// Estimated bytes one entry costs beyond its key and value: two slice
/// headers in the node (32), two `Arc` counts (32), the allocator's
/// rounding of two allocations and the node's free slots (about 32).
pub(crate) const ENTRY_OVERHEAD: u64 = 96;

/// Estimated bytes of one entry.
pub(crate) fn entry_bytes(key: &[u8], value: &[u8]) -> u64 {
    key.len() as u64 + value.len() as u64 + ENTRY_OVERHEAD
}

/// The state readers see: the index after every batch up to `version`.
pub(crate) struct Published {
    pub(crate) version: u64,
    pub(crate) map: Map,
}

/// The memory engine's index, its size and its budget.
pub(crate) struct MemoryIndex {
    /// The copy the apply thread writes (recovery before it).
    working: Mutex<Map>,
    /// The latest applied state.
    published: ArcSwap<Published>,
    /// Estimated bytes of the index ([`entry_bytes`] summed).
    live_bytes: AtomicU64,
    /// Bytes the index may reach before writes that add data are refused.
    budget_bytes: u64,
}

impl MemoryIndex {
    /// An index holding `map` (loaded from a snapshot, or empty).
    pub(crate) fn new(map: Map, budget_bytes: u64) -> Self {
        let live_bytes = map.iter().map(|(k, v)| entry_bytes(k, v)).sum();
        metrics::gauge!("fiducia_store_memory_bytes").set(live_bytes as f64);
        Self {
            published: ArcSwap::from_pointee(Published {
                version: 0,
                map: map.clone(),
            }),
            working: Mutex::new(map),
            live_bytes: AtomicU64::new(live_bytes),
            budget_bytes,
        }
    }

    /// The latest applied state, for a transaction's snapshot.
    pub(crate) fn snapshot(&self) -> Arc<Published> {
        self.published.load_full()
    }

    /// Estimated bytes of the index.
    pub(crate) fn live_bytes(&self) -> u64 {
        self.live_bytes.load(Ordering::Relaxed)
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

    /// Applies durable batch `version` and publishes the result.
    pub(crate) fn apply_batch(&self, version: u64, batch: &BatchWrites) {
        let mut working = self.working.lock().unwrap_or_else(|p| p.into_inner());
        let mut delta = 0i64;
        for write_set in &batch.transactions {
            delta += apply_write_set(&mut working, write_set);
        }
        self.publish(version, &working, delta);
    }

    /// Applies one transaction's writes during recovery (not published until
    /// [`MemoryIndex::publish_recovered`]).
    pub(crate) fn replay(&self, write_set: &WriteSet) {
        let mut working = self.working.lock().unwrap_or_else(|p| p.into_inner());
        let delta = apply_write_set(&mut working, write_set);
        self.add_bytes(delta);
    }

    /// Publishes what recovery replayed.
    pub(crate) fn publish_recovered(&self) {
        let working = self.working.lock().unwrap_or_else(|p| p.into_inner());
        self.publish(0, &working, 0);
    }

    fn publish(&self, version: u64, working: &Map, delta: i64) {
        self.published.store(Arc::new(Published {
            version,
            map: working.clone(),
        }));
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
}

/// Applies one transaction's writes as it made them — its cleared ranges
/// against the index as it stands (which holds every transaction before
/// it), then its sets and deletes — and returns the change in
/// [`entry_bytes`].
fn apply_write_set(map: &mut Map, write_set: &WriteSet) -> i64 {
    let mut delta = 0i64;
    for range in &write_set.cleared {
        let bounds: (Bound<&[u8]>, Bound<&[u8]>) = (
            Bound::Included(range.begin.as_slice()),
            Bound::Excluded(range.end.as_slice()),
        );
        let doomed: Vec<Arc<[u8]>> = map
            .range::<_, [u8]>(bounds)
            .map(|(key, _)| key.clone())
            .filter(|key| !write_set.writes.contains_key(&key[..]))
            .collect();
        for key in doomed {
            if let Some(old) = map.remove(&key[..]) {
                delta -= entry_bytes(&key, &old) as i64;
            }
        }
    }
    for (key, value) in &write_set.writes {
        match value {
            Some(value) => {
                let old = map.insert(Arc::from(key.as_slice()), Arc::from(value.as_slice()));
                delta += entry_bytes(key, value) as i64;
                if let Some(old) = old {
                    delta -= entry_bytes(key, &old) as i64;
                }
            }
            None => {
                if let Some(old) = map.remove(key.as_slice()) {
                    delta -= entry_bytes(key, &old) as i64;
                }
            }
        }
    }
    delta
}

/// A read of the published index: the value of `key`.
pub(crate) fn get(published: &Published, key: &[u8]) -> Option<Vec<u8>> {
    published.map.get(key).map(|value| value.to_vec())
}

/// A read of the published index: the pairs in `[begin, end)`, in key order
/// or reversed.
pub(crate) fn range<'a>(
    published: &'a Published,
    begin: &'a [u8],
    end: &'a [u8],
    reverse: bool,
) -> Box<dyn Iterator<Item = Result<(Vec<u8>, Vec<u8>), KvError>> + 'a> {
    let bounds: (Bound<&[u8]>, Bound<&[u8]>) = (Bound::Included(begin), Bound::Excluded(end));
    if begin >= end {
        return Box::new(std::iter::empty());
    }
    let pairs = published.map.range::<_, [u8]>(bounds);
    let owned = |(key, value): (&Arc<[u8]>, &Arc<[u8]>)| Ok((key.to_vec(), value.to_vec()));
    if reverse {
        Box::new(pairs.rev().map(owned))
    } else {
        Box::new(pairs.map(owned))
    }
}

#[cfg(test)]
mod tests;
