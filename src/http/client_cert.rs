//! The client's certificate as handlers see it, from the TLS handshake or from
//! a trusted reverse proxy (RFC 9440).

use crate::protocol::client_auth::TlsClientAuthSubject;
use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rustls_pki_types::CertificateDer;
use std::sync::{Arc, Mutex};

/// Subjects a certificate is remembered to match, at most; a connection
/// serves one client, so one is the usual case.
const MAX_REMEMBERED_SUBJECTS: usize = 4;

/// Where the certificate came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateSource {
    /// Presented in this connection's TLS handshake and verified against
    /// `tls.client_ca`.
    Tls,
    /// Passed by a proxy listed in `server.trusted_proxies` in the RFC 9440
    /// `Client-Cert` header; the proxy verified it.
    ProxyHeader,
}

/// A client certificate chain, leaf first, with its RFC 8705 §3.1 thumbprint.
#[derive(Debug, Clone)]
pub struct ClientCertificate {
    chain: Arc<[CertificateDer<'static>]>,
    x5t_s256: Arc<str>,
    source: CertificateSource,
    chain_verified: bool,
    /// Registered subjects this certificate was found to name (RFC 8705
    /// §2.1). The check is a pure function of the certificate and the
    /// subject, and a kept-alive connection presents the same certificate
    /// with every request: parsing it for each request was ~7 % of the OP's
    /// CPU per cc-mtls grant (docs/PERFORMANCE.md). Only matches are kept.
    matched_subjects: Arc<Mutex<Vec<TlsClientAuthSubject>>>,
}

impl ClientCertificate {
    /// Wraps a chain (leaf first); `None` when it is empty. `chain_verified`:
    /// whether it chains to a configured client CA (RFC 8705 §2.1 needs it,
    /// §2.2 self-signed certificates do not).
    pub fn new(
        chain: Vec<CertificateDer<'static>>,
        source: CertificateSource,
        chain_verified: bool,
    ) -> Option<Self> {
        let leaf = chain.first()?;
        let x5t_s256 = x5t_s256(leaf.as_ref()).into();
        Some(Self {
            chain: chain.into(),
            x5t_s256,
            source,
            chain_verified,
            matched_subjects: Arc::default(),
        })
    }

    /// Whether this certificate was already found to name `subject`.
    pub fn is_known_match(&self, subject: &TlsClientAuthSubject) -> bool {
        self.matched_subjects
            .lock()
            .is_ok_and(|known| known.iter().any(|s| s == subject))
    }

    /// Remembers that this certificate names `subject` (after
    /// `check_tls_client_auth` said so).
    pub fn remember_match(&self, subject: &TlsClientAuthSubject) {
        if let Ok(mut known) = self.matched_subjects.lock()
            && known.len() < MAX_REMEMBERED_SUBJECTS
            && !known.contains(subject)
        {
            known.push(subject.clone());
        }
    }

    /// Whether the chain verified against `tls.client_ca`.
    pub fn chain_verified(&self) -> bool {
        self.chain_verified
    }

    /// The end-entity certificate.
    pub fn leaf(&self) -> &CertificateDer<'static> {
        // `new` refuses an empty chain, so index 0 exists.
        &self.chain[0]
    }

    /// The chain, leaf first.
    pub fn chain(&self) -> &[CertificateDer<'static>] {
        &self.chain
    }

    /// `x5t#S256` of the leaf (RFC 8705 §3.1): what a certificate-bound
    /// access token's `cnf` carries.
    pub fn x5t_s256(&self) -> &str {
        &self.x5t_s256
    }

    /// Where the certificate came from.
    pub fn source(&self) -> CertificateSource {
        self.source
    }
}

/// RFC 8705 §3.1: base64url (no padding) of the SHA-256 of the DER certificate.
pub fn x5t_s256(der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, der))
}

/// Why a `Client-Cert` header was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClientCertHeaderError {
    /// Not an RFC 8941 byte sequence (`:base64:`).
    #[error("Client-Cert is not a structured-field byte sequence (RFC 9440 §2.2)")]
    NotByteSequence,
    /// The base64 inside does not decode.
    #[error("Client-Cert does not hold valid base64 (RFC 9440 §2.2)")]
    BadBase64,
    /// The bytes are not an X.509 certificate.
    #[error("Client-Cert does not hold a DER X.509 certificate (RFC 9440 §2.2)")]
    NotCertificate,
}

/// Parses the RFC 9440 §2.2 `Client-Cert` header (one byte sequence) and the
/// optional §2.3 `Client-Cert-Chain` header (a list of byte sequences);
/// `verify` says whether the chain is trusted.
pub fn from_headers(
    cert: &str,
    chain: Option<&str>,
    verify: impl FnOnce(&[CertificateDer<'static>]) -> bool,
) -> Result<ClientCertificate, ClientCertHeaderError> {
    let mut ders = vec![parse_byte_sequence(cert)?];
    if let Some(chain) = chain {
        for member in chain.split(',') {
            ders.push(parse_byte_sequence(member)?);
        }
    }
    for der in &ders {
        x509_parser::parse_x509_certificate(der).map_err(|_| ClientCertHeaderError::NotCertificate)?;
    }
    let chain: Vec<CertificateDer<'static>> = ders.into_iter().map(CertificateDer::from).collect();
    let verified = verify(&chain);
    ClientCertificate::new(chain, CertificateSource::ProxyHeader, verified)
        .ok_or(ClientCertHeaderError::NotCertificate)
}

/// RFC 8941 §3.3.5: `:` base64 `:`.
fn parse_byte_sequence(value: &str) -> Result<Vec<u8>, ClientCertHeaderError> {
    let inner = value
        .trim()
        .strip_prefix(':')
        .and_then(|v| v.strip_suffix(':'))
        .ok_or(ClientCertHeaderError::NotByteSequence)?;
    STANDARD
        .decode(inner)
        .map_err(|_| ClientCertHeaderError::BadBase64)
}

/// Encodes a DER certificate as an RFC 9440 header value (for proxies and tests).
pub fn to_header_value(der: &[u8]) -> String {
    format!(":{}:", STANDARD.encode(der))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_subject_matches_are_per_certificate_and_bounded() {
        let cert = || {
            ClientCertificate::new(
                vec![CertificateDer::from(vec![1u8, 2, 3])],
                CertificateSource::Tls,
                true,
            )
            .unwrap()
        };
        let (a, b) = (cert(), cert());
        let subject = |n: usize| TlsClientAuthSubject::SanDns(format!("client-{n}.example"));
        assert!(!a.is_known_match(&subject(0)));
        a.remember_match(&subject(0));
        assert!(a.is_known_match(&subject(0)));
        assert!(
            !a.is_known_match(&subject(1)),
            "only the subject it was checked against"
        );
        assert!(
            !b.is_known_match(&subject(0)),
            "another connection's certificate checks again"
        );
        // A clone (the per-request copy of the connection's certificate) shares the memo.
        assert!(a.clone().is_known_match(&subject(0)));
        for n in 1..10 {
            a.remember_match(&subject(n));
        }
        assert!(a.is_known_match(&subject(3)));
        assert!(
            !a.is_known_match(&subject(4)),
            "at most {MAX_REMEMBERED_SUBJECTS} kept"
        );
    }

    #[test]
    fn x5t_s256_is_base64url_sha256_rfc8705_s3_1() {
        // SHA-256("abc") = ba7816bf..., base64url without padding.
        assert_eq!(x5t_s256(b"abc"), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
    }

    #[test]
    fn header_must_be_a_byte_sequence_rfc9440_s2_2() {
        assert_eq!(
            from_headers("AAAA", None, |_| false).unwrap_err(),
            ClientCertHeaderError::NotByteSequence
        );
        assert_eq!(
            from_headers(":!!!:", None, |_| false).unwrap_err(),
            ClientCertHeaderError::BadBase64
        );
        assert_eq!(
            from_headers(":AAAA:", None, |_| false).unwrap_err(),
            ClientCertHeaderError::NotCertificate
        );
    }
}
