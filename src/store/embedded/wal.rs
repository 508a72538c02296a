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
//! `wal/<segment number, 20 digits>.log`, appended only. Each record is one
//! batch:
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
//! A record that does not check out ends the log if it is in the last
//! segment (a crash during its write: it was never acknowledged); in an
//! earlier segment, which was completely written and fsynced before the next
//! one began, it is damage, and the store refuses to open.
//!
//! While running, a segment is sealed once it passes
//! [`SEGMENT_BYTES`]; the thread applying batches to fjall, after the
//! segment's last batch, fsyncs fjall's journal and deletes the segment.

use super::transaction::WriteSet;
use super::writer::BatchWrites;
use crate::store::kv::{KeyRange, KvError};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// A segment is sealed once it is this long.
pub(crate) const SEGMENT_BYTES: u64 = 64 * 1024 * 1024;

/// Name of the log's directory inside the data directory.
pub(crate) const DIR: &str = "wal";

const HEADER_BYTES: usize = 12;
const SET: u8 = 1;
const DELETE: u8 = 2;

/// The segment being appended to.
pub(crate) struct Wal {
    dir: PathBuf,
    segment: u64,
    file: File,
    len: u64,
    buffer: Vec<u8>,
}

impl Wal {
    /// Starts segment `segment` in `dir` (a new, empty file, its directory
    /// entry fsynced).
    pub(crate) fn create(dir: &Path, segment: u64) -> std::io::Result<Self> {
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(segment_path(dir, segment))?;
        file.sync_all()?;
        File::open(dir)?.sync_all()?;
        Ok(Self {
            dir: dir.to_path_buf(),
            segment,
            file,
            len: 0,
            buffer: Vec::with_capacity(64 * 1024),
        })
    }

    /// Appends `batch` and fdatasyncs: when this returns `Ok`, the batch
    /// survives a crash or power loss (fdatasync(2) writes the data and the
    /// metadata needed to read it back, the file's length included).
    pub(crate) fn append(&mut self, batch: &BatchWrites) -> std::io::Result<()> {
        self.buffer.clear();
        self.buffer.extend_from_slice(&[0; HEADER_BYTES]);
        encode(batch, &mut self.buffer);
        let payload_len = self.buffer.len() - HEADER_BYTES;
        let length = u32::try_from(payload_len)
            .map_err(|_| std::io::Error::other(format!("a batch of {payload_len} bytes is too large")))?;
        let sum = checksum(self.segment, &self.buffer[HEADER_BYTES..]);
        self.buffer[..4].copy_from_slice(&length.to_le_bytes());
        self.buffer[4..HEADER_BYTES].copy_from_slice(&sum);
        self.file.write_all(&self.buffer)?;
        self.file.sync_data()?;
        self.len += self.buffer.len() as u64;
        Ok(())
    }

    /// Whether the segment is long enough to be sealed.
    pub(crate) fn is_full(&self) -> bool {
        self.len >= SEGMENT_BYTES
    }

    /// Seals this segment and starts the next; returns the sealed segment's
    /// path, to delete once fjall holds its batches durably.
    pub(crate) fn rotate(&mut self) -> std::io::Result<PathBuf> {
        let next = Self::create(&self.dir, self.segment + 1)?;
        let sealed = segment_path(&self.dir, self.segment);
        *self = next;
        Ok(sealed)
    }
}

fn segment_path(dir: &Path, segment: u64) -> PathBuf {
    dir.join(format!("{segment:020}.log"))
}

fn checksum(segment: u64, payload: &[u8]) -> [u8; 8] {
    let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    context.update(&segment.to_le_bytes());
    context.update(payload);
    let digest = context.finish();
    let mut out = [0u8; 8];
    out.copy_from_slice(&digest.as_ref()[..8]);
    out
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    // Keys and values are far below 4 GiB (kv.rs limits: 10 kB, 100 kB).
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

fn encode(batch: &BatchWrites, out: &mut Vec<u8>) {
    out.extend_from_slice(&(batch.transactions.len() as u32).to_le_bytes());
    for write_set in &batch.transactions {
        out.extend_from_slice(&(write_set.cleared.len() as u32).to_le_bytes());
        for range in &write_set.cleared {
            put_bytes(out, &range.begin);
            put_bytes(out, &range.end);
        }
        out.extend_from_slice(&(write_set.writes.len() as u32).to_le_bytes());
        for (key, value) in &write_set.writes {
            match value {
                Some(value) => {
                    out.push(SET);
                    put_bytes(out, key);
                    put_bytes(out, value);
                }
                None => {
                    out.push(DELETE);
                    put_bytes(out, key);
                }
            }
        }
    }
}

/// Reads a payload back; `None` if it is not one [`encode`] wrote.
fn decode(mut payload: &[u8]) -> Option<BatchWrites> {
    fn take<'a>(input: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        if input.len() < n {
            return None;
        }
        let (head, tail) = input.split_at(n);
        *input = tail;
        Some(head)
    }
    fn count(input: &mut &[u8]) -> Option<usize> {
        let bytes: [u8; 4] = take(input, 4)?.try_into().ok()?;
        Some(u32::from_le_bytes(bytes) as usize)
    }
    fn bytes(input: &mut &[u8]) -> Option<Vec<u8>> {
        let n = count(input)?;
        Some(take(input, n)?.to_vec())
    }
    let input = &mut payload;
    let mut transactions = Vec::new();
    for _ in 0..count(input)? {
        let mut write_set = WriteSet::default();
        for _ in 0..count(input)? {
            let begin = bytes(input)?;
            let end = bytes(input)?;
            write_set.cleared.push(KeyRange::new(begin, end));
        }
        for _ in 0..count(input)? {
            let tag = take(input, 1)?[0];
            let key = bytes(input)?;
            let value = match tag {
                SET => Some(bytes(input)?),
                DELETE => None,
                _ => return None,
            };
            write_set.writes.insert(key, value);
        }
        transactions.push(write_set);
    }
    input.is_empty().then(|| BatchWrites::of(transactions))
}

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

/// The batches of one segment, in order; `complete` is false when the
/// segment ends in a record that does not check out.
struct SegmentBatches {
    batches: Vec<BatchWrites>,
    complete: bool,
}

fn read_segment(number: u64, path: &Path) -> Result<SegmentBatches, KvError> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| KvError::Backend(format!("cannot read {}: {e}", path.display())))?;
    let mut batches = Vec::new();
    let mut rest = bytes.as_slice();
    while !rest.is_empty() {
        let record = (rest.len() >= HEADER_BYTES)
            .then(|| {
                let mut length = [0u8; 4];
                length.copy_from_slice(&rest[..4]);
                let length = u32::from_le_bytes(length) as usize;
                let payload = rest.get(HEADER_BYTES..HEADER_BYTES + length)?;
                let valid = length > 0 && checksum(number, payload) == rest[4..HEADER_BYTES];
                valid.then(|| decode(payload).map(|batch| (batch, HEADER_BYTES + length)))?
            })
            .flatten();
        match record {
            Some((batch, used)) => {
                batches.push(batch);
                rest = &rest[used..];
            }
            None => {
                return Ok(SegmentBatches {
                    batches,
                    complete: false,
                });
            }
        }
    }
    Ok(SegmentBatches {
        batches,
        complete: true,
    })
}

/// Replays every segment in `dir` (created if missing) in order through
/// `apply`, and returns the segments replayed (to delete once fjall holds
/// them durably) and the number for the next segment.
pub(crate) fn recover(
    dir: &Path,
    mut apply: impl FnMut(&BatchWrites) -> Result<(), KvError>,
) -> Result<(Vec<PathBuf>, u64), KvError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| KvError::Backend(format!("cannot create {}: {e}", dir.display())))?;
    let found = segments(dir)?;
    let last = found.len().saturating_sub(1);
    let mut next = 1;
    let mut replayed = Vec::new();
    for (i, (number, path)) in found.into_iter().enumerate() {
        let segment = read_segment(number, &path)?;
        if !segment.complete && i != last {
            return Err(KvError::Corrupt(format!(
                "{} is damaged before its end, and later segments exist: refusing to open the store",
                path.display()
            )));
        }
        if !segment.complete {
            tracing::warn!(path = %path.display(), "store log ends in an incomplete record (a crash during its write); it was never acknowledged");
        }
        for batch in &segment.batches {
            apply(batch)?;
        }
        replayed.push(path);
        next = number + 1;
    }
    Ok((replayed, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(n: u8) -> BatchWrites {
        let mut first = WriteSet::default();
        first.writes.insert(vec![b'k', n], Some(vec![n; 300]));
        first.writes.insert(vec![b'd', n], None);
        let mut second = WriteSet::default();
        if n.is_multiple_of(2) {
            second
                .cleared
                .push(KeyRange::new(vec![b'r', n], vec![b'r', n + 1]));
        }
        second.writes.insert(vec![b'k', n], Some(vec![n + 1; 10]));
        BatchWrites::of(vec![first, second])
    }

    fn same(a: &BatchWrites, b: &BatchWrites) -> bool {
        a.transactions.len() == b.transactions.len()
            && a.transactions
                .iter()
                .zip(&b.transactions)
                .all(|(x, y)| x.writes == y.writes && x.cleared == y.cleared)
    }

    fn replay(dir: &Path) -> Result<(Vec<BatchWrites>, u64), KvError> {
        let mut seen = Vec::new();
        let (_, next) = recover(dir, |b| {
            seen.push(BatchWrites::of(
                b.transactions
                    .iter()
                    .map(|t| WriteSet {
                        writes: t.writes.clone(),
                        cleared: t.cleared.clone(),
                    })
                    .collect(),
            ));
            Ok(())
        })?;
        Ok((seen, next))
    }

    #[test]
    fn batches_come_back_in_order_across_segments() {
        let dir = tempfile::tempdir().unwrap();
        let mut wal = Wal::create(dir.path(), 1).unwrap();
        wal.append(&batch(0)).unwrap();
        wal.append(&batch(1)).unwrap();
        let sealed = wal.rotate().unwrap();
        assert!(sealed.ends_with("00000000000000000001.log"));
        wal.append(&batch(2)).unwrap();
        let (seen, next) = replay(dir.path()).unwrap();
        assert_eq!(seen.len(), 3);
        for (i, b) in seen.iter().enumerate() {
            assert!(same(b, &batch(i as u8)), "batch {i}");
        }
        assert_eq!(next, 3);
    }

    #[test]
    fn a_torn_last_record_ends_the_log_but_damage_before_the_end_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut wal = Wal::create(dir.path(), 7).unwrap();
        wal.append(&batch(0)).unwrap();
        wal.append(&batch(1)).unwrap();
        let path = segment_path(dir.path(), 7);
        let full = std::fs::metadata(&path).unwrap().len();
        // A crash in the middle of the second record's write.
        OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(full - 5)
            .unwrap();
        let (seen, _) = replay(dir.path()).unwrap();
        assert_eq!(seen.len(), 1);
        // Zeros where the tail should be (a preallocated block) end it too.
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(&[0; 64]).unwrap();
        assert_eq!(replay(dir.path()).unwrap().0.len(), 1);

        // The same damage in a segment that has a successor is refused.
        let mut later = Wal::create(dir.path(), 8).unwrap();
        later.append(&batch(2)).unwrap();
        let err = replay(dir.path()).err().unwrap();
        assert!(err.to_string().contains("damaged before its end"), "{err}");
    }

    #[test]
    fn a_record_from_another_segment_does_not_check_out() {
        let dir = tempfile::tempdir().unwrap();
        let mut wal = Wal::create(dir.path(), 1).unwrap();
        wal.append(&batch(0)).unwrap();
        // The same bytes under another segment number: the checksum covers
        // the number, so a record copied or left over is not replayed.
        std::fs::rename(segment_path(dir.path(), 1), segment_path(dir.path(), 2)).unwrap();
        assert_eq!(replay(dir.path()).unwrap().0.len(), 0);
    }

    #[test]
    fn stray_files_in_the_log_directory_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
        assert!(replay(dir.path()).is_err());
    }
}
