//! Reading the trail for people and SIEMs: the records written at or after
//! a time, across chains, oldest first, each with its canonical bytes (what
//! `fiducia audit export` writes, one per line, and what the next record of
//! its chain hashes). The Config API's `GET /audit` pages with [`page`].

use super::pages;
use super::record::AuditRecord;
use crate::store::keys::{self, AUDIT_CHAINS};
use crate::store::kv::{KvError, Store};

/// A record as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    /// The parsed record.
    pub record: AuditRecord,
    /// Its canonical bytes (JSON).
    pub bytes: Vec<u8>,
}

/// The records with `time >= since` (Unix seconds), ordered by time, then
/// chain, then sequence; at most `limit` of them (`0`: all). A record that
/// cannot be parsed is an error here: `fiducia audit verify` names it.
pub async fn since(store: &Store, since: u64, limit: usize) -> Result<Vec<StoredRecord>, KvError> {
    let mut out = Vec::new();
    for chain in 0..AUDIT_CHAINS {
        let range = keys::subspace_range(&keys::audit_chain_subspace(chain));
        pages::for_each_page(store, range, |page| {
            for (_, bytes) in page {
                let record: AuditRecord = serde_json::from_slice(&bytes).map_err(|e| {
                    KvError::Corrupt(format!(
                        "audit record in chain {chain}: {e} (run `fiducia audit verify`)"
                    ))
                })?;
                if record.time >= since {
                    out.push(StoredRecord { record, bytes });
                }
            }
            Ok(())
        })
        .await?;
    }
    out.sort_by_key(|r| (r.record.time, r.record.chain, r.record.seq));
    if limit > 0 {
        out.truncate(limit);
    }
    Ok(out)
}

/// A record's place in the reading order: time, then chain, then sequence.
/// The Config API's `GET /audit` cursor is the last one a page held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    /// `time`.
    pub time: u64,
    /// `chain`.
    pub chain: u16,
    /// `seq`.
    pub seq: u64,
}

impl Position {
    /// The position of `record`.
    pub fn of(record: &AuditRecord) -> Self {
        Self {
            time: record.time,
            chain: record.chain,
            seq: record.seq,
        }
    }
}

/// At most `limit` (at least 1) records with `time >= since` after
/// `after`, in the order of [`since`]. Memory is bounded by `limit`: the
/// walk keeps only the first `limit` it has met.
pub async fn page(
    store: &Store,
    since: u64,
    after: Option<Position>,
    limit: usize,
) -> Result<Vec<StoredRecord>, KvError> {
    let limit = limit.max(1);
    // A max-heap by position: its top is the latest kept, dropped first.
    let mut kept: std::collections::BinaryHeap<Kept> = std::collections::BinaryHeap::new();
    for chain in 0..AUDIT_CHAINS {
        let range = keys::subspace_range(&keys::audit_chain_subspace(chain));
        pages::for_each_page(store, range, |page| {
            for (_, bytes) in page {
                let record: AuditRecord = serde_json::from_slice(&bytes).map_err(|e| {
                    KvError::Corrupt(format!(
                        "audit record in chain {chain}: {e} (run `fiducia audit verify`)"
                    ))
                })?;
                let position = Position::of(&record);
                if record.time < since || after.is_some_and(|a| position <= a) {
                    continue;
                }
                if kept.len() == limit && kept.peek().is_some_and(|top| top.0 < position) {
                    continue;
                }
                kept.push(Kept(position, StoredRecord { record, bytes }));
                if kept.len() > limit {
                    kept.pop();
                }
            }
            Ok(())
        })
        .await?;
    }
    Ok(kept.into_sorted_vec().into_iter().map(|k| k.1).collect())
}

/// A record kept by [`page`], ordered by its position only.
struct Kept(Position, StoredRecord);

impl PartialEq for Kept {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for Kept {}

impl PartialOrd for Kept {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Kept {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}
