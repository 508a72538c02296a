//! The client's certificate as the application sees it (RFC 8705): its
//! chain, its `x5t#S256` thumbprint (§3.1), whether it chains to a client CA,
//! and where it came from. The transport (`http::`) builds it once per
//! connection, from the TLS handshake or a trusted proxy's RFC 9440 header.

use crate::protocol::client_auth::TlsClientAuthSubject;
use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
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
}
