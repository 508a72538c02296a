//! The sandbox regulatory directory (`fiducia directory`, also started by `fiducia
//! sandbox`): what an ecosystem's directory (OBIE Directory, Open Finance Brasil's
//! Directory, Australia's CDR Register) is to the banks and fintechs of a sandbox.
//!
//! - organisations and their software, each `Active` or `Revoked` ([`state`]);
//! - a CA that issues each software's transport and signing certificates with the
//!   ecosystem's subject fields, keys written to the software's folder ([`credentials`]);
//! - SSAs signed on request with PS256 by the directory key ([`ssa`]);
//! - an HTTPS server ([`server`], routes in [`http`]) publishing the directory JWKS, each
//!   software's JWKS and status endpoints, and issuing SSAs over mutual TLS;
//! - the `fiducia directory` commands ([`cli`]).
//!
//! Data directory layout: `directory.json` (the state), `directory.lock`, `signing.key`
//! (the directory's PS256 key, PKCS#8, 0600, generated at first start), `pki/` (the CA and
//! the directory's TLS server certificate, unless another CA directory is given, as the
//! sandbox does) and `software/<software_id>/` (the credentials).
//!
//! **For sandboxes and tests**: the keys are files, not HSM objects.

pub mod cli;
pub mod credentials;
pub mod http;
mod registry;
pub mod server;
pub mod ssa;
pub mod state;

use anyhow::Context;
use fiducia_hsm::{JoseAlg, Jwks, Signer, SoftwareSigner};
use state::{DirectoryState, Settings, StateLock};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use registry::{NewOrganisation, NewSoftware, Target};

/// Default `iss` of the SSAs.
pub const DEFAULT_ISSUER: &str = "Fiducia Sandbox Directory";
/// Default listen address of `fiducia directory serve` (the sandbox OP has 8443 and 8444).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8445";
/// Default public URL.
pub const DEFAULT_PUBLIC_URL: &str = "https://localhost:8445";
/// Default SSA lifetime: 10 minutes.
pub const DEFAULT_SSA_TTL_SECS: u64 = 600;
/// The directory's signing key file in the data directory.
pub const SIGNING_KEY_FILE: &str = "signing.key";
/// The software folders in the data directory.
pub const SOFTWARE_DIR: &str = "software";

/// Why a directory operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// No organisation with this id.
    #[error("unknown organisation {0:?}")]
    UnknownOrganisation(String),
    /// No software with this id.
    #[error("unknown software {0:?}")]
    UnknownSoftware(String),
    /// The organisation or software is not Active.
    #[error("{0}")]
    Inactive(String),
    /// The caller's transport certificate is not this software's.
    #[error("the client certificate is not the transport certificate of software {0:?}")]
    WrongCertificate(String),
    /// Bad input (an id already taken, an invalid field).
    #[error("{0}")]
    Invalid(String),
    /// Storage, key or certificate failure.
    #[error("{0}")]
    Internal(String),
}

impl From<anyhow::Error> for DirectoryError {
    fn from(e: anyhow::Error) -> Self {
        DirectoryError::Internal(format!("{e:#}"))
    }
}

/// Settings to apply when opening a directory; `None` keeps the stored value (or the
/// default for a new directory).
#[derive(Debug, Clone, Default)]
pub struct DirectoryOptions {
    /// The SSAs' `iss`.
    pub issuer: Option<String>,
    /// The base URL the directory is reached at.
    pub public_url: Option<String>,
    /// SSA lifetime in seconds.
    pub ssa_ttl_secs: Option<u64>,
    /// Use this CA directory (`ca.pem`, `ca.key`, `server.pem`, `server.key`) instead of
    /// `<data>/pki`; only when the directory is created.
    pub ca_dir: Option<PathBuf>,
}

/// An opened directory data directory.
pub struct Directory {
    data_dir: PathBuf,
    signer: Arc<SoftwareSigner>,
}

impl Directory {
    /// Opens `data_dir`, creating on first use the state, the CA (`pki/`) and the
    /// directory's PS256 signing key (mode 0600), and applies `options`.
    pub fn open(data_dir: &Path, options: &DirectoryOptions) -> anyhow::Result<Self> {
        std::fs::create_dir_all(data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
        let data_dir = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
        let _lock = StateLock::acquire(&data_dir)?;
        let stored = DirectoryState::load(&data_dir)?;
        let mut state = match stored.clone() {
            Some(state) => state,
            None => DirectoryState::new(Settings {
                issuer: DEFAULT_ISSUER.into(),
                public_url: DEFAULT_PUBLIC_URL.into(),
                ssa_ttl_secs: DEFAULT_SSA_TTL_SECS,
                ca_dir: options.ca_dir.clone().unwrap_or_else(|| data_dir.join("pki")),
            }),
        };
        let settings = &mut state.settings;
        if let Some(issuer) = &options.issuer {
            settings.issuer = issuer.clone();
        }
        if let Some(url) = &options.public_url {
            settings.public_url = url.trim_end_matches('/').to_owned();
        }
        if let Some(ttl) = options.ssa_ttl_secs {
            anyhow::ensure!(ttl > 0, "the SSA lifetime must be at least one second");
            settings.ssa_ttl_secs = ttl;
        }
        if !settings.ca_dir.join(crate::pki::CA_CERT_FILE).exists() {
            crate::pki::init(&crate::pki::PkiInitOptions::new(&settings.ca_dir))?;
            tracing::info!(target: "fiducia::audit", operation = "directory.ca.create", ca_dir = %settings.ca_dir.display(), "directory CA created");
        }
        let signer = Arc::new(load_or_create_signing_key(&data_dir)?);
        if stored.as_ref() != Some(&state) {
            state.save(&data_dir)?;
            tracing::info!(
                target: "fiducia::audit",
                operation = "directory.settings",
                issuer = %state.settings.issuer,
                public_url = %state.settings.public_url,
                ssa_ttl_secs = state.settings.ssa_ttl_secs,
                "directory settings saved"
            );
        }
        Ok(Self { data_dir, signer })
    }

    /// The data directory (absolute).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The current state (read under the lock).
    pub fn state(&self) -> anyhow::Result<DirectoryState> {
        let _lock = StateLock::acquire(&self.data_dir)?;
        DirectoryState::load(&self.data_dir)?.context("the directory state file disappeared")
    }

    /// The directory's signing key.
    pub fn signer(&self) -> &SoftwareSigner {
        &self.signer
    }

    /// The directory JWKS: the public half of its signing key.
    pub fn jwks(&self) -> Jwks {
        Jwks::from_signers([self.signer.as_ref() as &dyn Signer])
    }

    /// The folder holding a software's certificates and keys.
    pub fn software_dir(&self, software_id: &str) -> PathBuf {
        self.data_dir.join(SOFTWARE_DIR).join(software_id)
    }
}

/// The directory key: `signing.key` (PKCS#8 PEM, PS256), generated with mode 0600 when
/// missing.
fn load_or_create_signing_key(data_dir: &Path) -> anyhow::Result<SoftwareSigner> {
    let path = data_dir.join(SIGNING_KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(pem) => SoftwareSigner::from_pkcs8_pem(JoseAlg::Ps256, &pem)
            .with_context(|| format!("{} is not a PS256 PKCS#8 key", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let signer =
                SoftwareSigner::generate(JoseAlg::Ps256).context("cannot generate the directory key")?;
            let pem = signer.to_pkcs8_pem().context("cannot export the directory key")?;
            crate::pki::write_private_file(&path, pem.as_bytes())?;
            tracing::info!(target: "fiducia::audit", operation = "directory.key.create", kid = signer.key_id(), alg = "PS256", "directory signing key created");
            Ok(signer)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}
