//! The `FIDUCIA_STORE` marker: which layout and engine a data directory
//! holds. A directory that is not a store, a store of another layout, or of
//! the other engine is refused with a message that says so; layout 1 (fjall
//! without a log of our own) is upgraded in place by the LSM engine.

use crate::store::kv::KvError;
use std::path::{Path, PathBuf};

/// Which engine a store uses (`store.engine`; `engine.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EngineKind {
    /// The live data in memory, snapshots on disk.
    Memory,
    /// fjall, an LSM tree. The default.
    #[default]
    Lsm,
}

impl EngineKind {
    /// Its name in configuration and messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Lsm => "lsm",
        }
    }
}

/// Name of the marker file that says a directory is an embedded store.
pub const MARKER_FILE: &str = "FIDUCIA_STORE";
/// Contents of the marker of a store of the LSM engine.
pub(crate) const MARKER_LSM: &str = "fiducia embedded store, layout 2, fjall 3 behind a write-ahead log\n";
/// Contents of the marker of a store of the memory engine.
pub(crate) const MARKER_MEMORY: &str =
    "fiducia embedded store, layout 3, a memory index and snapshots behind a write-ahead log\n";
/// The marker of layout 1 (fjall's journal fsynced per batch, no log of our
/// own), which is upgraded in place: an empty log is a valid layout-2 log.
pub(crate) const MARKER_LAYOUT_1: &str = "fiducia embedded store, layout 1, fjall 3\n";

/// Upgrades a layout-1 store in place: every layout-1 commit is in fjall,
/// fsynced, so it starts an empty log and rewrites the marker.
pub(crate) fn upgrade_layout_1(dir: &Path) -> Result<(), KvError> {
    let marker = dir.join(MARKER_FILE);
    let io = |what: &str, path: &PathBuf, e: std::io::Error| {
        KvError::Backend(format!("cannot {what} {}: {e}", path.display()))
    };
    std::fs::create_dir_all(dir.join(super::wal::DIR))
        .map_err(|e| io("create", &dir.join(super::wal::DIR), e))?;
    let upgraded = dir.join(format!("{MARKER_FILE}.new"));
    write_synced(&upgraded, MARKER_LSM).map_err(|e| io("write", &upgraded, e))?;
    std::fs::rename(&upgraded, &marker).map_err(|e| io("replace", &marker, e))?;
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io("sync", &dir.to_path_buf(), e))?;
    tracing::info!(dir = %dir.display(), "upgraded the embedded store from layout 1 to layout 2");
    Ok(())
}

/// Checks the layout marker of `dir` against the engine asked for,
/// creating it in a new, empty store; `true` when the store is of layout 1
/// and must be upgraded (done once fjall holds its lock:
/// [`upgrade_layout_1`]). Writes nothing in an existing store.
pub(crate) fn check_or_create_marker(dir: &Path, engine: EngineKind) -> Result<bool, KvError> {
    let marker = dir.join(MARKER_FILE);
    let io = |what: &str, path: &PathBuf, e: std::io::Error| {
        KvError::Backend(format!("cannot {what} {}: {e}", path.display()))
    };
    let expected = match engine {
        EngineKind::Memory => MARKER_MEMORY,
        EngineKind::Lsm => MARKER_LSM,
    };
    let other_engine = |found: EngineKind| {
        KvError::Backend(format!(
            "{} is a store of the {} engine, but store.engine is {:?}: set store.engine = {:?} \
             to open it, or give the new engine a new store.path",
            dir.display(),
            found.name(),
            engine.name(),
            found.name()
        ))
    };
    match std::fs::read_to_string(&marker) {
        Ok(found) if found == expected => Ok(false),
        Ok(found) if found == MARKER_LAYOUT_1 && engine == EngineKind::Lsm => Ok(true),
        Ok(found) if found == MARKER_LSM || found == MARKER_LAYOUT_1 => Err(other_engine(EngineKind::Lsm)),
        Ok(found) if found == MARKER_MEMORY => Err(other_engine(EngineKind::Memory)),
        Ok(found) => Err(KvError::Backend(format!(
            "{} is a store of another layout ({:?}); this build reads {:?} and {:?}",
            dir.display(),
            found.trim(),
            MARKER_MEMORY.trim(),
            MARKER_LSM.trim()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let has_entries = match std::fs::read_dir(dir) {
                Ok(mut entries) => entries.next().is_some(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
                Err(e) => return Err(io("read", &dir.to_path_buf(), e)),
            };
            if has_entries {
                return Err(KvError::Backend(format!(
                    "{} is not empty and has no {MARKER_FILE}: refusing to use it as a store",
                    dir.display()
                )));
            }
            std::fs::create_dir_all(dir).map_err(|e| io("create", &dir.to_path_buf(), e))?;
            write_synced(&marker, expected).map_err(|e| io("write", &marker, e))?;
            Ok(false)
        }
        Err(e) => Err(io("read", &marker, e)),
    }
}

/// Writes a small file and fsyncs it and its directory, so the marker exists
/// after a crash whenever the store does.
fn write_synced(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::File::create(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()?;
    if let Some(parent) = path.parent() {
        std::fs::File::open(parent)?.sync_all()?;
    }
    Ok(())
}
