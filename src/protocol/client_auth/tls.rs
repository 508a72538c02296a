//! `tls_client_auth`, the PKI mutual-TLS method (RFC 8705 §2.1).
//!
//! The TLS layer has already validated the chain to a trusted CA and the
//! possession of the key; what is left is whether the certificate names
//! *this* client. RFC 8705 §2.1.2: a client registers exactly one of
//! `tls_client_auth_subject_dn` (compared as a DN, RFC 4517 §4.2.15) or
//! `tls_client_auth_san_dns` / `_san_uri` / `_san_ip` / `_san_email`, which
//! must equal one subjectAltName entry of that type (RFC 5280 §4.2.1.6).

use std::net::IpAddr;

use serde_json::{Map, Value};
use x509_parser::extensions::GeneralName;

use super::ClientAuthReason;
use super::dn::{DistinguishedName, DnError};
use crate::protocol::jose::parse_certificate;

/// The one registered name of a `tls_client_auth` client, parsed when the
/// client is registered or loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsClientAuthSubject {
    /// `tls_client_auth_subject_dn`.
    SubjectDn(DistinguishedName),
    /// `tls_client_auth_san_dns`: a dNSName, compared case-insensitively (RFC 4343).
    SanDns(String),
    /// `tls_client_auth_san_uri`: a uniformResourceIdentifier, compared exactly.
    SanUri(String),
    /// `tls_client_auth_san_ip`: an iPAddress, compared in binary (RFC 8705 §2.1.2).
    SanIp(IpAddr),
    /// `tls_client_auth_san_email`: an rfc822Name; the domain compares
    /// case-insensitively, the local part exactly (RFC 5280 §4.2.1.6).
    SanEmail(String),
}

/// Client metadata does not name exactly one usable subject (RFC 8705 §2.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TlsSubjectError {
    /// None or several of the five members, or one that is not a string.
    #[error("exactly one tls_client_auth_subject_dn / _san_* string is required (RFC 8705 §2.1.2)")]
    NotExactlyOne,
    /// The DN is not an RFC 4514 string.
    #[error(transparent)]
    Dn(#[from] DnError),
    /// `tls_client_auth_san_ip` is not an IPv4 or IPv6 address.
    #[error("tls_client_auth_san_ip is not an IP address")]
    Ip,
}

const MEMBERS: [&str; 5] = [
    "tls_client_auth_subject_dn",
    "tls_client_auth_san_dns",
    "tls_client_auth_san_uri",
    "tls_client_auth_san_ip",
    "tls_client_auth_san_email",
];

impl TlsClientAuthSubject {
    /// From client metadata (RFC 7591 / RFC 8705 §2.1.2).
    pub fn from_metadata(metadata: &Map<String, Value>) -> Result<Self, TlsSubjectError> {
        let mut present = MEMBERS.iter().filter_map(|m| metadata.get(*m).map(|v| (*m, v)));
        let (Some((member, Value::String(value))), None) = (present.next(), present.next()) else {
            return Err(TlsSubjectError::NotExactlyOne);
        };
        Ok(match member {
            "tls_client_auth_subject_dn" => Self::SubjectDn(DistinguishedName::parse_rfc4514(value)?),
            "tls_client_auth_san_dns" => Self::SanDns(value.clone()),
            "tls_client_auth_san_uri" => Self::SanUri(value.clone()),
            "tls_client_auth_san_ip" => Self::SanIp(value.parse().map_err(|_| TlsSubjectError::Ip)?),
            _ => Self::SanEmail(value.clone()),
        })
    }

    /// Whether the DER certificate carries this name.
    pub fn matches(&self, cert_der: &[u8]) -> Result<bool, ClientAuthReason> {
        let cert = parse_certificate(cert_der).map_err(|_| ClientAuthReason::CertificateUnreadable)?;
        if let Self::SubjectDn(dn) = self {
            let subject = DistinguishedName::from_x509_name(cert.subject())
                .map_err(|_| ClientAuthReason::CertificateUnreadable)?;
            return Ok(dn.matches(&subject));
        }
        let sans = cert
            .subject_alternative_name()
            .map_err(|_| ClientAuthReason::CertificateUnreadable)?
            .map(|ext| ext.value.general_names.as_slice())
            .unwrap_or_default();
        Ok(sans.iter().any(|san| self.san_matches(san)))
    }

    fn san_matches(&self, san: &GeneralName<'_>) -> bool {
        match (self, san) {
            (Self::SanDns(ours), GeneralName::DNSName(theirs)) => ours.eq_ignore_ascii_case(theirs),
            (Self::SanUri(ours), GeneralName::URI(theirs)) => ours == theirs,
            (Self::SanIp(ours), GeneralName::IPAddress(bytes)) => ip_from_bytes(bytes) == Some(*ours),
            (Self::SanEmail(ours), GeneralName::RFC822Name(theirs)) => email_eq(ours, theirs),
            _ => false,
        }
    }
}

/// RFC 8705 §2.1: the certificate must name the client.
pub fn check_tls_client_auth(
    registered: &TlsClientAuthSubject,
    cert_der: &[u8],
) -> Result<(), ClientAuthReason> {
    if registered.matches(cert_der)? {
        Ok(())
    } else {
        Err(ClientAuthReason::SubjectMismatch)
    }
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

fn email_eq(a: &str, b: &str) -> bool {
    match (a.rsplit_once('@'), b.rsplit_once('@')) {
        (Some((local_a, domain_a)), Some((local_b, domain_b))) => {
            local_a == local_b && domain_a.eq_ignore_ascii_case(domain_b)
        }
        _ => false,
    }
}
