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
//! | [`brazil`] | Open Finance Brasil DCR 1.0 | `software_*` | `software_jwks_uri` (a request `jwks_uri` must equal it) | checked when present | `brazil` |
//! | [`cdr`] | CDR Register SSA, CDS DCR | RFC 7591 names plus `legal_entity_id`, `revocation_uri`, `recipient_base_uri` | `jwks_uri` (a request `jwks_uri` must equal it) | checked when present | `none` |
//!
//! The `brazil` and `cdr` profiles allow one registration per software at a
//! directory ([`RegistrationProfile::one_registration_per_software`]);
//! `cdr` also takes only signed registration requests
//! ([`RegistrationProfile::requires_signed_request`]) and requires ID
//! token encryption ([`RegistrationProfile::requires_id_token_encryption`]).
//!
//! A new ecosystem is a variant here, a file beside these, and an arm in
//! each dispatch below; `protocol::registration::metadata` applies the
//! FAPI policy to whatever the profile produced.

pub mod brazil;
pub mod cdr;
pub mod generic;
pub mod rules;
pub mod uk;

pub use rules::{
    MAX_JWKS_BY_VALUE, jwks_by_value, jwks_uri_is_the_statements, keys_in, statuses_when_present,
};

use super::RegistrationError;
use super::cert_binding::CertificateBinding;
pub use super::statement::SoftwareKeys;
use super::statement::{SoftwareStatement, SsaError, StatementCommon};
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
    /// Open Finance Brasil DCR 1.0: `software_*` claims, keys at
    /// `software_jwks_uri`, one registration per software.
    Brazil,
    /// Australia's Consumer Data Right: the CDR Register's statements,
    /// signed registration requests, one registration per software
    /// product, encrypted ID tokens.
    Cdr,
}

impl RegistrationProfile {
    /// The certificate binding when the directory's entry names none.
    pub fn default_binding(self) -> CertificateBinding {
        match self {
            Self::Generic | Self::Cdr => CertificateBinding::None,
            Self::Uk => CertificateBinding::Uk,
            Self::Brazil => CertificateBinding::Brazil,
        }
    }

    /// Whether the registration request may carry `jwks` (keys by value)
    /// when the statement names no keys.
    pub fn accepts_request_jwks(self) -> bool {
        match self {
            Self::Generic => true,
            Self::Uk | Self::Brazil | Self::Cdr => false,
        }
    }

    /// Whether the registration request must be a JWT signed by the
    /// software's key (CDS DCR "Registration Request using JWT": a JSON
    /// body is refused). Other profiles take either.
    pub fn requires_signed_request(self) -> bool {
        matches!(self, Self::Cdr)
    }

    /// Whether a registration must ask for encrypted ID tokens
    /// (`id_token_encrypted_response_alg` / `_enc`; CDS DCR).
    pub fn requires_id_token_encryption(self) -> bool {
        matches!(self, Self::Cdr)
    }

    /// The profile's own rules on the request beside the statement, before
    /// the metadata policy: under `brazil`, a `jwks_uri` sent must be the
    /// statement's `software_jwks_uri`.
    pub fn check_request(
        self,
        request: &Map<String, Value>,
        ssa: &SoftwareStatement,
    ) -> Result<(), RegistrationError> {
        match self {
            Self::Brazil => brazil::check_request(request, ssa),
            Self::Cdr => jwks_uri_is_the_statements(request, ssa, "jwks_uri (CDS DCR)"),
            Self::Generic | Self::Uk => Ok(()),
        }
    }

    /// Whether a software may hold only one registration at a directory of
    /// this profile (Open Finance Brasil DCR 1.0 §7.1, CDS DCR: a second
    /// `POST /register` is refused; the registration is updated through
    /// RFC 7592).
    pub fn one_registration_per_software(self) -> bool {
        match self {
            Self::Brazil | Self::Cdr => true,
            Self::Generic | Self::Uk => false,
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
            // by the metadata check (name, keys, redirect URIs, roles,
            // scopes).
            Self::Uk | Self::Brazil | Self::Cdr => request.clone(),
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
            (Self::Generic | Self::Cdr, Some(scopes)) => scopes.clone(),
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
        RegistrationProfile::Brazil => brazil::read(claims, common),
        RegistrationProfile::Cdr => cdr::read(claims, common),
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
