//! Where a running sandbox serves, written into its data directory
//! (`endpoints.json`) once everything listens, so that tools reading the
//! data directory (`fiducia demo payment`) find the OP, the directory and
//! the gateway wherever flags and `FIDUCIA_*` variables put them.

use super::directory::SandboxDirectory;
use super::gateway::SandboxBank;
use super::layout::{SAMPLE_SOFTWARE_ID, SandboxLayout};
use crate::config::ValidatedConfig;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The file in the data directory.
pub const ENDPOINTS_FILE: &str = "endpoints.json";

/// What a running sandbox serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxEndpoints {
    /// The OP's issuer (discovery is under it).
    pub issuer: String,
    /// The sandbox directory's public URL.
    pub directory_url: String,
    /// The API gateway's public URL.
    pub gateway_url: String,
    /// The CA of every sandbox server certificate (absolute).
    pub ca: PathBuf,
    /// The sample software registered in the directory.
    pub sample_software_id: String,
    /// Its certificates and keys (absolute): `transport.pem`/`.key`, `signing.pem`/`.key`.
    pub sample_software_dir: PathBuf,
    /// The customer device's URL (its page; `/api/...` for scripts).
    /// Empty in files written before the device existed.
    #[serde(default)]
    pub device_url: String,
    /// The bank's login-and-consent app's origin (its page is `/login`).
    /// Empty in files written before the app existed.
    #[serde(default)]
    pub login_app_url: String,
}

impl SandboxEndpoints {
    /// The endpoints of the sandbox that is starting with these parts.
    pub fn of(
        layout: &SandboxLayout,
        config: &ValidatedConfig,
        directory: &SandboxDirectory,
        bank: &SandboxBank,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            issuer: config.issuer().to_string(),
            directory_url: directory.directory.state()?.settings.public_url,
            gateway_url: bank.gateway_url.clone(),
            ca: std::path::absolute(&layout.ca_cert)?,
            sample_software_id: SAMPLE_SOFTWARE_ID.into(),
            sample_software_dir: std::path::absolute(directory.directory.software_dir(SAMPLE_SOFTWARE_ID))?,
            device_url: String::new(),
            login_app_url: String::new(),
        })
    }

    /// Writes them into `data_dir` (replacing the file atomically).
    pub fn write(&self, data_dir: &Path) -> anyhow::Result<()> {
        let path = data_dir.join(ENDPOINTS_FILE);
        let tmp = data_dir.join(format!(".{ENDPOINTS_FILE}.tmp"));
        let text = serde_json::to_vec_pretty(self).context("cannot encode the sandbox endpoints")?;
        std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))
    }

    /// Reads them from `data_dir`.
    pub fn read(data_dir: &Path) -> anyhow::Result<Self> {
        let path = data_dir.join(ENDPOINTS_FILE);
        let text = std::fs::read(&path).with_context(|| {
            format!(
                "cannot read {} (start the sandbox first: `fiducia sandbox --data {}`)",
                path.display(),
                data_dir.display()
            )
        })?;
        serde_json::from_slice(&text)
            .with_context(|| format!("{} is not a sandbox endpoints file", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_round_trip_through_the_data_directory() {
        let dir = tempfile::tempdir().unwrap();
        let endpoints = SandboxEndpoints {
            issuer: "https://localhost:8443".into(),
            directory_url: "https://localhost:8445".into(),
            gateway_url: "https://localhost:8446".into(),
            ca: "/data/pki/ca.pem".into(),
            sample_software_id: SAMPLE_SOFTWARE_ID.into(),
            sample_software_dir: "/data/directory/software/sandbox-fintech".into(),
            device_url: "https://localhost:8448".into(),
            login_app_url: "https://localhost:8449".into(),
        };
        endpoints.write(dir.path()).unwrap();
        assert_eq!(SandboxEndpoints::read(dir.path()).unwrap(), endpoints);
        let missing = SandboxEndpoints::read(&dir.path().join("nothing")).unwrap_err();
        assert!(format!("{missing:#}").contains("start the sandbox first"));
    }
}
