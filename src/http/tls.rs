//! TLS for the OP listeners (rustls with the aws-lc-rs provider).
//!
//! Protocol versions and suites follow FAPI: TLS 1.3 (every suite), and TLS
//! 1.2 only with ECDHE and AES-GCM (FAPI 1.0 Part 2 §8.5, FAPI 2.0 Security
//! Profile §5.2.1 referring to BCP 195 / RFC 9325 §4.2). TLS 1.1 and older,
//! CBC and ChaCha20 suites under TLS 1.2 are refused in the handshake.
//!
//! Client certificates (RFC 8705) are requested on the main listener but
//! optional; on the mTLS alias listener (RFC 8705 §5) they are required. The
//! handshake proves possession of the certificate's key but does not insist
//! that it chains to `tls.client_ca`: RFC 8705 §2.2 clients use self-signed
//! certificates. Whether the chain verifies is decided per connection by
//! [`ClientChainVerifier`] and carried to the handlers
//! (`ClientCertificate::chain_verified`); `tls_client_auth` (§2.1) requires it.

use crate::config::TlsConfig;
use rustls::CipherSuite;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::UnixTime;
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use rustls::{RootCertStore, ServerConfig, SupportedCipherSuite};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;

/// TLS 1.2 suites allowed by FAPI: ECDHE key exchange with AES-GCM.
pub const FAPI_TLS12_SUITES: &[CipherSuite] = &[
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
];

/// ALPN protocols of the OP listeners: HTTP/2, HTTP/1.1 and (over QUIC) HTTP/3.
pub const ALPN: &[&[u8]] = &[b"h2", b"http/1.1", b"h3"];

/// Whether a listener asks for a client certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// Requested; the handshake succeeds without one.
    Optional,
    /// Required: no certificate, no connection.
    Required,
}

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

/// Builds the server configuration shared by the TCP and QUIC listeners.
pub fn server_config(tls: &TlsConfig, client_auth: ClientAuth) -> Result<Arc<ServerConfig>, TlsSetupError> {
    let provider = Arc::new(fapi_crypto_provider());
    let chain = load_certs("tls.cert", &tls.cert)?;
    let key = load_key(&tls.key)?;
    let hints = match client_chain_verifier(tls)? {
        Some(verifier) => verifier.0.root_hint_subjects().to_vec(),
        None => Vec::new(),
    };
    let verifier = Arc::new(AnyClientCertificate {
        mandatory: client_auth == ClientAuth::Required,
        hints,
        algorithms: provider.signature_verification_algorithms,
    });
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)?;
    config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

/// Checks client certificate chains against `tls.client_ca` (webpki, RFC 5280).
#[derive(Debug, Clone)]
pub struct ClientChainVerifier(Arc<dyn ClientCertVerifier>);

impl ClientChainVerifier {
    /// Whether `chain` (leaf first) chains to a configured client CA now.
    pub fn verifies(&self, chain: &[CertificateDer<'_>]) -> bool {
        match chain.split_first() {
            Some((leaf, intermediates)) => self
                .0
                .verify_client_cert(leaf, intermediates, UnixTime::now())
                .is_ok(),
            None => false,
        }
    }
}

/// The chain verifier for `tls.client_ca`, or `None` when no CA is configured.
pub fn client_chain_verifier(tls: &TlsConfig) -> Result<Option<ClientChainVerifier>, TlsSetupError> {
    if tls.client_ca.is_empty() {
        return Ok(None);
    }
    let mut roots = RootCertStore::empty();
    for path in &tls.client_ca {
        for cert in load_certs("tls.client_ca", path)? {
            roots.add(cert).map_err(|e| {
                file_error(
                    "tls.client_ca",
                    path,
                    &format!("not a usable CA certificate: {e}"),
                )
            })?;
        }
    }
    let verifier =
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots), Arc::new(fapi_crypto_provider()))
            .allow_unauthenticated()
            .build()
            .map_err(|e| file_error("tls.client_ca", Path::new(""), &format!("client verifier: {e}")))?;
    Ok(Some(ClientChainVerifier(verifier)))
}

/// Accepts any client certificate whose key signs the handshake (so the
/// client holds it); chain trust is decided later ([`ClientChainVerifier`]).
#[derive(Debug)]
struct AnyClientCertificate {
    mandatory: bool,
    hints: Vec<DistinguishedName>,
    algorithms: rustls::crypto::WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for AnyClientCertificate {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        // Still refuse what is not a certificate at all.
        x509_parser::parse_x509_certificate(end_entity)
            .map_err(|_| rustls::Error::InvalidCertificate(rustls::CertificateError::BadEncoding))?;
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
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

fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsSetupError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| file_error("tls.key", path, &e.to_string()))
}

fn file_error(field: &'static str, path: &Path, reason: &str) -> TlsSetupError {
    TlsSetupError::File {
        field,
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
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
