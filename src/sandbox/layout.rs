//! What a sandbox is made of: its configuration template, the sample
//! fintech's names, and the files `sandbox::prepare` writes.

use std::path::PathBuf;

/// The sandbox configuration template (`config/sandbox.toml`).
pub const SANDBOX_TOML: &str = include_str!("../../config/sandbox.toml");

/// The sample fintech whose transport certificate the sandbox issues.
pub const SAMPLE_SOFTWARE_ID: &str = "sandbox-fintech";
/// Its organisation.
pub const SAMPLE_ORG_ID: &str = "0015800001041RHAAY";

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
