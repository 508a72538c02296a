//! The RFC 9440 `Client-Cert` / `Client-Cert-Chain` headers a trusted
//! reverse proxy passes the client's certificate in; the certificate itself
//! is a [`ClientCertificate`].

use crate::protocol::client_cert::{CertificateSource, ClientCertificate};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rustls_pki_types::CertificateDer;

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
