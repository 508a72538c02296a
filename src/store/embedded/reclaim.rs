//! Lets fjall give back a flushed memtable's memory a cycle sooner.
//!
//! fjall 3.1 keeps each version of a keyspace (its memtables and tables) in
//! a history, pruned after a flush and at each memtable rotation, but only
//! up to its snapshot watermark, which moves at a rotation (or every 10,000
//! closed snapshots). So after a flush the version that still holds the
//! flushed memtable stays, and with it the memtable, until the next
//! rotation, when the next memtable is full: the OP holds two memtables'
//! worth of memory instead of one (docs/PERFORMANCE.md, "A flushed
//! memtable stays resident for a cycle").
//!
//! Rotating any keyspace's memtable moves the watermark and prunes every
//! keyspace's history. So when the apply thread has just fsynced fjall's
//! journal (behind each sealed segment of the store's log) and the store's
//! keyspace got a new table since the last time (a flush or a compaction),
//! it writes one key into a keyspace of its own (fjall rotates no empty
//! memtable) and rotates that one. It holds nothing else: its flush is a few bytes, and
//! with the journal just synced, the journal fsync that fjall does under
//! its journal lock before every flush has next to nothing to write (done
//! at another moment, that fsync held the store's writes and reads for
//! milliseconds each time: docs/PERFORMANCE.md).

/// Name of the keyspace rotated to prune fjall's version history.
pub(crate) const KEYSPACE: &str = "reclaim";

/// The one key written there before each rotation; its value, this run's
/// rotation count, is never read.
pub(crate) const ROTATIONS_KEY: &[u8] = b"rotations";

/// Prunes behind the store keyspace's new tables.
pub(crate) struct Reclaimer {
    keyspace: fjall::Keyspace,
    /// The store keyspace's (tables, sealed memtables) at the last prune.
    pruned_at: (usize, usize),
    /// Rotations since start-up.
    rotations: u64,
}

impl Reclaimer {
    pub(crate) fn new(keyspace: fjall::Keyspace) -> Self {
        Self {
            keyspace,
            pruned_at: (0, 0),
            rotations: 0,
        }
    }

    /// Called by the apply thread right after it fsynced fjall's journal:
    /// prunes if `store` flushed or compacted since the last prune (its
    /// tables or sealed memtables are not what they were then).
    pub(crate) fn after_journal_sync(&mut self, store: &fjall::Keyspace) {
        let now = (store.table_count(), store.sealed_memtable_count());
        if now == self.pruned_at {
            return;
        }
        self.pruned_at = now;
        self.rotations += 1;
        let rotated = self
            .keyspace
            .insert(ROTATIONS_KEY, self.rotations.to_be_bytes())
            .and_then(|()| self.keyspace.rotate_memtable());
        if let Err(e) = rotated {
            // Only memory is at stake: fjall prunes at its next rotation.
            tracing::warn!(error = %e, "cannot rotate the store's reclaim keyspace");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// fjall's version files (`v<id>`) in a keyspace's folder: one per
    /// version still in its history.
    fn versions(keyspace: &fjall::Keyspace) -> usize {
        std::fs::read_dir(keyspace.path())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.len() > 1 && name.starts_with('v') && name[1..].bytes().all(|b| b.is_ascii_digit())
            })
            .count()
    }

    /// Whether `condition` holds within 10 s (polled every 10 ms).
    fn eventually(condition: impl Fn() -> bool) -> bool {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !condition() {
            if std::time::Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        true
    }

    #[test]
    fn a_new_table_is_followed_by_one_rotation_that_prunes_the_versions_behind_it() {
        let dir = tempfile::tempdir().unwrap();
        let db = fjall::Database::builder(dir.path()).open().unwrap();
        let store = db.keyspace("kv", fjall::KeyspaceCreateOptions::default).unwrap();
        let reclaim = db
            .keyspace(KEYSPACE, fjall::KeyspaceCreateOptions::default)
            .unwrap();
        let mut reclaimer = Reclaimer::new(reclaim);

        reclaimer.after_journal_sync(&store);
        assert_eq!(reclaimer.rotations, 0, "nothing flushed yet");

        // Two flushes, each leaving the version that held its memtable.
        for round in 0u8..2 {
            store.insert([round], [round; 64]).unwrap();
            store.rotate_memtable_and_wait().unwrap();
        }
        // fjall writes a flush's version file on its own threads: on a busy
        // machine the second may land after the wait returns.
        assert!(
            eventually(|| versions(&store) >= 3),
            "{} version files",
            versions(&store)
        );
        // Settled: a third version file fjall writes late on a busy machine
        // (a test run beside a full suite saw one) is counted too.
        let mut before = versions(&store);
        for _ in 0..50 {
            std::thread::sleep(std::time::Duration::from_millis(100));
            let now = versions(&store);
            if now == before {
                break;
            }
            before = now;
        }
        // fjall keeps them: its watermark has not moved since the flushes.
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(versions(&store), before);

        reclaimer.after_journal_sync(&store);
        assert_eq!(reclaimer.rotations, 1);
        assert!(
            eventually(|| versions(&store) < before),
            "{} of {before} left",
            versions(&store)
        );
        reclaimer.after_journal_sync(&store);
        assert_eq!(reclaimer.rotations, 1, "no new table, no rotation");
        assert_eq!(store.get([1u8]).unwrap().as_deref(), Some(&[1u8; 64][..]));
    }
}
