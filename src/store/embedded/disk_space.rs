//! The free space the store keeps on its disk: below `[store]
//! min_free_mib` the sync thread refuses each batch before writing it, so
//! that writes answer 503 (the OP's `temporarily_unavailable`) while reads
//! are served, nothing half-written is left behind, and commits resume by
//! themselves once space returns. Without it the log's write would fail
//! mid-record, or fjall would fail to apply a batch the log already holds
//! (both leave the store refusing every commit until it is reopened).
//! The headroom is what fjall needs to apply what the log took and to
//! flush its memtables.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a reading of the file system's free space is reused: the sync
/// thread asks before every batch, and thousands of batches a second need
/// not cost a statvfs(3) each. A disk that fills faster than this is met by
/// the log's own handling of a failed write (`wal::Wal::append`).
const READING_LIFETIME: Duration = Duration::from_millis(10);

/// The store's disk: how much must stay free, and how much is.
pub(crate) struct DiskSpace {
    dir: PathBuf,
    min_free_bytes: u64,
    /// Free bytes reported instead of the file system's (tests).
    reported: Mutex<Option<u64>>,
    /// The last reading of the file system, and when it was taken.
    last: Mutex<Option<(Instant, u64)>>,
}

impl DiskSpace {
    pub(crate) fn new(dir: &Path, min_free_bytes: u64) -> Self {
        Self {
            dir: dir.to_path_buf(),
            min_free_bytes,
            reported: Mutex::new(None),
            last: Mutex::new(None),
        }
    }

    /// The bytes available to this process in the store's file system
    /// (statvfs(3) `f_bavail` blocks of `f_frsize`); `None` when it cannot
    /// be read (the guard then lets the batch through: the log's own error
    /// handling stays).
    fn available(&self) -> Option<u64> {
        if let Some(bytes) = *self.reported.lock().unwrap_or_else(|p| p.into_inner()) {
            return Some(bytes);
        }
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, bytes)) = *last
            && at.elapsed() < READING_LIFETIME
        {
            return Some(bytes);
        }
        let stats = nix::sys::statvfs::statvfs(&self.dir).ok()?;
        #[allow(clippy::useless_conversion)] // the field types differ by platform
        let (blocks, size) = (
            u64::from(stats.blocks_available()),
            u64::from(stats.fragment_size()),
        );
        let bytes = blocks.saturating_mul(size);
        *last = Some((Instant::now(), bytes));
        Some(bytes)
    }

    /// `Some(reason)` when less than the minimum is free: the batch must
    /// not be written.
    pub(crate) fn too_low(&self) -> Option<String> {
        let available = self.available()?;
        (available < self.min_free_bytes).then(|| {
            format!(
                "the store's disk is full: {} MiB free, [store] min_free_mib is {}; writes resume when space returns",
                available / (1024 * 1024),
                self.min_free_bytes / (1024 * 1024)
            )
        })
    }

    /// Reports `bytes` free instead of the file system's; `None` goes back
    /// to the file system (tests).
    pub(crate) fn report(&self, bytes: Option<u64>) {
        *self.reported.lock().unwrap_or_else(|p| p.into_inner()) = bytes;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_real_file_system_is_read_and_the_minimum_applies() {
        let dir = tempfile::tempdir().unwrap();
        let space = DiskSpace::new(dir.path(), 1);
        assert!(space.available().unwrap() > 0, "statvfs of a temporary directory");
        assert_eq!(space.too_low(), None);
        let everything = DiskSpace::new(dir.path(), u64::MAX);
        assert!(everything.too_low().unwrap().contains("disk is full"));
        space.report(Some(0));
        assert!(space.too_low().is_some());
        space.report(None);
        assert_eq!(space.too_low(), None);
    }
}
