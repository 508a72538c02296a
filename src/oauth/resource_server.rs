//! Authenticating a resource server (`[[resource_servers]]`, the API
//! gateway) at the introspection endpoint: it names itself with
//! `client_id` and presents its certificate, which must chain to
//! `tls.client_ca` and carry the configured subject DN (RFC 8705 §2.1,
//! RFC 4517 distinguishedNameMatch). No other method exists for it (no
//! assertion, no secret), and no other endpoint knows it: it is not a client.
//! The resource servers are the ones this node runs now
//! (`oauth/live_sections`, changed live through the Config API): one added
//! authenticates on its next call, one removed is refused on its next
//! call (its id then names no resource server, and as no client either it
//! is `invalid_client`).

use crate::config::ResourceServerConfig;
use crate::oauth::caller::Caller;
use crate::oauth::live_sections::ResourceServers;
use crate::oauth::op::OpState;
use crate::protocol::client_auth::subject_dn_matches;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::form::Form;

/// The resource server named by the form's `client_id`, authenticated;
/// `Ok(None)` when the id names no resource server (then it may be a
/// client); `invalid_client` when it names one that fails to authenticate.
pub fn authenticate(
    op: &OpState,
    form: &Form,
    caller: &Caller,
) -> Result<Option<ResourceServerConfig>, OAuthError> {
    let Some(id) = form.get("client_id") else {
        return Ok(None);
    };
    let servers = op.services.sections.get::<ResourceServers>();
    let Some(rs) = servers.iter().find(|rs| rs.id == id) else {
        return Ok(None);
    };
    let result = check(rs, form, caller);
    if let Err(e) = &result {
        tracing::warn!(target: "fiducia::audit", resource_server = %rs.id, error = %e, "resource server authentication failed");
    }
    result.map(|rs| Some(rs.clone()))
}

fn check<'a>(
    rs: &'a ResourceServerConfig,
    form: &Form,
    caller: &Caller,
) -> Result<&'a ResourceServerConfig, OAuthError> {
    if form.get("client_assertion").is_some() || form.get("client_secret").is_some() {
        return Err(invalid_client(
            "a resource server authenticates with its certificate only",
        ));
    }
    let cert = caller
        .client_cert
        .as_ref()
        .ok_or_else(|| invalid_client("no client certificate was presented (RFC 8705 §2)"))?;
    if !cert.chain_verified() {
        return Err(invalid_client(
            "the certificate does not chain to a trusted CA (RFC 8705 §2.1)",
        ));
    }
    match subject_dn_matches(&rs.tls_client_auth_subject_dn, cert.leaf()) {
        Ok(true) => Ok(rs),
        Ok(false) | Err(_) => Err(invalid_client(
            "the certificate's subject is not the resource server's (RFC 8705 §2.1.2)",
        )),
    }
}

fn invalid_client(description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClient, description)
}
