//! A transaction's buffered writes and how reads see them
//! (read-your-writes): sets and clears by key, and cleared ranges. A set
//! after a range clear replaces the clear for its key, so at commit the
//! ranges are deleted first, then the keys, then the sets are upserted.

use crate::store::kv::{KeyRange, KeyValue, RangeOptions};
use std::collections::BTreeMap;
use std::ops::Bound;

/// Keys and their values, side by side (the upsert's two arrays).
pub(super) type Sets = (Vec<Vec<u8>>, Vec<Vec<u8>>);

#[derive(Default)]
pub(super) struct Writes {
    /// Key → its new value, or `None` for a clear.
    pub(super) keys: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// Ranges cleared before any later set of a key inside them.
    pub(super) cleared: Vec<KeyRange>,
}

impl Writes {
    pub(super) fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.cleared.is_empty()
    }

    /// The keys and values when every write is a set (no clear, no
    /// range): a blind write the batcher may group; else the writes back.
    pub(super) fn only_sets(self) -> Result<Sets, Self> {
        if !self.cleared.is_empty() || self.keys.values().any(Option::is_none) {
            return Err(self);
        }
        Ok(self
            .keys
            .into_iter()
            .filter_map(|(key, value)| value.map(|value| (key, value)))
            .unzip())
    }

    pub(super) fn set(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) {
        self.keys.insert(key, value);
    }

    pub(super) fn clear_range(&mut self, range: &KeyRange) {
        self.keys.retain(|key, _| !range.contains(key));
        self.cleared.push(range.clone());
    }

    /// This transaction's own value for `key`, if it wrote or cleared it.
    pub(super) fn own(&self, key: &[u8]) -> Option<Option<Vec<u8>>> {
        match self.keys.get(key) {
            Some(own) => Some(own.clone()),
            None if self.cleared.iter().any(|r| r.contains(key)) => Some(None),
            None => None,
        }
    }

    /// Whether a read of `range` must be merged with own writes.
    pub(super) fn touches(&self, range: &KeyRange) -> bool {
        self.keys.range::<Vec<u8>, _>(bounds(range)).next().is_some()
            || self
                .cleared
                .iter()
                .any(|c| c.begin < range.end && range.begin < c.end)
    }

    /// `stored` (the whole of `range` as the server has it) with own writes
    /// applied, in the order and up to the limit `options` ask for.
    pub(super) fn overlay(
        &self,
        range: &KeyRange,
        stored: Vec<KeyValue>,
        options: RangeOptions,
    ) -> Vec<KeyValue> {
        let mut merged: BTreeMap<Vec<u8>, Vec<u8>> = stored
            .into_iter()
            .filter(|(key, _)| !self.cleared.iter().any(|c| c.contains(key)))
            .collect();
        for (key, value) in self.keys.range::<Vec<u8>, _>(bounds(range)) {
            match value {
                Some(value) => merged.insert(key.clone(), value.clone()),
                None => merged.remove(key),
            };
        }
        let limit = if options.limit == 0 {
            usize::MAX
        } else {
            options.limit
        };
        if options.reverse {
            merged.into_iter().rev().take(limit).collect()
        } else {
            merged.into_iter().take(limit).collect()
        }
    }
}

fn bounds(range: &KeyRange) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    (
        Bound::Included(range.begin.clone()),
        Bound::Excluded(range.end.clone()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_sets_win_over_earlier_range_clears_and_reads_merge_in_order() {
        let mut w = Writes::default();
        w.set(b"a/1".to_vec(), Some(b"x".to_vec()));
        w.clear_range(&KeyRange::starting_with(b"a/"));
        w.set(b"a/2".to_vec(), Some(b"new".to_vec()));
        w.set(b"b".to_vec(), None);
        assert_eq!(w.own(b"a/1"), Some(None));
        assert_eq!(w.own(b"a/2"), Some(Some(b"new".to_vec())));
        assert_eq!(w.own(b"c"), None);
        let all = KeyRange::new(b"a".to_vec(), b"c".to_vec());
        assert!(w.touches(&all) && !w.touches(&KeyRange::starting_with(b"z")));
        let stored = vec![
            (b"a/0".to_vec(), b"old".to_vec()),
            (b"a/3".to_vec(), b"old".to_vec()),
            (b"b".to_vec(), b"old".to_vec()),
            (b"b0".to_vec(), b"kept".to_vec()),
        ];
        let read = w.overlay(&all, stored.clone(), RangeOptions::default());
        assert_eq!(
            read,
            vec![
                (b"a/2".to_vec(), b"new".to_vec()),
                (b"b0".to_vec(), b"kept".to_vec())
            ]
        );
        let last = w.overlay(
            &all,
            stored,
            RangeOptions {
                limit: 1,
                reverse: true,
            },
        );
        assert_eq!(last, vec![(b"b0".to_vec(), b"kept".to_vec())]);
    }
}
