//! The `generic` profile: RFC 7591 as written (§2, §2.3, §3.1.1). The
//! statement carries client metadata under the metadata's own names, and
//! its values take precedence over the request's.
//!
//! Claims read:
//! - `software_id` (required here: it names the software for the
//!   certificate binding, single use and status checks); `org_id`,
//!   `org_name` optional;
//! - `client_name`: the client's name (else the request's, else the
//!   `software_id`);
//! - `redirect_uris`: when present, the request's must be among them
//!   (default: all of them); absent, the request's apply;
//! - `jwks_uri` or `jwks` (by value, never both): the software's keys;
//!   absent, the request's `jwks_uri` or `jwks` are registered;
//! - `scope`: when present, the most a registration may hold (default: all
//!   of it); absent, the directory's `role_scopes` of the statement's
//!   `software_roles`, or all of them when it has no roles;
//! - [`STATEMENT_WINS`]: any of these members in the statement replaces the
//!   request's;
//! - `software_status` / `org_status`: optional, `Active` when present.
//!
//! Default certificate binding `none`: the transport certificate must
//! chain to `tls.client_ca`, and is what `tls_client_auth` registers, but
//! its subject is not compared with the statement.

use super::super::statement::SoftwareKeys;
use super::super::statement::{SoftwareStatement, SsaError, StatementCommon, optional, required};
use super::rules::{jwks_by_value, statuses_when_present};
use serde_json::{Map, Value};

/// Client metadata members (RFC 7591 §2, OIDC Registration §2, RFC 8705
/// §2.1.2 and §3.4, RFC 9449 §5.2, RFC 9396 §10, JARM §3, RFC 9101 §10.5)
/// whose statement value replaces the request's.
pub const STATEMENT_WINS: &[&str] = &[
    "client_name",
    "token_endpoint_auth_method",
    "token_endpoint_auth_signing_alg",
    "grant_types",
    "response_types",
    "id_token_signed_response_alg",
    "authorization_signed_response_alg",
    "request_object_signing_alg",
    "require_signed_request_object",
    "authorization_details_types",
    "dpop_bound_access_tokens",
    "tls_client_certificate_bound_access_tokens",
    "tls_client_auth_subject_dn",
];

/// Reads a generic statement.
pub fn read(c: &Map<String, Value>, common: StatementCommon) -> Result<SoftwareStatement, SsaError> {
    statuses_when_present(c)?;
    let keys = match (c.get("jwks_uri"), c.get("jwks")) {
        (Some(_), Some(_)) => return Err(SsaError::Claim("jwks")),
        (Some(Value::String(uri)), None) if uri.starts_with("https://") => {
            Some(SoftwareKeys::Uri(uri.clone()))
        }
        (Some(_), None) => return Err(SsaError::Claim("jwks_uri")),
        (None, Some(jwks)) => Some(SoftwareKeys::Jwks(
            jwks_by_value(jwks).map_err(|_| SsaError::Claim("jwks"))?,
        )),
        (None, None) => None,
    };
    let redirect_uris = match c.get("redirect_uris") {
        None => None,
        Some(_) => Some(non_empty_strings(c, "redirect_uris")?),
    };
    let scopes = match c.get("scope") {
        None => None,
        Some(Value::String(s)) => Some(
            s.split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        ),
        Some(_) => return Err(SsaError::Claim("scope")),
    };
    let roles = match c.get("software_roles") {
        None => Vec::new(),
        Some(_) => non_empty_strings(c, "software_roles")?,
    };
    let metadata = STATEMENT_WINS
        .iter()
        .filter_map(|name| Some((name.to_string(), c.get(*name)?.clone())))
        .collect();
    Ok(SoftwareStatement {
        software_id: required(c, "software_id")?,
        org_id: optional(c, "org_id")?.unwrap_or_default(),
        org_name: optional(c, "org_name")?,
        client_name: optional(c, "client_name")?,
        redirect_uris,
        roles,
        scopes,
        keys,
        metadata,
        common,
    })
}

/// RFC 7591 §2.3: the request's members with the statement's
/// [`STATEMENT_WINS`] members in their place.
pub fn overlay(request: &Map<String, Value>, ssa: &SoftwareStatement) -> Map<String, Value> {
    let mut merged = request.clone();
    for (name, value) in &ssa.metadata {
        merged.insert(name.clone(), value.clone());
    }
    merged
}

fn non_empty_strings(c: &Map<String, Value>, name: &'static str) -> Result<Vec<String>, SsaError> {
    super::super::statement::string_array(c, name)
}
