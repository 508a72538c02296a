//! The mTLS transport certificate must name the software of the statement
//! (RFC 8705 §2.1; the ecosystems' certificate profiles):
//!
//! - UK OBIE (Open Banking Certificate Profile, DCR 3.3 "the TPP's transport
//!   certificate"): subject CN = `software_id`, OU = `org_id`;
//! - Brazil Open Finance (Padrão de Certificados, DCR 1.0 §"Validação do
//!   certificado"): UID (0.9.2342.19200300.100.1.1) = `software_id`,
//!   organizationIdentifier (2.5.4.97) = `OFBBR-<org_id>`;
//! - none (the `generic` profile's default, RFC 7591 sets no rule): the
//!   certificate must still chain to `tls.client_ca` (checked by the
//!   caller) and is what `tls_client_auth` registers, but its subject is
//!   not compared with the statement; RFC 7592 management then needs a
//!   certificate with the subject registered with (`oauth::registration::manage`).
//!
//! Each attribute must occur exactly once. [`subject_dn_rfc4514`] writes
//! the subject as an RFC 4514 string to register as
//! `tls_client_auth_subject_dn` (RFC 8705 §2.1.2), checked to match the
//! certificate again under RFC 4517 distinguishedNameMatch.

use super::RegistrationError;
use crate::protocol::client_auth::DistinguishedName;
use crate::protocol::jose::parse_certificate;
use serde::{Deserialize, Serialize};
use x509_parser::oid_registry::Oid;
use x509_parser::x509::X509Name;

/// How a transport certificate's subject names the software of a
/// software statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateBinding {
    /// UK Open Banking: CN = `software_id`, OU = `org_id`.
    Uk,
    /// Brazil Open Finance: UID (0.9.2342.19200300.100.1.1) =
    /// `software_id`, organizationIdentifier (2.5.4.97) = `OFBBR-<org_id>`.
    Brazil,
    /// No comparison of the subject with the statement.
    None,
}

/// commonName.
const CN: &[u64] = &[2, 5, 4, 3];
/// organizationalUnitName.
const OU: &[u64] = &[2, 5, 4, 11];
/// userId (RFC 4519 §2.39).
const UID: &[u64] = &[0, 9, 2342, 19_200_300, 100, 1, 1];
/// organizationIdentifier (X.520, 2.5.4.97).
const ORG_IDENTIFIER: &[u64] = &[2, 5, 4, 97];

/// Short names RFC 4514 §3 writes (plus UID), by OID.
const SHORT_NAMES: &[(&[u64], &str)] = &[
    (CN, "CN"),
    (&[2, 5, 4, 6], "C"),
    (&[2, 5, 4, 7], "L"),
    (&[2, 5, 4, 8], "ST"),
    (&[2, 5, 4, 9], "STREET"),
    (&[2, 5, 4, 10], "O"),
    (OU, "OU"),
    (UID, "UID"),
    (&[0, 9, 2342, 19_200_300, 100, 1, 25], "DC"),
];

fn unapproved(why: &'static str) -> RegistrationError {
    RegistrationError::Unapproved(why.into())
}

/// Checks that the certificate `cert_der` names `software_id` of `org_id`
/// under `binding`.
pub fn check_certificate_binding(
    binding: CertificateBinding,
    cert_der: &[u8],
    software_id: &str,
    org_id: &str,
) -> Result<(), RegistrationError> {
    let cert =
        parse_certificate(cert_der).map_err(|_| unapproved("the transport certificate is unreadable"))?;
    if binding != CertificateBinding::None && (software_id.is_empty() || org_id.is_empty()) {
        return Err(unapproved(
            "the certificate binding needs the software statement's software_id and org_id",
        ));
    }
    let subject = cert.subject();
    let (software, org, expected_org) = match binding {
        CertificateBinding::None => return Ok(()),
        CertificateBinding::Uk => (only(subject, CN), only(subject, OU), org_id.to_string()),
        CertificateBinding::Brazil => (
            only(subject, UID),
            only(subject, ORG_IDENTIFIER),
            format!("OFBBR-{org_id}"),
        ),
    };
    if software.as_deref() != Some(software_id) {
        return Err(unapproved(
            "the transport certificate does not name the software statement's software_id",
        ));
    }
    if org.as_deref() != Some(expected_org.as_str()) {
        return Err(unapproved(
            "the transport certificate does not name the software statement's org_id",
        ));
    }
    Ok(())
}

/// The value of the one attribute of type `oid`; `None` when absent,
/// repeated or not a string.
fn only(name: &X509Name<'_>, oid: &[u64]) -> Option<String> {
    let oid = Oid::from(oid).ok()?;
    let mut values = name.iter_by_oid(&oid);
    let first = values.next()?.as_str().ok()?.to_string();
    values.next().is_none().then_some(first)
}

/// The certificate's subject as an RFC 4514 string (last RDN first),
/// verified to match the certificate by distinguishedNameMatch.
pub fn subject_dn_rfc4514(cert_der: &[u8]) -> Result<String, RegistrationError> {
    let cert =
        parse_certificate(cert_der).map_err(|_| unapproved("the transport certificate is unreadable"))?;
    let mut rdns = Vec::new();
    for rdn in cert.subject().iter() {
        let mut avas = Vec::new();
        for ava in rdn.iter() {
            let oid: Vec<u64> = ava
                .attr_type()
                .iter()
                .ok_or_else(|| unapproved("the transport certificate subject is unreadable"))?
                .collect();
            let name = SHORT_NAMES
                .iter()
                .find(|(o, _)| *o == oid.as_slice())
                .map_or_else(
                    || oid.iter().map(u64::to_string).collect::<Vec<_>>().join("."),
                    |(_, n)| n.to_string(),
                );
            let value = ava
                .as_str()
                .map_err(|_| unapproved("the transport certificate subject has a non-string value"))?;
            avas.push(format!("{name}={}", escape(value)));
        }
        rdns.push(avas.join("+"));
    }
    rdns.reverse();
    let dn = rdns.join(",");
    let written = DistinguishedName::parse_rfc4514(&dn)
        .map_err(|_| unapproved("the transport certificate subject cannot be written as a DN"))?;
    let actual = DistinguishedName::of_certificate_subject(cert_der)
        .map_err(|_| unapproved("the transport certificate subject is unreadable"))?;
    if !written.matches(&actual) {
        return Err(unapproved(
            "the transport certificate subject cannot be written as a DN",
        ));
    }
    Ok(dn)
}

/// RFC 4514 §2.4 escaping of an attribute value.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, '"' | '+' | ',' | ';' | '<' | '>' | '\\')
            || (i == 0 && (c == '#' || c == ' '))
            || (i == last && c == ' ');
        if special {
            out.push('\\');
        }
        if c == '\0' {
            out.push_str("\\00");
        } else {
            out.push(c);
        }
    }
    out
}
