//! `fiducia sandbox`: a whole ecosystem on one machine from a fresh checkout.
//!
//! On first run it writes the sandbox configuration and a development PKI
//! (CA, server certificate, a sample fintech's transport certificate) into the
//! data directory, then serves the OP. Later parts (regulatory directory,
//! sample bank API, customer device) start here too.

use crate::config::{self, ValidatedConfig};
use crate::pki::{self, ClientCertSpec, PkiInitOptions};
use anyhow::Context;
use std::path::{Path, PathBuf};

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

/// Prepares `data_dir` (config + PKI) if needed and returns the validated config.
pub fn prepare(data_dir: &Path) -> anyhow::Result<(SandboxLayout, ValidatedConfig)> {
    std::fs::create_dir_all(data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
    let config_file = data_dir.join("fiducia.toml");
    if !config_file.exists() {
        std::fs::write(&config_file, SANDBOX_TOML)
            .with_context(|| format!("cannot write {}", config_file.display()))?;
    }
    let pki_dir = data_dir.join("pki");
    let ca_cert = pki_dir.join("ca.pem");
    let client = ClientCertSpec {
        software_id: SAMPLE_SOFTWARE_ID.into(),
        org_id: SAMPLE_ORG_ID.into(),
        org_name: "Sandbox Fintech Ltd".into(),
        country: "GB".into(),
        organization_identifier: None,
    };
    if !ca_cert.exists() {
        pki::init(&PkiInitOptions {
            out_dir: pki_dir.clone(),
            server_sans: vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
            clients: vec![client],
            force: false,
        })?;
    }
    let (raw, base) = config::load(Some(&config_file))?;
    let validated = config::validate(raw, &base)?;
    let layout = SandboxLayout {
        data_dir: data_dir.to_path_buf(),
        config_file,
        ca_cert,
        client_cert: pki_dir.join("clients").join(format!("{SAMPLE_SOFTWARE_ID}.pem")),
        client_key: pki_dir.join("clients").join(format!("{SAMPLE_SOFTWARE_ID}.key")),
    };
    Ok((layout, validated))
}

/// The lines `fiducia sandbox` prints once it is serving.
pub fn banner(
    layout: &SandboxLayout,
    config: &ValidatedConfig,
    server: &crate::server::ServerHandle,
) -> String {
    let discovery = config.endpoint_url(crate::http::router::paths::DISCOVERY);
    let ca = absolute(&layout.ca_cert);
    let mut lines = vec![
        "Fiducia sandbox is running.".to_string(),
        format!("  issuer:        {}", config.issuer()),
        format!("  discovery:     {discovery}"),
        format!(
            "  jwks:          {}",
            config.endpoint_url(crate::http::router::paths::JWKS)
        ),
    ];
    if let Some(addr) = server.h3_addr {
        lines.push(format!("  HTTP/3:        udp {addr}"));
    }
    if let Some(url) = config.mtls_endpoint_url("") {
        lines.push(format!("  mTLS aliases:  {url}"));
    }
    lines.extend([
        format!("  health:        http://{}/healthz", server.admin_addr),
        format!("  metrics:       http://{}/metrics", server.admin_addr),
        format!("  CA:            {}", ca.display()),
        format!(
            "  fintech cert:  {} (key {})",
            absolute(&layout.client_cert).display(),
            absolute(&layout.client_key).display()
        ),
        format!("  config:        {}", absolute(&layout.config_file).display()),
        String::new(),
        format!("  try: curl --cacert {} {discovery}", ca.display()),
        "Stop with Ctrl-C (in-flight requests finish first).".to_string(),
    ]);
    lines.join("\n")
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}
