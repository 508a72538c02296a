//! Issuing from an existing CA directory without writing files: the caller (the sandbox
//! directory) decides where a software's certificates and keys go.

use std::path::Path;

use super::certs;
use super::error::PkiError;
use super::layout::{CA_CERT_FILE, CA_KEY_FILE};
use super::spec::ClientCertSpec;

/// A certificate issued in memory.
pub struct IssuedCertificate {
    /// The certificate followed by the CA certificate (PEM).
    pub chain_pem: String,
    /// PKCS#8 PEM of its private key; write it with mode 0600 ([`super::write_private_file`]).
    pub key_pem: String,
}

impl std::fmt::Debug for IssuedCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCertificate").finish_non_exhaustive()
    }
}

/// Issue a client transport certificate (EKU clientAuth, subject per [`ClientCertSpec`])
/// with a new P-256 key from the CA in `ca_dir` (`ca.pem` + `ca.key`).
pub fn issue_transport_certificate(
    ca_dir: &Path,
    spec: &ClientCertSpec,
) -> Result<IssuedCertificate, PkiError> {
    let ca = certs::load_ca(&ca_dir.join(CA_CERT_FILE), &ca_dir.join(CA_KEY_FILE))?;
    let leaf = certs::client_leaf(&ca, spec)?;
    Ok(IssuedCertificate {
        chain_pem: leaf.chain_pem,
        key_pem: leaf.key_pem,
    })
}

/// Issue a signing certificate for the caller's key (`key_pem`, PKCS#8: RSA, P-256 or
/// Ed25519) from the CA in `ca_dir`: the client's subject, keyUsage digitalSignature and
/// nonRepudiation. Returns the certificate followed by the CA certificate (PEM).
pub fn issue_signing_certificate(
    ca_dir: &Path,
    spec: &ClientCertSpec,
    key_pem: &str,
) -> Result<String, PkiError> {
    let ca = certs::load_ca(&ca_dir.join(CA_CERT_FILE), &ca_dir.join(CA_KEY_FILE))?;
    certs::signing_cert_for_key(&ca, spec, key_pem)
}
