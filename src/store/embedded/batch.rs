//! What a transaction hands to group commit and what a batch is: the
//! write set a transaction buffered, the reads it must be validated on, and
//! a batch of write sets in commit order, which the log (`wal`) stores and
//! the pipeline (`writer`) validates against and applies.

use crate::store::kv::KeyRange;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

/// Buffered writes: the final state of each key (`None`: deleted), plus the
/// ranges cleared. A `set` after a `clear_range` wins over it; a
/// `clear_range` removes earlier `set`s inside it. So the effect at commit is:
/// clear the ranges, then apply `writes`.
#[derive(Default)]
pub(crate) struct WriteSet {
    pub(crate) writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    pub(crate) cleared: Vec<KeyRange>,
}

impl WriteSet {
    pub(crate) fn is_empty(&self) -> bool {
        self.writes.is_empty() && self.cleared.is_empty()
    }

    pub(crate) fn is_cleared(&self, key: &[u8]) -> bool {
        self.cleared.iter().any(|r| r.contains(key))
    }
}

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

/// What one batch writes: its transactions' write sets in commit order,
/// and for conflict checks every key they set or clear and every range they
/// clear.
#[derive(Default)]
pub(crate) struct BatchWrites {
    written: BTreeSet<Vec<u8>>,
    cleared: Vec<KeyRange>,
    pub(crate) transactions: Vec<WriteSet>,
}

impl BatchWrites {
    /// The batch of `transactions`, in this order.
    pub(crate) fn of(transactions: Vec<WriteSet>) -> Self {
        let mut batch = Self::default();
        for write_set in transactions {
            batch.push(write_set);
        }
        batch
    }

    /// Whether this batch wrote what `read` covers.
    pub(crate) fn touches(&self, read: &ReadConflict) -> bool {
        match read {
            ReadConflict::Key(key) => {
                self.written.contains(key) || self.cleared.iter().any(|r| r.contains(key))
            }
            ReadConflict::Range(range) => {
                self.written
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

    /// Adds one transaction after those already here.
    pub(crate) fn push(&mut self, write_set: WriteSet) {
        self.written.extend(write_set.writes.keys().cloned());
        self.cleared.extend(write_set.cleared.iter().cloned());
        self.transactions.push(write_set);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_clear_conflicts_with_every_overlapping_read_as_in_foundationdb() {
        let writes = BatchWrites::of(vec![
            WriteSet {
                writes: [(b"m".to_vec(), Some(b"1".to_vec()))].into_iter().collect(),
                cleared: Vec::new(),
            },
            WriteSet {
                writes: Default::default(),
                cleared: vec![KeyRange::new(b"k".to_vec(), b"p".to_vec())],
            },
        ]);
        let key = |k: &[u8]| ReadConflict::Key(k.to_vec());
        let range = |a: &[u8], b: &[u8]| ReadConflict::Range(KeyRange::new(a.to_vec(), b.to_vec()));
        assert!(writes.touches(&key(b"k")) && writes.touches(&key(b"o")));
        assert!(!writes.touches(&key(b"p")) && !writes.touches(&key(b"j")));
        assert!(writes.touches(&range(b"a", b"l")) && writes.touches(&range(b"o\xff", b"z")));
        assert!(!writes.touches(&range(b"a", b"k")) && !writes.touches(&range(b"p", b"z")));
    }
}
