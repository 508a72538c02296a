//! The `uk` profile: UK Open Banking DCR 3.3 software statements, as the
//! OBIE Directory issues them.
//!
//! Claims: `software_id`, `org_id` (required), `org_name`,
//! `software_client_name` (the client's name; default the
//! `software_id`), `software_redirect_uris` and `software_roles` (required,
//! non-empty), `software_jwks_endpoint` (required: the software's keys;
//! the request may not bring keys by value). `software_status` and
//! `org_status` must be `Active` when present (absent: not refused).
//! Default certificate binding `uk` (CN = `software_id`, OU = `org_id`).

use super::super::statement::SoftwareKeys;
use super::super::statement::{
    SoftwareStatement, SsaError, StatementCommon, optional, required, string_array,
};
use super::rules::statuses_when_present;
use serde_json::{Map, Value};

/// Reads a UK statement.
pub fn read(c: &Map<String, Value>, common: StatementCommon) -> Result<SoftwareStatement, SsaError> {
    statuses_when_present(c)?;
    let software_id = required(c, "software_id")?;
    Ok(SoftwareStatement {
        org_id: required(c, "org_id")?,
        org_name: optional(c, "org_name")?,
        client_name: Some(optional(c, "software_client_name")?.unwrap_or_else(|| software_id.clone())),
        redirect_uris: Some(string_array(c, "software_redirect_uris")?),
        roles: string_array(c, "software_roles")?,
        scopes: None,
        keys: Some(SoftwareKeys::Uri(required(c, "software_jwks_endpoint")?)),
        metadata: Map::new(),
        software_id,
        common,
    })
}
