//! Development and sandbox PKI: a throw-away CA, a TLS server certificate and mutual-TLS
//! client certificates shaped like those of open banking directories.
//!
//! **For development, tests and sandboxes only.** In production the server certificate and
//! the trust anchors for client certificates come from the bank's own PKI and the ecosystem's
//! directory (OBIE, Open Finance Brasil, ...); nothing here is meant to replace them. The CA
//! key is stored unencrypted next to the CA certificate.
//!
//! What is produced (`fiducia pki init`, see [`init`]) in the output directory:
//!
//! | file                        | content                                         | mode |
//! |-----------------------------|-------------------------------------------------|------|
//! | `ca.pem`, `ca.key`          | CA certificate and its PKCS#8 key               | 0644, 0600 |
//! | `server.pem`, `server.key`  | server certificate + CA (a chain) and its key   | 0644, 0600 |
//! | `clients/<software_id>.pem` | client certificate + CA, and `.key` beside it  | 0644, 0600 |
//!
//! All keys are ECDSA P-256 generated with aws-lc-rs. Existing files are never overwritten
//! unless asked to ([`PkiInitOptions::force`]); key files are created with mode 0600 from
//! the start.
//!
//! # Client certificate subjects
//!
//! With the `tls_client_auth` method of RFC 8705 §2.1 (PKI mutual-TLS), a client is
//! authenticated by the subject distinguished name of its certificate, registered as
//! `tls_client_auth_subject_dn` (RFC 4514 string form). The client certificates issued here
//! follow the layout used in open banking so the same registration code paths are exercised:
//!
//! * UK Open Banking (OBIE) transport certificates: `C=GB, O=<organisation>,
//!   OU=<organisation id>, CN=<software statement id>`, i.e. CN = `software_id` and
//!   OU = `org_id`;
//! * Open Finance Brasil additionally carries `organizationIdentifier` (OID 2.5.4.97,
//!   X.520), e.g. `OFBBR-<org_id>`, requested with
//!   [`ClientCertSpec::organization_identifier`].
//!
//! # Development TLS
//!
//! [`ensure_dev_pki`] backs `tls.dev_generate = true`: it creates a CA and server certificate
//! at the configured paths when they are missing. The CA key is written to
//! [`ca_key_path`]`(client_ca)`, so when the CA is `dir/ca.pem`, further client certificates
//! can be issued with [`issue_client`]`(dir, ..)`.

mod certs;
mod error;
mod files;
mod issue;
mod layout;
mod spec;
#[cfg(test)]
mod tests;
pub mod tls;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

pub use certs::{
    CA_COMMON_NAME, CA_VALIDITY_DAYS, LEAF_VALIDITY_DAYS, ORGANIZATION_IDENTIFIER_OID, USER_ID_OID,
};
pub use error::PkiError;
pub use issue::{IssuedCertificate, issue_signing_certificate, issue_transport_certificate};
pub use layout::{CA_CERT_FILE, CA_KEY_FILE, CLIENTS_DIR, SERVER_CERT_FILE, SERVER_KEY_FILE};
pub use spec::{ClientCertSpec, DEFAULT_COUNTRY};

use files::{CERT_MODE, KEY_MODE};

/// Server subject alternative names used when none are given.
pub const DEFAULT_SERVER_SANS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// [`DEFAULT_SERVER_SANS`] as owned strings.
pub fn default_server_sans() -> Vec<String> {
    DEFAULT_SERVER_SANS.iter().map(|s| (*s).to_owned()).collect()
}

/// What `fiducia pki init` produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkiInitOptions {
    /// Directory receiving the files; created (mode 0755) if missing.
    pub out_dir: PathBuf,
    /// Subject alternative names of the server certificate (DNS names or IP addresses as
    /// strings). Default: localhost, 127.0.0.1, ::1; an empty list means the default.
    pub server_sans: Vec<String>,
    /// Client transport certificates to issue.
    pub clients: Vec<ClientCertSpec>,
    /// Overwrite existing files (default false: refuse with a clear error naming the
    /// existing file).
    pub force: bool,
}

impl PkiInitOptions {
    /// Options for `out_dir` with the default SANs, no clients and no overwriting.
    pub fn new(out_dir: impl Into<PathBuf>) -> Self {
        Self {
            out_dir: out_dir.into(),
            server_sans: default_server_sans(),
            clients: Vec::new(),
            force: false,
        }
    }
}

/// Where [`init`] put everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkiPaths {
    pub ca_cert: PathBuf,
    pub ca_key: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub clients: Vec<ClientPaths>,
}

/// Where one client certificate (leaf + CA chain) and its key are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientPaths {
    pub software_id: String,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl ClientPaths {
    fn in_dir(dir: &Path, software_id: &str) -> Self {
        let clients = dir.join(CLIENTS_DIR);
        Self {
            software_id: software_id.to_owned(),
            cert: clients.join(format!("{software_id}.pem")),
            key: clients.join(format!("{software_id}.key")),
        }
    }
}

fn effective_sans(sans: &[String]) -> Vec<String> {
    if sans.is_empty() {
        default_server_sans()
    } else {
        sans.to_vec()
    }
}

/// Create a CA, a server certificate and the requested client certificates in
/// `opts.out_dir`. Everything is validated before anything is written.
pub fn init(opts: &PkiInitOptions) -> Result<PkiPaths, PkiError> {
    let sans = effective_sans(&opts.server_sans);
    certs::parse_sans(&sans)?;
    let mut seen = HashSet::new();
    for client in &opts.clients {
        client.validate()?;
        if !seen.insert(client.software_id.as_str()) {
            return Err(PkiError::invalid_field(
                "software_id",
                &client.software_id,
                "requested more than once",
            ));
        }
    }
    let dir = &opts.out_dir;
    let paths = PkiPaths {
        ca_cert: dir.join(CA_CERT_FILE),
        ca_key: dir.join(CA_KEY_FILE),
        server_cert: dir.join(SERVER_CERT_FILE),
        server_key: dir.join(SERVER_KEY_FILE),
        clients: opts
            .clients
            .iter()
            .map(|c| ClientPaths::in_dir(dir, &c.software_id))
            .collect(),
    };
    if !opts.force {
        let fixed = [
            &paths.ca_cert,
            &paths.ca_key,
            &paths.server_cert,
            &paths.server_key,
        ];
        let client_files = paths.clients.iter().flat_map(|c| [&c.cert, &c.key]);
        files::refuse_existing(fixed.into_iter().chain(client_files).map(PathBuf::as_path))?;
    }

    let ca = certs::new_ca()?;
    let server = certs::server_leaf(&ca, &sans)?;
    let clients = opts
        .clients
        .iter()
        .map(|c| certs::client_leaf(&ca, c))
        .collect::<Result<Vec<_>, _>>()?;

    files::ensure_dir(dir)?;
    let force = opts.force;
    files::write(&paths.ca_key, ca.key_pem().as_bytes(), KEY_MODE, force)?;
    files::write(&paths.ca_cert, ca.cert_pem.as_bytes(), CERT_MODE, force)?;
    files::write(&paths.server_key, server.key_pem.as_bytes(), KEY_MODE, force)?;
    files::write(&paths.server_cert, server.chain_pem.as_bytes(), CERT_MODE, force)?;
    if !clients.is_empty() {
        files::ensure_dir(&dir.join(CLIENTS_DIR))?;
    }
    for (leaf, cp) in clients.iter().zip(&paths.clients) {
        files::write(&cp.key, leaf.key_pem.as_bytes(), KEY_MODE, force)?;
        files::write(&cp.cert, leaf.chain_pem.as_bytes(), CERT_MODE, force)?;
    }
    Ok(paths)
}

/// Issue one more client certificate from an existing CA directory (`ca.pem` + `ca.key` in
/// `dir`) into `dir/clients/`. Existing client files are never overwritten.
pub fn issue_client(dir: &Path, spec: &ClientCertSpec) -> Result<ClientPaths, PkiError> {
    spec.validate()?;
    let paths = ClientPaths::in_dir(dir, &spec.software_id);
    files::refuse_existing([paths.cert.as_path(), paths.key.as_path()])?;
    let ca = certs::load_ca(&dir.join(CA_CERT_FILE), &dir.join(CA_KEY_FILE))?;
    let leaf = certs::client_leaf(&ca, spec)?;
    files::ensure_dir(&dir.join(CLIENTS_DIR))?;
    files::write(&paths.key, leaf.key_pem.as_bytes(), KEY_MODE, false)?;
    files::write(&paths.cert, leaf.chain_pem.as_bytes(), CERT_MODE, false)?;
    Ok(paths)
}

/// Write a secret (e.g. a PKCS#8 private key) to a new file created with mode 0600 from the
/// start, creating missing parent directories (0755). An existing file is never overwritten
/// ([`PkiError::AlreadyExists`]).
pub fn write_private_file(path: &Path, contents: &[u8]) -> Result<(), PkiError> {
    files::ensure_parent(path)?;
    files::write(path, contents, KEY_MODE, false)
}

/// Where [`ensure_dev_pki`] keeps the key of the CA whose certificate is `ca_cert`: the same
/// path with the extension replaced by `.key` (`dev/ca.pem` -> `dev/ca.key`).
pub fn ca_key_path(ca_cert: &Path) -> PathBuf {
    let replaced = ca_cert.with_extension("key");
    if replaced == ca_cert {
        let mut name = ca_cert.as_os_str().to_owned();
        name.push(".key");
        PathBuf::from(name)
    } else {
        replaced
    }
}

/// Ensure a development PKI exists for `tls.dev_generate = true`.
///
/// Returns `Ok(false)` when all three files exist (nothing is checked or touched).
/// Otherwise generates and returns `Ok(true)`:
/// * if the CA certificate and its key ([`ca_key_path`]) both exist, the CA is reused and a
///   new server certificate and key are issued at `server_cert` / `server_key`;
/// * if the CA certificate is missing, a new CA is created at `ca_cert` (key beside it)
///   together with a new server certificate and key, replacing whatever was there;
/// * if the CA certificate exists but its key does not, nothing is written and an error
///   explains why (the file may be a real CA bundle).
///
/// Parent directories are created as needed. `sans` empty means [`DEFAULT_SERVER_SANS`].
pub fn ensure_dev_pki(
    server_cert: &Path,
    server_key: &Path,
    ca_cert: &Path,
    sans: &[String],
) -> Result<bool, PkiError> {
    let ca_key = ca_key_path(ca_cert);
    let all = [server_cert, server_key, ca_cert, ca_key.as_path()];
    for (i, a) in all.iter().enumerate() {
        if all[..i].contains(a) {
            return Err(PkiError::invalid_file(
                *a,
                "is configured for two different PKI files (server certificate, server key, \
                 client CA and its key must all differ)",
            ));
        }
    }
    if files::exists(server_cert)? && files::exists(server_key)? && files::exists(ca_cert)? {
        return Ok(false);
    }
    let sans = effective_sans(sans);
    certs::parse_sans(&sans)?;

    let ca = if files::exists(ca_cert)? {
        if !files::exists(&ca_key)? {
            return Err(PkiError::invalid_file(
                ca_cert,
                format!(
                    "exists but its key {} does not, so no development server certificate can \
                     be issued from it; remove it to let tls.dev_generate create a new CA",
                    ca_key.display()
                ),
            ));
        }
        certs::load_ca(ca_cert, &ca_key)?
    } else {
        let ca = certs::new_ca()?;
        files::ensure_parent(ca_cert)?;
        files::write(&ca_key, ca.key_pem().as_bytes(), KEY_MODE, true)?;
        files::write(ca_cert, ca.cert_pem.as_bytes(), CERT_MODE, true)?;
        ca
    };
    let server = certs::server_leaf(&ca, &sans)?;
    files::ensure_parent(server_key)?;
    files::ensure_parent(server_cert)?;
    files::write(server_key, server.key_pem.as_bytes(), KEY_MODE, true)?;
    files::write(server_cert, server.chain_pem.as_bytes(), CERT_MODE, true)?;
    Ok(true)
}
