//! The memory engine's snapshot file: the whole index, written front to
//! back, checked whole on load.
//!
//! ```text
//! [u8; 16] "fiducia-memsnap1"
//! entries, in key order, each: u32 LE key length, key, u32 LE value length, value
//! u32 LE   0xFFFF_FFFF (end of entries; no key is that long)
//! u64 LE   number of entries
//! [u8; 32] SHA-256 of everything before it
//! ```
//!
//! It is written to `memory.snapshot.tmp`, fsynced, renamed over
//! `memory.snapshot` and the directory fsynced: after a crash the store
//! holds the old snapshot or the new one, whole. A snapshot that does not
//! check out was damaged on the disk after it was written; the store
//! refuses to open rather than serve part of its data.
//!
//! Its writeback is trickled: every [`WRITEBACK_BYTES`] the written range is
//! handed to the kernel to write out at once (`posix_fadvise(DONTNEED)`
//! starts its writeback and drops the pages once clean), as RocksDB's
//! `bytes_per_sync` does with `sync_file_range`. Left to the page cache, a
//! snapshot of hundreds of megabytes is written back in one burst, often at
//! its closing fsync, and the log's fsyncs (every acknowledged commit) can
//! wait behind it on the same device (docs/PERFORMANCE.md, "Store
//! engines", has the runs with and without it).

use aws_lc_rs::digest;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// The snapshot's name in the store's directory.
pub(crate) const FILE: &str = "memory.snapshot";
const TEMPORARY: &str = "memory.snapshot.tmp";
const MAGIC: &[u8; 16] = b"fiducia-memsnap1";
const END: u32 = u32::MAX;
/// Longest key or value accepted when loading (the store's own limits are
/// far below; this only bounds what a damaged length can make us allocate).
const MAX_ITEM: u32 = 64 * 1024 * 1024;
/// Bytes written between two writeback kicks.
const WRITEBACK_BYTES: u64 = 4 * 1024 * 1024;

/// What writing a snapshot did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Written {
    pub(crate) entries: u64,
    pub(crate) bytes: u64,
}

/// A writer that hashes what it writes and counts it.
struct Hashing<W: Write> {
    inner: W,
    hash: digest::Context,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

pub(crate) use super::Pairs;

/// Writes the snapshot of the store in `dir`, durably, replacing the
/// previous one. `next_chunk` appends the next pairs in key order and says
/// whether more follow (the checkpoint thread reads a chunk under each read
/// lock, and yields its CPU between chunks).
pub(crate) fn write(dir: &Path, next_chunk: impl FnMut(&mut Pairs) -> bool) -> io::Result<Written> {
    let temporary = dir.join(TEMPORARY);
    let written = write_to(&temporary, next_chunk);
    if written.is_err() {
        // A partial file only takes space (a full disk, say).
        let _ = std::fs::remove_file(&temporary);
    }
    let written = written?;
    std::fs::rename(&temporary, dir.join(FILE))?;
    File::open(dir)?.sync_all()?;
    Ok(written)
}

fn write_to(temporary: &Path, mut next_chunk: impl FnMut(&mut Pairs) -> bool) -> io::Result<Written> {
    let file = File::create(temporary)?;
    let mut out = Hashing {
        inner: BufWriter::with_capacity(1 << 20, file),
        hash: digest::Context::new(&digest::SHA256),
        bytes: 0,
    };
    out.write_all(MAGIC)?;
    let mut entries = 0u64;
    let mut chunk = Pairs::new();
    let mut written_back = 0u64;
    loop {
        let more = next_chunk(&mut chunk);
        for (key, value) in chunk.drain(..) {
            write_item(&mut out, &key)?;
            write_item(&mut out, &value)?;
            entries += 1;
        }
        if out.bytes - written_back >= WRITEBACK_BYTES {
            out.inner.flush()?;
            start_writeback(out.inner.get_ref(), written_back, out.bytes);
            written_back = out.bytes;
        }
        if !more {
            break;
        }
    }
    out.write_all(&END.to_le_bytes())?;
    out.write_all(&entries.to_le_bytes())?;
    let Hashing { inner, hash, bytes } = out;
    let mut file = inner.into_inner().map_err(|e| e.into_error())?;
    file.write_all(hash.finish().as_ref())?;
    file.sync_all()?;
    Ok(Written {
        entries,
        bytes: bytes + 32,
    })
}

/// Starts the writeback of `file`'s bytes `from..to` without waiting for
/// it. Advice only: where it is refused the closing fsync writes them.
fn start_writeback(file: &File, from: u64, to: u64) {
    #[cfg(target_os = "linux")]
    {
        use nix::fcntl::{PosixFadviseAdvice, posix_fadvise};
        let (Ok(offset), Ok(len)) = (i64::try_from(from), i64::try_from(to - from)) else {
            return;
        };
        let _ = posix_fadvise(file, offset, len, PosixFadviseAdvice::POSIX_FADV_DONTNEED);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (file, from, to);
}

fn write_item(out: &mut impl Write, item: &[u8]) -> io::Result<()> {
    let len = u32::try_from(item.len())
        .ok()
        .filter(|len| *len != END)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "a key or value over 4 GiB"))?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(item)
}

/// The snapshot's path in `dir`.
pub(crate) fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// Loads the snapshot of the store in `dir`, its pairs in key order: `None`
/// if it has none yet. A leftover temporary file (a crash while writing) is
/// deleted.
pub(crate) fn load(dir: &Path) -> Result<Option<Pairs>, String> {
    let temporary = dir.join(TEMPORARY);
    if temporary.exists() {
        std::fs::remove_file(&temporary)
            .map_err(|e| format!("cannot delete {}: {e}", temporary.display()))?;
    }
    let path = path(dir);
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    read(BufReader::with_capacity(1 << 20, file))
        .map(Some)
        .map_err(|e| format!("the store's snapshot {} is damaged: {e}", path.display()))
}

/// A reader that hashes what it reads.
struct Checked<R: Read> {
    inner: R,
    hash: digest::Context,
}

impl<R: Read> Checked<R> {
    fn exact<const N: usize>(&mut self) -> io::Result<[u8; N]> {
        let mut buf = [0u8; N];
        self.inner.read_exact(&mut buf)?;
        self.hash.update(&buf);
        Ok(buf)
    }

    fn item(&mut self, len: u32) -> io::Result<Box<[u8]>> {
        if len > MAX_ITEM {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "an item longer than possible",
            ));
        }
        let mut buf = vec![0u8; len as usize];
        self.inner.read_exact(&mut buf)?;
        self.hash.update(&buf);
        Ok(buf.into_boxed_slice())
    }
}

fn read(reader: impl Read) -> io::Result<Pairs> {
    let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
    let mut input = Checked {
        inner: reader,
        hash: digest::Context::new(&digest::SHA256),
    };
    if &input.exact::<16>()? != MAGIC {
        return Err(invalid("not a snapshot of this format"));
    }
    let mut pairs = Pairs::new();
    loop {
        let len = u32::from_le_bytes(input.exact::<4>()?);
        if len == END {
            break;
        }
        let key = input.item(len)?;
        let value_len = u32::from_le_bytes(input.exact::<4>()?);
        let value = input.item(value_len)?;
        if pairs.last().is_some_and(|(previous, _)| *previous >= key) {
            return Err(invalid("keys out of order"));
        }
        pairs.push((key, value));
    }
    let count = u64::from_le_bytes(input.exact::<8>()?);
    let Checked { mut inner, hash } = input;
    let mut stored = [0u8; 32];
    inner.read_exact(&mut stored)?;
    if hash.finish().as_ref() != stored {
        return Err(invalid("checksum mismatch"));
    }
    if count != pairs.len() as u64 {
        return Err(invalid("entry count mismatch"));
    }
    let mut rest = [0u8; 1];
    if inner.read(&mut rest)? != 0 {
        return Err(invalid("bytes after the end"));
    }
    Ok(pairs)
}
