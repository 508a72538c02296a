//! Registration profiles: how a trusted directory's verified software
//! statement becomes the client's metadata and policy. Each
//! `[[registration.trusted_directories]]` names one (`profile`); the
//! profile decides
//!
//! - the statement's claim names and which are required ([`read_statement`]);
//! - which statement values take precedence over the request's (RFC 7591
//!   §2.3) and whether keys by value (`jwks`) may come in the request;
//! - the scopes a registration may hold when it asks for none;
//! - the status rule and the default certificate binding.
//!
//! | profile | specification | claims | keys | statuses | binding |
//! |---|---|---|---|---|---|
//! | [`generic`] | RFC 7591 §2, §2.3, §3.1.1 | RFC 7591 names (`client_name`, `redirect_uris`, `jwks`/`jwks_uri`, `scope`, …) | statement `jwks`/`jwks_uri`, else the request's | checked when present | `none` |
//! | [`uk`] | OBIE DCR 3.3 | `software_*` | `software_jwks_endpoint` | checked when present | `uk` |
//!
//! A new ecosystem (Brazil, CDR) is a variant here, a file beside these
//! two, and an arm in each dispatch below; `protocol::registration::metadata`
//! applies the FAPI policy to whatever the profile produced.

pub mod generic;
pub mod uk;

use super::RegistrationError;
use super::cert_binding::CertificateBinding;
use super::ssa::{SoftwareStatement, SsaError, StatementCommon};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The registration profile of a trusted directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationProfile {
    /// RFC 7591 as written: statement claims under the metadata names.
    Generic,
    /// UK Open Banking (OBIE DCR 3.3): `software_*` claims.
    Uk,
}

/// Where the software's signature keys are (RFC 7591 §2 `jwks_uri` /
/// `jwks`): they verify a signed registration request, client assertions
/// and request objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SoftwareKeys {
    /// An https URL serving the JWKS.
    Uri(String),
    /// The JWKS by value, as JSON text (validated: at least one usable
    /// signature key, no private members).
    Jwks(String),
}

/// Longest JWKS accepted by value: a handful of keys with certificates.
pub const MAX_JWKS_BY_VALUE: usize = 16 * 1024;

impl RegistrationProfile {
    /// The certificate binding when the directory's entry names none.
    pub fn default_binding(self) -> CertificateBinding {
        match self {
            Self::Generic => CertificateBinding::None,
            Self::Uk => CertificateBinding::Uk,
        }
    }

    /// Whether the registration request may carry `jwks` (keys by value)
    /// when the statement names no keys.
    pub fn accepts_request_jwks(self) -> bool {
        match self {
            Self::Generic => true,
            Self::Uk => false,
        }
    }

    /// The request's metadata with the statement's values in force
    /// (RFC 7591 §2.3).
    pub fn effective_request(
        self,
        request: &Map<String, Value>,
        ssa: &SoftwareStatement,
    ) -> Map<String, Value> {
        match self {
            Self::Generic => generic::overlay(request, ssa),
            // The UK claims have other names: what wins is read from `ssa`
            // by the metadata check (name, keys, redirect URIs, roles).
            Self::Uk => request.clone(),
        }
    }

    /// The scopes a registration of `ssa` may hold (and gets when it asks
    /// for none).
    pub fn allowed_scopes(
        self,
        ssa: &SoftwareStatement,
        role_scopes: &BTreeMap<String, Vec<String>>,
    ) -> Vec<String> {
        match (self, &ssa.scopes) {
            (Self::Generic, Some(scopes)) => scopes.clone(),
            // A generic statement without roles names nothing: the
            // directory's configured scopes, all of them.
            (Self::Generic, None) if ssa.roles.is_empty() => union(role_scopes.values()),
            _ => union(ssa.roles.iter().filter_map(|r| role_scopes.get(r))),
        }
    }
}

/// Reads the profile's claims of a statement whose signature, `iss`,
/// `iat`, `exp` and `jti` were checked (`common`).
pub fn read_statement(
    profile: RegistrationProfile,
    claims: &Map<String, Value>,
    common: StatementCommon,
) -> Result<SoftwareStatement, SsaError> {
    match profile {
        RegistrationProfile::Generic => generic::read(claims, common),
        RegistrationProfile::Uk => uk::read(claims, common),
    }
}

/// `software_status` and `org_status` are checked when present (UK OBIE
/// DCR 3.3; RFC 7591 defines neither): anything but `Active` is
/// unapproved, absence is not.
pub fn statuses_when_present(claims: &Map<String, Value>) -> Result<(), SsaError> {
    for status in ["software_status", "org_status"] {
        match claims.get(status) {
            None => {}
            Some(Value::String(s)) if s == "Active" => {}
            Some(Value::String(_)) => return Err(SsaError::NotActive(status)),
            Some(_) => return Err(SsaError::Claim(status)),
        }
    }
    Ok(())
}

/// Checks a JWKS given by value (RFC 7591 §2 `jwks`): an object with at
/// least one usable signature key, no private members, bounded in size.
/// Returns its JSON text as stored.
pub fn jwks_by_value(jwks: &Value) -> Result<String, &'static str> {
    let parsed = crate::protocol::jose::ClientJwks::from_value(jwks)
        .map_err(|_| "jwks is not a JWKS (RFC 7517 §5)")?;
    if parsed
        .skipped
        .iter()
        .any(|s| s.problem == crate::protocol::jose::JwkProblem::PrivateMembers)
    {
        return Err("jwks holds a private key");
    }
    if parsed.keys.is_empty() {
        return Err("jwks has no usable signature key (PS256, ES256 or EdDSA)");
    }
    let text = jwks.to_string();
    if text.len() > MAX_JWKS_BY_VALUE {
        return Err("jwks is too large");
    }
    Ok(text)
}

/// The keys named by `jwks_uri` or `jwks` in `members` (never both, RFC
/// 7591 §2); `Ok(None)` when neither is present.
pub fn keys_in(members: &Map<String, Value>) -> Result<Option<SoftwareKeys>, RegistrationError> {
    match (members.get("jwks_uri"), members.get("jwks")) {
        (Some(_), Some(_)) => Err(RegistrationError::metadata(
            "jwks_uri and jwks must not both be given (RFC 7591 §2)",
        )),
        (Some(Value::String(uri)), None) if uri.starts_with("https://") => {
            Ok(Some(SoftwareKeys::Uri(uri.clone())))
        }
        (Some(_), None) => Err(RegistrationError::metadata("jwks_uri must be an https URL")),
        (None, Some(jwks)) => jwks_by_value(jwks)
            .map(|text| Some(SoftwareKeys::Jwks(text)))
            .map_err(RegistrationError::metadata),
        (None, None) => Ok(None),
    }
}

fn union<'a>(lists: impl Iterator<Item = &'a Vec<String>>) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    for scope in lists.flatten() {
        if !scopes.contains(scope) {
            scopes.push(scope.clone());
        }
    }
    scopes
}
