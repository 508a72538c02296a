//! The directory's persisted state: settings, organisations, software, statuses and the
//! issued SSA ids, in one JSON file (`directory.json`) in the data directory.
//!
//! Every change is read-modify-write under an exclusive lock on `directory.lock` (so the
//! `fiducia directory revoke` command and a running server never lose each other's
//! changes), and the new file is written atomically: a temporary file in the same
//! directory, fsync, rename over the old one, fsync of the directory. A crash leaves the
//! old file or the new one, never half of one.

use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The state file in the data directory.
pub const STATE_FILE: &str = "directory.json";
/// The lock file in the data directory.
pub const LOCK_FILE: &str = "directory.lock";
/// Version of the state file layout.
pub const STATE_VERSION: u32 = 1;

/// Status of an organisation or a software statement, as UK SSAs carry it
/// (`org_status`, `software_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    /// May obtain SSAs and register.
    Active,
    /// Revoked by the directory: no SSAs; relying OPs should stop trusting it.
    Revoked,
}

impl Status {
    /// The wire value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Active => "Active",
            Status::Revoked => "Revoked",
        }
    }
}

/// Which ecosystem's certificate subject an organisation's certificates follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// UK Open Banking: CN = software_id, OU = org_id, O = organisation name, C.
    Uk,
    /// Open Finance Brasil: additionally UID = software_id and organizationIdentifier
    /// (2.5.4.97) = `OFBBR-<org_id>`.
    Brazil,
}

/// Directory-wide settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// The SSAs' `iss`.
    pub issuer: String,
    /// Base URL the directory is reached at (`software_jwks_endpoint` is built from it).
    pub public_url: String,
    /// Lifetime of an SSA (`exp` - `iat`), seconds.
    pub ssa_ttl_secs: u64,
    /// The CA directory (`ca.pem`, `ca.key`, `server.pem`, `server.key`).
    pub ca_dir: PathBuf,
}

/// An organisation (a TPP) in the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    /// `org_id`.
    pub org_id: String,
    /// `org_name`; the O of its certificates.
    pub org_name: String,
    /// ISO 3166 country; the C of its certificates.
    pub country: String,
    /// Certificate subject profile.
    pub profile: Profile,
    /// `org_status`.
    pub status: Status,
    /// When it was added (Unix seconds).
    pub created_at: u64,
}

/// A software statement of an organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Software {
    /// `software_id`.
    pub software_id: String,
    /// Its organisation's `org_id`.
    pub org_id: String,
    /// `software_client_name`.
    pub client_name: String,
    /// `software_redirect_uris`.
    pub redirect_uris: Vec<String>,
    /// `software_roles` (e.g. AISP, PISP, CBPII; DADOS, PAGTO).
    pub roles: Vec<String>,
    /// `software_status`.
    pub status: Status,
    /// The signing key as published in the software's JWKS (with `x5c`).
    pub signing_jwk: serde_json::Value,
    /// The transport key as published in the software's JWKS (`"use": "tls"`, `x5c`).
    pub transport_jwk: serde_json::Value,
    /// `x5t#S256` of the transport certificate (RFC 8705 §3.1): the certificate that
    /// authenticates the software at the SSA endpoint.
    pub transport_x5t_s256: String,
    /// When it was added (Unix seconds).
    pub created_at: u64,
    /// Its transport certificates revoked by the directory, published at
    /// `/software/{software_id}/revoked-certificates`. Absent in state
    /// files written before it existed: none.
    #[serde(default)]
    pub revoked_certificates: Vec<RevokedCertificate>,
}

/// A transport certificate the directory revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokedCertificate {
    /// Its `x5t#S256` (RFC 8705 §3.1).
    #[serde(rename = "x5t#S256")]
    pub x5t_s256: String,
    /// When it was revoked (Unix seconds).
    pub revoked_at: u64,
}

impl Software {
    /// Whether the certificate with this `x5t#S256` was revoked.
    pub fn is_revoked(&self, x5t_s256: &str) -> bool {
        self.revoked_certificates.iter().any(|r| r.x5t_s256 == x5t_s256)
    }
}

/// An SSA the directory signed (its `jti` is never reused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedSsa {
    /// `jti`.
    pub jti: String,
    /// For which software.
    pub software_id: String,
    /// `iat`.
    pub iat: u64,
    /// `exp`; the record is dropped once the SSA expired.
    pub exp: u64,
}

/// Everything the directory knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryState {
    /// [`STATE_VERSION`].
    pub version: u32,
    /// Settings.
    pub settings: Settings,
    /// Organisations by `org_id`.
    pub organisations: BTreeMap<String, Organisation>,
    /// Software by `software_id`.
    pub software: BTreeMap<String, Software>,
    /// SSAs issued and not yet expired.
    pub issued: Vec<IssuedSsa>,
}

impl DirectoryState {
    /// A fresh state.
    pub fn new(settings: Settings) -> Self {
        Self {
            version: STATE_VERSION,
            settings,
            organisations: BTreeMap::new(),
            software: BTreeMap::new(),
            issued: Vec::new(),
        }
    }

    /// Reads the state of `data_dir`, `None` when there is none yet.
    pub fn load(data_dir: &Path) -> anyhow::Result<Option<Self>> {
        let path = data_dir.join(STATE_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let state: Self = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a directory state file", path.display()))?;
        if state.version != STATE_VERSION {
            anyhow::bail!(
                "{} has layout version {}, this fiducia reads {STATE_VERSION}",
                path.display(),
                state.version
            );
        }
        Ok(Some(state))
    }

    /// Writes the state atomically (temporary file, fsync, rename, fsync of the directory).
    pub fn save(&self, data_dir: &Path) -> anyhow::Result<()> {
        let path = data_dir.join(STATE_FILE);
        let tmp = data_dir.join(format!(".{STATE_FILE}.{}.tmp", uuid::Uuid::new_v4().simple()));
        let text = serde_json::to_vec_pretty(self).context("cannot encode the directory state")?;
        let written = (|| {
            let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
            file.write_all(&text)?;
            file.sync_all()?;
            std::fs::rename(&tmp, &path)?;
            File::open(data_dir)?.sync_all()
        })();
        if written.is_err() {
            // Best effort: the temporary file is useless now; the error matters more.
            let _ = std::fs::remove_file(&tmp);
        }
        written.with_context(|| format!("cannot write {}", path.display()))
    }
}

/// An exclusive lock on the data directory's state, released when dropped.
pub struct StateLock(File);

impl StateLock {
    /// Waits for the lock of `data_dir`.
    pub fn acquire(data_dir: &Path) -> anyhow::Result<Self> {
        let path = data_dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        file.lock()
            .with_context(|| format!("cannot lock {}", path.display()))?;
        Ok(Self(file))
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn state() -> DirectoryState {
        DirectoryState::new(Settings {
            issuer: "iss".into(),
            public_url: "https://localhost:8445".into(),
            ssa_ttl_secs: 600,
            ca_dir: "pki".into(),
        })
    }

    #[test]
    fn save_then_load_round_trips_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(DirectoryState::load(dir.path()).unwrap(), None);
        let mut saved = state();
        saved.issued.push(IssuedSsa {
            jti: "j".into(),
            software_id: "s".into(),
            iat: 1,
            exp: 2,
        });
        saved.save(dir.path()).unwrap();
        saved.save(dir.path()).unwrap();
        assert_eq!(DirectoryState::load(dir.path()).unwrap(), Some(saved));
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, vec![STATE_FILE.to_owned()]);
    }

    #[test]
    fn a_write_interrupted_before_the_rename_leaves_the_old_state() {
        let dir = tempfile::tempdir().unwrap();
        let old = state();
        old.save(dir.path()).unwrap();
        // What a crash between writing and renaming leaves behind.
        std::fs::write(
            dir.path().join(format!(".{STATE_FILE}.dead.tmp")),
            b"{\"version\":",
        )
        .unwrap();
        assert_eq!(DirectoryState::load(dir.path()).unwrap(), Some(old));
    }

    #[test]
    fn another_layout_version_is_refused_not_guessed() {
        let dir = tempfile::tempdir().unwrap();
        let mut newer = state();
        newer.version = STATE_VERSION + 1;
        newer.save(dir.path()).unwrap();
        let error = DirectoryState::load(dir.path()).unwrap_err().to_string();
        assert!(error.contains("layout version"), "{error}");
        std::fs::write(dir.path().join(STATE_FILE), b"not json").unwrap();
        assert!(DirectoryState::load(dir.path()).is_err());
    }
}
