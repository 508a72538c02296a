//! The `brazil` profile: Open Finance Brasil DCR 1.0 (Dynamic Client
//! Registration Profile, §7.1 "Authorization server"), software statements
//! as the Directory of Participants issues them.
//!
//! Claims: `software_id` and `org_id` (required: the certificate binding
//! names both), `org_name`, `software_client_name` (the client's name;
//! default the `software_id`), `software_redirect_uris` and
//! `software_roles` (required, non-empty: `DADOS`, `PAGTO`, ... mapped to
//! scopes by the directory's `role_scopes`), `software_jwks_uri`
//! (required, https: the software's keys; the request may not bring keys
//! by value). `software_client_id` is the directory's own name for the
//! software and is not used as our `client_id` (RFC 7591 §3.2.1: the OP
//! issues it). `software_status` / `org_status` are `Active` when present.
//!
//! Rules beside the claims:
//! - the request's `jwks_uri`, when sent, must be the statement's
//!   `software_jwks_uri` (DCR 1.0 §7.1: the server validates that the
//!   `jwks_uri` matches the `software_jwks_uri` of the statement), else
//!   `invalid_client_metadata` ([`check_request`]);
//! - one active registration per software at a directory (DCR 1.0 §7.1:
//!   a software registers once per authorisation server and manages that
//!   registration through RFC 7592): the caller refuses a second
//!   `POST /register` (`oauth::registration::register`);
//! - default certificate binding `brazil` (UID = `software_id`,
//!   organizationIdentifier 2.5.4.97 = `OFBBR-<org_id>`; Padrão de
//!   Certificados Open Finance Brasil 2.0 §"Certificado de transporte").

use super::super::RegistrationError;
use super::super::statement::{
    SoftwareKeys, SoftwareStatement, SsaError, StatementCommon, optional, required, string_array,
};
use super::rules::{jwks_uri_is_the_statements, statuses_when_present};
use serde_json::{Map, Value};

/// Reads a Brazilian statement.
pub fn read(c: &Map<String, Value>, common: StatementCommon) -> Result<SoftwareStatement, SsaError> {
    statuses_when_present(c)?;
    let software_id = required(c, "software_id")?;
    let jwks_uri = required(c, "software_jwks_uri")?;
    if !jwks_uri.starts_with("https://") {
        return Err(SsaError::Claim("software_jwks_uri"));
    }
    Ok(SoftwareStatement {
        org_id: required(c, "org_id")?,
        org_name: optional(c, "org_name")?,
        client_name: Some(optional(c, "software_client_name")?.unwrap_or_else(|| software_id.clone())),
        redirect_uris: Some(string_array(c, "software_redirect_uris")?),
        roles: string_array(c, "software_roles")?,
        scopes: None,
        keys: Some(SoftwareKeys::Uri(jwks_uri)),
        metadata: Map::new(),
        software_id,
        common,
    })
}

/// Open Finance Brasil DCR 1.0 §7.1: a `jwks_uri` in the request must be
/// the statement's `software_jwks_uri` (the keys are the ones the
/// directory publishes for the software).
pub fn check_request(request: &Map<String, Value>, ssa: &SoftwareStatement) -> Result<(), RegistrationError> {
    jwks_uri_is_the_statements(
        request,
        ssa,
        "software_jwks_uri (Open Finance Brasil DCR 1.0 §7.1)",
    )
}
