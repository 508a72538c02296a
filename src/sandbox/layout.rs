//! What every part of the sandbox shares: its configuration template, the
//! sample fintech's ids, the SoftHSM token, and the files of a data
//! directory.

use std::path::{Path, PathBuf};

/// The sandbox configuration template (`config/sandbox.toml`).
pub const SANDBOX_TOML: &str = include_str!("../../config/sandbox.toml");

/// The sample fintech whose transport certificate the sandbox issues.
pub const SAMPLE_SOFTWARE_ID: &str = "sandbox-fintech";
/// Its organisation.
pub const SAMPLE_ORG_ID: &str = "0015800001041RHAAY";

/// The sandbox's SoftHSM token.
pub const SANDBOX_TOKEN_LABEL: &str = "fiducia-sandbox";

/// The SoftHSM configuration of a sandbox data directory. SoftHSM reads
/// `SOFTHSM2_CONF` when it is loaded, so `fiducia sandbox` runs with this
/// in its environment (re-executing itself when it is not).
pub fn softhsm_conf(data_dir: &Path) -> PathBuf {
    std::path::absolute(data_dir.join("softhsm").join("softhsm2.conf"))
        .unwrap_or_else(|_| data_dir.join("softhsm").join("softhsm2.conf"))
}

/// Files the sandbox prepared.
#[derive(Debug)]
pub struct SandboxLayout {
    /// The data directory.
    pub data_dir: PathBuf,
    /// Its configuration file.
    pub config_file: PathBuf,
    /// The CA that signed the server and client certificates.
    pub ca_cert: PathBuf,
    /// The sample fintech's certificate and key.
    pub client_cert: PathBuf,
    /// The sample fintech's private key.
    pub client_key: PathBuf,
}
