//! Distinguished names compared as names, not strings: RFC 4517 §4.2.15
//! distinguishedNameMatch, as RFC 8705 §2.1.2 asks for
//! `tls_client_auth_subject_dn` ("compared ... as a DN, not a string").
//!
//! Two names match when they have the same number of RDNs and the RDNs
//! match in order; two RDNs match when they hold the same number of
//! attribute values and each value of one matches a value of the other
//! (multi-valued RDNs are sets). Attribute types compare by OID, so `CN`,
//! `commonName` and `2.5.4.3` are the same type. String values compare with
//! caseIgnoreMatch after RFC 4518 preparation ([`prep`]); a value that is
//! not a string (or written as `#hex` of a non-string) compares by its BER
//! type and content octets.

mod attrs;
mod error;
mod parse;
mod prep;
#[cfg(test)]
mod tests;

use x509_parser::asn1_rs::{Any, Class, FromBer, Tag};
use x509_parser::x509::X509Name;

pub use error::DnError;
use parse::WrittenValue;

/// A distinguished name ready for distinguishedNameMatch: RDNs in ASN.1
/// order, values prepared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistinguishedName {
    rdns: Vec<Vec<Ava>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Ava {
    oid: Vec<u64>,
    value: Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    /// A string, prepared for caseIgnoreMatch.
    Text(String),
    /// A string with a prohibited character (RFC 4518 §2.4): matches nothing.
    Unmatchable,
    /// Not a string: BER class, tag and content octets.
    Other { class: u8, tag: u32, content: Vec<u8> },
}

impl DistinguishedName {
    /// Parses an RFC 4514 string, such as a registered
    /// `tls_client_auth_subject_dn`.
    pub fn parse_rfc4514(dn: &str) -> Result<Self, DnError> {
        let rdns = parse::parse(dn)?
            .into_iter()
            .map(|rdn| {
                rdn.into_iter()
                    .map(|(oid, written)| {
                        let value = match written {
                            WrittenValue::Text(text) => text_value(&text),
                            WrittenValue::Ber(ber) => match Any::from_ber(&ber) {
                                Ok(([], any)) => any_value(&any),
                                _ => return Err(DnError::Syntax("`#` value is not one BER element")),
                            },
                        };
                        Ok(Ava { oid, value })
                    })
                    .collect()
            })
            .collect::<Result<_, _>>()?;
        Ok(DistinguishedName { rdns })
    }

    /// The subject of a DER certificate.
    pub fn of_certificate_subject(cert_der: &[u8]) -> Result<Self, DnError> {
        let cert = crate::protocol::jose::parse_certificate(cert_der).map_err(|_| DnError::Certificate)?;
        Self::from_x509_name(cert.subject())
    }

    pub(super) fn from_x509_name(name: &X509Name<'_>) -> Result<Self, DnError> {
        let rdns = name
            .iter()
            .map(|rdn| {
                rdn.iter()
                    .map(|ava| {
                        let oid = ava.attr_type().iter().ok_or(DnError::Certificate)?.collect();
                        Ok(Ava {
                            oid,
                            value: any_value(ava.attr_value()),
                        })
                    })
                    .collect()
            })
            .collect::<Result<_, _>>()?;
        Ok(DistinguishedName { rdns })
    }

    /// RFC 4517 §4.2.15 distinguishedNameMatch.
    pub fn matches(&self, other: &DistinguishedName) -> bool {
        self.rdns.len() == other.rdns.len()
            && self.rdns.iter().zip(&other.rdns).all(|(a, b)| rdn_matches(a, b))
    }
}

/// RFC 8705 §2.1.2: does the certificate's subject match the registered
/// `tls_client_auth_subject_dn`? `Err` when either cannot be read.
pub fn subject_dn_matches(registered: &str, cert_der: &[u8]) -> Result<bool, DnError> {
    let registered = DistinguishedName::parse_rfc4514(registered)?;
    Ok(registered.matches(&DistinguishedName::of_certificate_subject(cert_der)?))
}

/// RDNs as sets: same size, and a one-to-one pairing of matching values.
fn rdn_matches(a: &[Ava], b: &[Ava]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut used = vec![false; b.len()];
    a.iter().all(|ava| {
        let found = b
            .iter()
            .enumerate()
            .find(|(i, candidate)| !used[*i] && ava_matches(ava, candidate))
            .map(|(i, _)| i);
        match found {
            Some(i) => {
                used[i] = true;
                true
            }
            None => false,
        }
    })
}

fn ava_matches(a: &Ava, b: &Ava) -> bool {
    a.oid == b.oid
        && match (&a.value, &b.value) {
            (Value::Text(x), Value::Text(y)) => x == y,
            (Value::Unmatchable, _) | (_, Value::Unmatchable) => false,
            (x, y) => x == y,
        }
}

fn text_value(text: &str) -> Value {
    prep::case_ignore(text).map_or(Value::Unmatchable, Value::Text)
}

/// A certificate (or `#hex`) value: directory string types are decoded to
/// Unicode (RFC 4518 §2.1 transcode), anything else is kept as BER.
fn any_value(any: &Any<'_>) -> Value {
    let data = any.data;
    let text = if any.class() != Class::Universal {
        None
    } else {
        match any.tag() {
            Tag::Utf8String
            | Tag::PrintableString
            | Tag::Ia5String
            | Tag::NumericString
            | Tag::VisibleString => std::str::from_utf8(data).ok().map(str::to_owned),
            // T.61 in practice holds Latin-1 (as OpenSSL reads it).
            Tag::TeletexString => Some(data.iter().map(|&b| char::from(b)).collect()),
            Tag::BmpString if data.len().is_multiple_of(2) => {
                let units: Vec<u16> = data
                    .chunks_exact(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    .collect();
                String::from_utf16(&units).ok()
            }
            Tag::UniversalString if data.len().is_multiple_of(4) => data
                .chunks_exact(4)
                .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                .collect(),
            _ => None,
        }
    };
    match text {
        Some(text) => text_value(&text),
        None => Value::Other {
            class: any.class() as u8,
            tag: any.tag().0,
            content: data.to_vec(),
        },
    }
}
