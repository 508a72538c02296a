//! Writing key and certificate files with the right permissions.
//!
//! Files are created with their final mode already set (`O_CREAT|O_EXCL` plus mode), so a
//! private key is never world-readable, not even for an instant. Replacing a file goes through
//! a fresh temporary file in the same directory and an atomic rename.

use std::fs::{DirBuilder, File, OpenOptions, Permissions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::error::PkiError;

/// Mode of private key files.
pub const KEY_MODE: u32 = 0o600;
/// Mode of certificate files.
pub const CERT_MODE: u32 = 0o644;
/// Mode of directories the PKI creates.
pub const DIR_MODE: u32 = 0o755;

/// Create `dir` and its missing parents with mode 0755; existing directories are left alone.
pub fn ensure_dir(dir: &Path) -> Result<(), PkiError> {
    if dir.as_os_str().is_empty() {
        return Ok(());
    }
    DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
        .map_err(|e| PkiError::io("create directory", dir, e))
}

/// Create the parent directory of `path`, if it has one.
pub fn ensure_parent(path: &Path) -> Result<(), PkiError> {
    path.parent().map_or(Ok(()), ensure_dir)
}

/// Fail with [`PkiError::AlreadyExists`] naming the first of `paths` that exists
/// (a dangling symlink counts as existing).
pub fn refuse_existing<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Result<(), PkiError> {
    for p in paths {
        match p.symlink_metadata() {
            Ok(_) => return Err(PkiError::AlreadyExists { path: p.into() }),
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(PkiError::io("inspect", p, e)),
        }
    }
    Ok(())
}

/// Whether `path` exists (following symlinks).
pub fn exists(path: &Path) -> Result<bool, PkiError> {
    path.try_exists().map_err(|e| PkiError::io("inspect", path, e))
}

/// Write `contents` to `path` with `mode`. Without `overwrite` an existing file is an
/// error (checked atomically by `O_EXCL`); with it the file is replaced atomically.
pub fn write(path: &Path, contents: &[u8], mode: u32, overwrite: bool) -> Result<(), PkiError> {
    if !overwrite {
        return write_new(path, contents, mode).map_err(|e| match e.kind() {
            ErrorKind::AlreadyExists => PkiError::AlreadyExists { path: path.into() },
            _ => PkiError::io("write", path, e),
        });
    }
    let tmp = temp_sibling(path)?;
    let result = write_new(&tmp, contents, mode)
        .map_err(|e| PkiError::io("write", &tmp, e))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| PkiError::io("replace", path, e)));
    if result.is_err() {
        // Best effort: the temporary file is useless now; the original error matters more.
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn write_new(path: &Path, contents: &[u8], mode: u32) -> std::io::Result<()> {
    let mut file: File = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)?;
    // The umask may have removed bits (e.g. 0644 -> 0600); set the exact mode on the handle.
    file.set_permissions(Permissions::from_mode(mode))?;
    file.write_all(contents)?;
    file.sync_all()
}

fn temp_sibling(path: &Path) -> Result<PathBuf, PkiError> {
    let name = path
        .file_name()
        .ok_or_else(|| PkiError::invalid_file(path, "is not a file path"))?;
    let mut nonce = [0u8; 8];
    aws_lc_rs::rand::fill(&mut nonce).map_err(|_| PkiError::Random {
        what: "temporary file name",
    })?;
    let hex: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{hex}.tmp"));
    Ok(path.with_file_name(tmp_name))
}

/// Read a whole file as UTF-8 text.
pub fn read_text(path: &Path) -> Result<String, PkiError> {
    std::fs::read_to_string(path).map_err(|e| PkiError::io("read", path, e))
}
