//! The memory engine's checkpoint thread: turns sealed log segments into a
//! snapshot, off the request path.
//!
//! The apply thread hands over each sealed segment once every batch in it
//! is applied. When the segments waiting add up to at least the index's
//! estimated size (and at least one segment), the thread writes the index
//! as the new snapshot ([`snapshot_file::write`]) and then deletes them:
//! the snapshot holds every batch they hold. So the log on
//! disk stays about the size of the live data plus one segment, and
//! snapshot work is at most about the bytes logged (each byte of log pays
//! for at most one byte of snapshot).
//!
//! The thread runs under `SCHED_BATCH` (sched(7)), like the log's sync
//! thread: it takes its fair share of a busy CPU, never preempting the
//! threads serving requests when it wakes, and yields every few thousand
//! entries. A snapshot that cannot be written (a full disk) keeps the
//! segments; the next seal tries again.

use super::{MemoryIndex, snapshot_file};
use crate::store::embedded::wal::SEGMENT_BYTES;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Instant;

/// The checkpoint thread of one store.
pub(crate) struct Checkpointer {
    sealed: Mutex<Option<mpsc::Sender<PathBuf>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Checkpointer {
    /// Starts the thread writing snapshots of `index` into `dir`, with
    /// `waiting` (segments replayed at open) already behind it.
    pub(crate) fn spawn(
        dir: PathBuf,
        index: Arc<MemoryIndex>,
        waiting: Vec<PathBuf>,
    ) -> std::io::Result<Self> {
        let (sealed, segments) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("store-checkpoint".into())
            .spawn(move || {
                #[cfg(target_os = "linux")]
                if scheduler::set_self_policy(scheduler::Policy::Batch, 0).is_err() {
                    tracing::warn!("the store's checkpoint thread could not switch to SCHED_BATCH");
                }
                checkpoint_loop(&dir, &index, &segments, waiting);
            })?;
        Ok(Self {
            sealed: Mutex::new(Some(sealed)),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// A log segment is sealed and every batch in it is applied.
    pub(crate) fn segment_sealed(&self, path: PathBuf) {
        if let Some(sealed) = self.sealed.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            let _ = sealed.send(path);
        }
    }

    /// Writes a last snapshot if segments are waiting, and ends the thread.
    pub(crate) fn finish(&self) {
        self.sealed.lock().unwrap_or_else(|p| p.into_inner()).take();
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

fn checkpoint_loop(
    dir: &std::path::Path,
    index: &MemoryIndex,
    segments: &mpsc::Receiver<PathBuf>,
    mut waiting: Vec<PathBuf>,
) {
    loop {
        let closing = match segments.recv() {
            Ok(path) => {
                waiting.push(path);
                waiting.extend(segments.try_iter());
                false
            }
            Err(_) => true,
        };
        let logged = waiting.len() as u64 * SEGMENT_BYTES;
        let due = logged >= index.live_bytes().max(SEGMENT_BYTES);
        if !waiting.is_empty() && (due || closing) {
            checkpoint(dir, index, &mut waiting);
        }
        if closing {
            return;
        }
    }
}

/// Writes the index as the snapshot, then deletes `waiting`: a fuzzy scan
/// (each chunk under its own read lock) that began after every batch of
/// `waiting` was applied, so it holds each of them or a later state, and
/// the log after them, kept, makes it exact on replay.
fn checkpoint(dir: &std::path::Path, index: &MemoryIndex, waiting: &mut Vec<PathBuf>) {
    let started = Instant::now();
    let mut after: Option<Box<[u8]>> = None;
    let written = snapshot_file::write(dir, |chunk| {
        if after.is_some() {
            std::thread::yield_now();
        }
        after = index.scan_chunk(after.as_deref(), chunk);
        after.is_some()
    });
    match written {
        Ok(written) => {
            for path in waiting.drain(..) {
                if let Err(e) = std::fs::remove_file(&path) {
                    tracing::warn!(path = %path.display(), error = %e, "cannot delete a store log segment behind the snapshot");
                }
            }
            let seconds = started.elapsed().as_secs_f64();
            metrics::counter!("fiducia_store_snapshots_total").increment(1);
            metrics::histogram!("fiducia_store_snapshot_seconds").record(seconds);
            tracing::debug!(
                entries = written.entries,
                bytes = written.bytes,
                seconds,
                "store snapshot written"
            );
        }
        Err(e) => {
            metrics::counter!("fiducia_store_snapshot_failures_total").increment(1);
            tracing::warn!(error = %e, segments = waiting.len(), "cannot write the store snapshot; its log segments are kept");
        }
    }
}
