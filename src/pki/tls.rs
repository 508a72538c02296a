//! TLS material every TLS endpoint of Fiducia shares, servers and clients
//! alike: the FAPI cipher suites (TLS 1.3, and TLS 1.2 only with ECDHE and
//! AES-GCM: FAPI 1.0 Part 2 §8.5, FAPI 2.0 Security Profile §5.2.1 after
//! BCP 195 / RFC 9325 §4.2) and certificates and keys read from PEM files.

use rustls::CipherSuite;
use rustls::SupportedCipherSuite;
use rustls::crypto::CryptoProvider;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;

/// TLS 1.2 suites allowed by FAPI: ECDHE key exchange with AES-GCM.
pub const FAPI_TLS12_SUITES: &[CipherSuite] = &[
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
];

/// Why the TLS configuration could not be built; names the file.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// A PEM file could not be read or holds nothing usable.
    #[error("{field} ({path}): {reason}")]
    File {
        /// The config field.
        field: &'static str,
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// rustls refused the combination.
    #[error("TLS configuration refused: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The aws-lc-rs provider restricted to the FAPI cipher suites.
pub fn fapi_crypto_provider() -> CryptoProvider {
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    provider.cipher_suites.retain(|suite| match suite {
        SupportedCipherSuite::Tls13(_) => true,
        SupportedCipherSuite::Tls12(_) => FAPI_TLS12_SUITES.contains(&suite.suite()),
    });
    provider
}

/// Reads every certificate of a PEM file.
pub fn load_certs(field: &'static str, path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| file_error(field, path, &e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error(field, path, &e.to_string()))?;
    if certs.is_empty() {
        return Err(file_error(field, path, "no CERTIFICATE block found"));
    }
    Ok(certs)
}

/// Reads the private key of a PEM file (`tls.key`).
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsSetupError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| file_error("tls.key", path, &e.to_string()))
}

/// The error for a TLS file `path` of config field `field`.
pub fn file_error(field: &'static str, path: &Path, reason: &str) -> TlsSetupError {
    TlsSetupError::File {
        field,
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

/// A TLS client configuration for the OP's outbound HTTPS (client JWKS,
/// directory documents, CIBA deliveries): the system roots plus
/// `extra_roots` (PEM files, e.g. `tls.client_ca`), TLS 1.3 and 1.2 with
/// the FAPI suites, HTTP/1.1.
pub fn https_client_config(extra_roots: &[std::path::PathBuf]) -> anyhow::Result<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    for path in extra_roots {
        for cert in load_certs("tls.client_ca", path)? {
            let _ = roots.add(cert);
        }
    }
    let mut config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(fapi_crypto_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls12_suites_are_ecdhe_aes_gcm_only() {
        let provider = fapi_crypto_provider();
        for suite in &provider.cipher_suites {
            if let SupportedCipherSuite::Tls12(_) = suite {
                let name = format!("{:?}", suite.suite());
                assert!(name.contains("ECDHE") && name.contains("GCM"), "{name}");
            }
        }
        assert!(
            provider
                .cipher_suites
                .iter()
                .any(|s| matches!(s, SupportedCipherSuite::Tls13(_)))
        );
    }
}
