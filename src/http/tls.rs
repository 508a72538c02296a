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
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::UnixTime;
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::CertificateDer;
use std::path::Path;
use std::sync::Arc;

use crate::pki::tls::load_key;
use crate::pki::tls::{TlsSetupError, fapi_crypto_provider, file_error, load_certs};

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
