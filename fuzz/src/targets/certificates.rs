//! Certificates and names: RFC 4514 distinguished names (registered
//! `tls_client_auth_subject_dn`), a certificate's subject, and the RFC 9440
//! `Client-Cert` / `Client-Cert-Chain` headers a trusted proxy sends.

use fiducia::http::client_cert::from_headers;
use fiducia::protocol::client_auth::DistinguishedName;

/// An RFC 4514 string, compared with itself as a certificate would be.
pub fn dn(data: &[u8]) {
    let Some(text) = crate::text(data) else { return };
    if let Ok(name) = DistinguishedName::parse_rfc4514(text) {
        std::hint::black_box(name.matches(&name));
    }
}

/// DER bytes as a client certificate: its subject as a DN.
pub fn certificate_subject(data: &[u8]) {
    let _ = DistinguishedName::of_certificate_subject(data);
}

/// `Client-Cert` and, after the first newline, `Client-Cert-Chain`.
pub fn client_cert_header(data: &[u8]) {
    let Some(text) = crate::text(data) else { return };
    let (cert, chain) = match text.split_once('\n') {
        Some((cert, chain)) => (cert, Some(chain)),
        None => (text, None),
    };
    let _ = from_headers(cert, chain, |_| false);
}
