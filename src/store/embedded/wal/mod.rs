//! The store's own write-ahead log, so that making a batch durable (this
//! log's fdatasync) and making it visible (fjall's memtable inserts) can run
//! at the same time on two threads.
//!
//! fjall journals and fsyncs a write batch and inserts it into the memtable
//! under one journal lock (`WriteBatch::commit`), and `Database::persist`
//! holds the same lock during its fsync, so with fjall alone the fsync of
//! one group commit and the memtable inserts of the next cannot overlap:
//! the committer spent ~0.3 ms per batch in the fsync and ~12 µs per token
//! in memtable inserts, one after the other. With this log, a batch is
//! first appended here and fdatasynced (the only durability point: nothing
//! is acknowledged or visible before), then written to fjall without an
//! fsync (`durability(None)`); the next batch's fdatasync runs meanwhile.
//!
//! # Format
//!
//! `wal/<segment number, 20 digits>.log`, written front to back. Each record
//! is one batch ([`record`] encodes and decodes them):
//!
//! ```text
//! u32 LE  payload length (> 0)
//! [u8; 8] first 8 bytes of SHA-256(segment number as u64 LE ‖ payload)
//! payload: u32 LE number of transactions, then each transaction's writes:
//!   u32 LE  number of cleared ranges, then each: key(begin) key(end)
//!   u32 LE  number of writes, then each: u8 1 key value (set) | u8 2 key (delete)
//!   key, value: u32 LE length, bytes
//! ```
//!
//! Replaying a batch applies its transactions in order, each as the
//! transaction did: delete the stored keys in its cleared ranges, then set
//! and delete its keys.
//!
//! # Recovery and truncation
//!
//! On open, after fjall recovered its own journal, every segment is replayed
//! in order into fjall, then fjall's journal is fsynced
//! (`Database::persist(SyncAll)`) and the segments are deleted. Replaying
//! is correct however much of the log fjall already holds: fjall's recovered
//! state is the state after some prefix of the batches (its journal is
//! sequential and recovery truncates at the first damaged batch), that
//! prefix includes every batch of every deleted segment (a segment is
//! deleted only after fjall's journal was fsynced behind its last batch),
//! and replaying a suffix of the batches in order over a state that already
//! has some of them leaves every key as the last batch writing it left it —
//! a key a replayed batch rewrites or range-clears is rewritten by the later
//! replayed batches that wrote it afterwards.
//!
//! A segment's records end at the end of the file or at a zero length (the
//! unwritten rest of a preallocated segment). A record that does not check
//! out ends the log if no later segment holds a record (a crash during its
//! write: it was never acknowledged); before a segment that does, it is
//! damage — that segment was completely written and fsynced before the next
//! one took a batch — and the store refuses to open ([`recover`]).
//!
//! While running, a segment is sealed once it passes [`SEGMENT_BYTES`]; the
//! thread applying batches to fjall, after the segment's last batch, fsyncs
//! fjall's journal and deletes the segment.
//!
//! # Preallocated segments
//!
//! An fdatasync that follows an append which grew the file must also write
//! the metadata needed to read the data back: the inode (its size) and the
//! block allocation, and on a journaled filesystem (ext4 by default) a
//! journal commit, which under `data=ordered` first writes out every other
//! file's newly allocated data — fjall's flushed tables. Those extra writes
//! queue behind fjall's flushes and compactions, and that is where the
//! slowest commits waited. So segments after the first are prepared ahead by a
//! spare thread: created as segment n + 1, filled with zeros to their full
//! length and fsynced (file and directory) while segment n takes batches.
//! Appending to such a segment overwrites blocks the file already owns, and
//! its fdatasync writes only those data blocks (and flushes the device
//! cache): no metadata, no journal commit. The first segment of a run is a plain
//! growing file (a store that writes little never pays for 68 MiB of
//! zeros); once it holds [`PREPARE_AFTER_BYTES`] the spare is prepared, and
//! the log moves to it as soon as it is ready.

mod record;
mod recover;
#[cfg(test)]
mod tests;

pub(crate) use recover::{delete_replayed, recover, start_after_recovery};

use super::batch::BatchWrites;
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

/// A segment is sealed once it is this long.
pub(crate) const SEGMENT_BYTES: u64 = 64 * 1024 * 1024;

/// Zeros written into a spare segment: a sealed segment's last batch (a
/// batch ends the segment once it passes [`SEGMENT_BYTES`]) still lands in
/// preallocated space unless it is larger than the slack.
const SPARE_BYTES: u64 = SEGMENT_BYTES + 4 * 1024 * 1024;

/// A plain (growing) segment starts the preparation of a spare once it
/// holds this much.
pub(crate) const PREPARE_AFTER_BYTES: u64 = 1024 * 1024;

/// Name of the log's directory inside the data directory.
pub(crate) const DIR: &str = "wal";

/// Why [`Wal::append`] failed.
#[derive(Debug)]
pub(crate) enum AppendError {
    /// Nothing of the batch is in the log, and the log can go on.
    NotWritten(std::io::Error),
    /// The batch may or may not be readable after a crash: the log must
    /// not take another batch (the store refuses commits until reopened).
    Unknown(std::io::Error),
}

/// The segment being appended to.
pub(crate) struct Wal {
    dir: PathBuf,
    segment: u64,
    file: File,
    len: u64,
    /// Whether `file` was zero-filled and fsynced to its full length before
    /// its first batch (its appends need no journal commit).
    preallocated: bool,
    /// Zero bytes written into a spare (smaller in tests).
    spare_bytes: u64,
    spare: Option<Spare>,
    buffer: Vec<u8>,
}

/// The next segment, being zero-filled by its own thread.
struct Spare {
    segment: u64,
    /// The thread, or why it could not be started.
    thread: std::io::Result<JoinHandle<std::io::Result<File>>>,
}

impl Wal {
    /// Starts segment `segment` in `dir` as a plain file (new, empty, its
    /// directory entry fsynced).
    pub(crate) fn create(dir: &Path, segment: u64) -> std::io::Result<Self> {
        Self::create_with_spare_bytes(dir, segment, SPARE_BYTES)
    }

    pub(crate) fn create_with_spare_bytes(
        dir: &Path,
        segment: u64,
        spare_bytes: u64,
    ) -> std::io::Result<Self> {
        let file = OpenOptions::new()
            .create_new(true)
            .write(true)
            .open(segment_path(dir, segment))?;
        file.sync_all()?;
        File::open(dir)?.sync_all()?;
        Ok(Self {
            dir: dir.to_path_buf(),
            segment,
            file,
            len: 0,
            preallocated: false,
            spare_bytes,
            spare: None,
            buffer: Vec::with_capacity(64 * 1024),
        })
    }

    /// Appends `batch` and fdatasyncs: when this returns `Ok`, the batch
    /// survives a crash or power loss (fdatasync(2) writes the data and the
    /// metadata needed to read it back, the file's length included).
    pub(crate) fn append(&mut self, batch: &BatchWrites) -> Result<(), AppendError> {
        record::frame(self.segment, batch, &mut self.buffer).map_err(AppendError::NotWritten)?;
        if let Err(e) = self.file.write_all(&self.buffer) {
            // A write that failed part way (ENOSPC, EIO) is taken back, so
            // the next batch starts where this one did; failing that, the
            // outcome is unknown.
            return Err(match self.undo_partial_write() {
                Ok(()) => AppendError::NotWritten(e),
                Err(_) => AppendError::Unknown(e),
            });
        }
        // After a failed fdatasync nothing is known of what reached the disk
        // (fsync(2): the kernel may have dropped the dirty pages).
        self.file.sync_data().map_err(AppendError::Unknown)?;
        self.len += self.buffer.len() as u64;
        if self.spare.is_none() && (self.preallocated || self.len >= PREPARE_AFTER_BYTES) {
            self.spare = Some(Spare::start(&self.dir, self.segment + 1, self.spare_bytes));
        }
        Ok(())
    }

    /// Puts the segment back as it was before a failed write: positioned at
    /// the end of its last batch, and a growing segment cut back to that
    /// length (which frees what the write took). In a preallocated segment
    /// the bytes after it are the torn record recovery ignores, followed by
    /// zeros, and the next batch overwrites them.
    fn undo_partial_write(&mut self) -> std::io::Result<()> {
        self.file.seek(SeekFrom::Start(self.len))?;
        if !self.preallocated {
            self.file.set_len(self.len)?;
            self.file.sync_data()?;
        }
        Ok(())
    }

    /// Whether to move on to the next segment: this one is full, or it is a
    /// plain file and a preallocated spare is ready.
    pub(crate) fn should_rotate(&self) -> bool {
        self.len >= SEGMENT_BYTES || (!self.preallocated && self.spare.as_ref().is_some_and(Spare::is_ready))
    }

    /// Seals this segment and continues in the next (the spare, waiting for
    /// it if need be; a plain file if it could not be prepared); returns the
    /// sealed segment's path, to delete once fjall holds its batches durably.
    pub(crate) fn rotate(&mut self) -> std::io::Result<PathBuf> {
        let sealed = segment_path(&self.dir, self.segment);
        let next = match self.spare.take() {
            Some(spare) => match spare.finish() {
                Ok(file) => Self {
                    dir: self.dir.clone(),
                    segment: self.segment + 1,
                    file,
                    len: 0,
                    preallocated: true,
                    spare_bytes: self.spare_bytes,
                    spare: None,
                    buffer: std::mem::take(&mut self.buffer),
                },
                Err(e) => {
                    tracing::warn!(error = %e, "cannot prepare a store log segment; continuing with a growing one");
                    let path = segment_path(&self.dir, self.segment + 1);
                    if path.exists() {
                        std::fs::remove_file(&path)?;
                    }
                    Self::create_with_spare_bytes(&self.dir, self.segment + 1, self.spare_bytes)?
                }
            },
            None => Self::create_with_spare_bytes(&self.dir, self.segment + 1, self.spare_bytes)?,
        };
        *self = next;
        Ok(sealed)
    }
}

impl Drop for Wal {
    /// A spare still being written is waited for, so that a store reopened
    /// in the same directory does not race it for the segment's name.
    fn drop(&mut self) {
        if let Some(spare) = self.spare.take() {
            let _ = spare.finish();
        }
    }
}

impl Spare {
    fn start(dir: &Path, segment: u64, bytes: u64) -> Self {
        let dir = dir.to_path_buf();
        let thread = std::thread::Builder::new()
            .name("store-wal-spare".into())
            .spawn(move || zero_filled_segment(&dir, segment, bytes));
        Self { segment, thread }
    }

    fn is_ready(&self) -> bool {
        self.thread.as_ref().map_or(true, JoinHandle::is_finished)
    }

    fn finish(self) -> std::io::Result<File> {
        let segment = self.segment;
        self.thread?.join().unwrap_or_else(|_| {
            Err(std::io::Error::other(format!(
                "preparing store log segment {segment} panicked"
            )))
        })
    }
}

/// Creates segment `segment` holding `bytes` zeros, fsynced with its
/// directory entry, positioned at its start.
fn zero_filled_segment(dir: &Path, segment: u64, bytes: u64) -> std::io::Result<File> {
    let filled = fill_with_zeros(dir, segment, bytes);
    if filled.is_err() {
        // A half-written spare (the disk filled up) gives its space back at
        // once rather than at the next rotation.
        let _ = std::fs::remove_file(segment_path(dir, segment));
    }
    filled
}

fn fill_with_zeros(dir: &Path, segment: u64, bytes: u64) -> std::io::Result<File> {
    const CHUNK: usize = 1024 * 1024;
    let mut file = OpenOptions::new()
        .create_new(true)
        .write(true)
        .open(segment_path(dir, segment))?;
    let zeros = vec![0u8; CHUNK];
    let mut written = 0u64;
    while written < bytes {
        let n = usize::try_from(bytes - written).map_or(CHUNK, |left| left.min(CHUNK));
        file.write_all(&zeros[..n])?;
        written += n as u64;
        // Written back in steps rather than in one burst at the end, which
        // would queue ahead of the live segment's fdatasyncs.
        if written.is_multiple_of(8 * CHUNK as u64) {
            file.sync_data()?;
        }
    }
    file.sync_all()?;
    File::open(dir)?.sync_all()?;
    file.seek(SeekFrom::Start(0))?;
    Ok(file)
}

fn segment_path(dir: &Path, segment: u64) -> PathBuf {
    dir.join(format!("{segment:020}.log"))
}
