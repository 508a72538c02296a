//! Replaying the log when the store opens.

use super::super::batch::BatchWrites;
use super::record::{self, End};
use crate::store::kv::KvError;
use std::path::{Path, PathBuf};

/// The segments in `dir`, oldest first.
fn segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>, KvError> {
    let io = |e: std::io::Error| KvError::Backend(format!("cannot read {}: {e}", dir.display()));
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let number = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".log"))
            .and_then(|n| n.parse::<u64>().ok());
        match number {
            Some(number) => found.push((number, path)),
            None => {
                return Err(KvError::Backend(format!(
                    "unexpected file {} in the store's log directory",
                    path.display()
                )));
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Replays every segment in `dir` (created if missing) in order through
/// `apply`, and returns the segments found (replayed, or empty spares: all
/// to delete once fjall holds the batches durably) and the number for the
/// next segment.
///
/// A segment whose records end in one that does not check out is refused
/// as damaged if a later segment holds a batch; otherwise that record was
/// being written when the process stopped and was never acknowledged. Later
/// segments without a batch are spares prepared ahead (zeros), possibly
/// unfinished.
pub(crate) fn recover(
    dir: &Path,
    mut apply: impl FnMut(&BatchWrites) -> Result<(), KvError>,
) -> Result<(Vec<PathBuf>, u64), KvError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| KvError::Backend(format!("cannot create {}: {e}", dir.display())))?;
    let mut read = Vec::new();
    for (number, path) in segments(dir)? {
        let bytes = std::fs::read(&path)
            .map_err(|e| KvError::Backend(format!("cannot read {}: {e}", path.display())))?;
        read.push((number, path, record::read_records(number, &bytes)));
    }
    let last_with_batches = read.iter().rposition(|(_, _, s)| !s.batches.is_empty());
    let mut next = 1;
    let mut found = Vec::new();
    for (i, (number, path, segment)) in read.into_iter().enumerate() {
        if segment.end == End::Torn {
            if last_with_batches.is_some_and(|last| i < last) {
                return Err(KvError::Corrupt(format!(
                    "{} is damaged before its end, and later segments hold batches: refusing to open the store",
                    path.display()
                )));
            }
            tracing::warn!(path = %path.display(), "store log ends in an incomplete record (a crash during its write); it was never acknowledged");
        }
        for batch in &segment.batches {
            apply(batch)?;
        }
        found.push(path);
        next = number + 1;
    }
    Ok((found, next))
}

/// Deletes log segments whose batches the engine now holds durably.
pub(crate) fn delete_replayed(replayed: &[PathBuf]) -> Result<(), KvError> {
    for path in replayed {
        std::fs::remove_file(path)
            .map_err(|e| KvError::Backend(format!("cannot delete {}: {e}", path.display())))?;
    }
    Ok(())
}

/// Starts the log's next segment after recovery.
pub(crate) fn start_after_recovery(log_dir: &Path, next: u64) -> Result<super::Wal, KvError> {
    super::Wal::create(log_dir, next).map_err(|e| {
        KvError::Backend(format!(
            "cannot start a store log segment in {}: {e}",
            log_dir.display()
        ))
    })
}
