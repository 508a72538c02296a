//! [`ClientCertSpec`]: what goes into the subject of a client transport certificate,
//! and its command-line form.

use super::error::PkiError;

/// Default organisation country when `c=` is not given.
pub const DEFAULT_COUNTRY: &str = "GB";

/// Upper bound of commonName, organizationName, organizationalUnitName (RFC 5280 appendix A).
const UB_NAME: usize = 64;

/// The subject of one client transport certificate.
///
/// The subject is `C=<country>, O=<org_name>, OU=<org_id>, CN=<software_id>`, the UK Open
/// Banking layout, plus `organizationIdentifier` (2.5.4.97) and `UID` (0.9.2342.19200300.100.1.1)
/// when requested, as Brazil's Open Finance certificates carry them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCertSpec {
    /// The software statement id of the client; becomes CN and the file name.
    pub software_id: String,
    /// The organisation id in the directory; becomes OU.
    pub org_id: String,
    /// The organisation's name; becomes O.
    pub org_name: String,
    /// ISO 3166 two-letter country code; becomes C.
    pub country: String,
    /// When `Some`, adds organizationIdentifier (OID 2.5.4.97, UTF8String) with this value
    /// (Brazil style `OFBBR-<org_id>`).
    pub organization_identifier: Option<String>,
    /// When `Some`, adds userId (`UID`, OID 0.9.2342.19200300.100.1.1, RFC 4519 §2.39) with
    /// this value: Brazil's transport certificates carry the software statement id there.
    pub uid: Option<String>,
}

impl ClientCertSpec {
    /// Parse the CLI form
    /// `software_id=...,org_id=...[,org=...][,c=GB][,org_identifier=...][,uid=...]`.
    ///
    /// `org` defaults to the `org_id` value and `c` to `GB`. Keys are case-insensitive and
    /// each may appear once; values are trimmed and cannot contain commas.
    /// Accepted aliases: `o` for `org`, `country` for `c`, `organization_identifier` for
    /// `org_identifier`.
    pub fn parse(s: &str) -> Result<Self, PkiError> {
        let err = |reason: String| PkiError::InvalidClientSpec {
            input: s.to_owned(),
            reason,
        };
        let mut software_id = None;
        let mut org_id = None;
        let mut org_name = None;
        let mut country = None;
        let mut organization_identifier = None;
        let mut uid = None;
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((key, value)) = part.split_once('=') else {
                return Err(err(format!("`{part}` is not of the form key=value")));
            };
            let (key, value) = (key.trim().to_ascii_lowercase(), value.trim());
            let slot = match key.as_str() {
                "software_id" => &mut software_id,
                "org_id" => &mut org_id,
                "org" | "o" => &mut org_name,
                "c" | "country" => &mut country,
                "org_identifier" | "organization_identifier" => &mut organization_identifier,
                "uid" => &mut uid,
                _ => {
                    return Err(err(format!(
                        "unknown key `{key}` (expected software_id, org_id, org, c, org_identifier, uid)"
                    )));
                }
            };
            if value.is_empty() {
                return Err(err(format!("`{key}` has an empty value")));
            }
            if slot.is_some() {
                return Err(err(format!("`{key}` is given more than once")));
            }
            *slot = Some(value.to_owned());
        }
        let software_id = software_id.ok_or_else(|| err("missing software_id=".to_owned()))?;
        let org_id = org_id.ok_or_else(|| err("missing org_id=".to_owned()))?;
        let spec = Self {
            org_name: org_name.unwrap_or_else(|| org_id.clone()),
            country: country.map_or_else(|| DEFAULT_COUNTRY.to_owned(), |c| c.to_ascii_uppercase()),
            software_id,
            org_id,
            organization_identifier,
            uid,
        };
        spec.validate()?;
        Ok(spec)
    }

    /// Check every field; called again before issuing since the fields are public.
    pub fn validate(&self) -> Result<(), PkiError> {
        validate_software_id(&self.software_id)?;
        validate_name("org_id", &self.org_id)?;
        validate_name("org", &self.org_name)?;
        if let Some(oi) = &self.organization_identifier {
            validate_name("org_identifier", oi)?;
        }
        if let Some(uid) = &self.uid {
            validate_name("uid", uid)?;
        }
        let c = &self.country;
        if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(PkiError::invalid_field(
                "c",
                c,
                "must be a two-letter upper-case ISO 3166 country code such as GB or BR",
            ));
        }
        Ok(())
    }
}

/// The software id names files (`clients/<software_id>.pem`), so it is restricted to a
/// portable file-name alphabet; real software ids (OBIE, UUIDs) fit in it.
fn validate_software_id(v: &str) -> Result<(), PkiError> {
    validate_name("software_id", v)?;
    let ok = v
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !ok || v.starts_with('.') {
        return Err(PkiError::invalid_field(
            "software_id",
            v,
            "may contain only letters, digits, '-', '_' and '.', and may not start with '.'",
        ));
    }
    Ok(())
}

fn validate_name(field: &'static str, v: &str) -> Result<(), PkiError> {
    if v.trim().is_empty() {
        return Err(PkiError::invalid_field(field, v, "must not be empty"));
    }
    if v.chars().count() > UB_NAME {
        return Err(PkiError::invalid_field(
            field,
            v,
            format!("longer than {UB_NAME} characters"),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(PkiError::invalid_field(field, v, "contains control characters"));
    }
    Ok(())
}
