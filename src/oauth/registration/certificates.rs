//! The transport certificate of a registration or RFC 7592 update against
//! the directory's published revocations (`revocation_endpoint`,
//! `protocol/registration/revocation.rs`): a certificate the directory
//! revoked registers nothing (RFC 8705 §2.1: it is what authenticates the
//! client), and the list read is stored with the new client so that it is
//! refused from its first request, before the trust checks' next round
//! (`trust.rs`) refreshes it. A directory without a `revocation_endpoint`
//! gives an empty list. A list that cannot be had fails the registration
//! (503), as the directory's keys do: no client is registered on a
//! certificate that could not be checked.

use crate::jwks_fetch::JwksFetcher;
use crate::oauth::op::OpState;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::registration::{revocation, status};

/// The directory `issuer`'s revoked certificates of `software_id`; an
/// error when `certificate` (`x5t#S256`) is one of them.
pub async fn check_not_revoked(
    op: &OpState,
    fetcher: &JwksFetcher,
    issuer: &str,
    software_id: &str,
    certificate: &str,
) -> Result<Vec<String>, OAuthError> {
    // The directories in force now (`oauth/live_sections`).
    let directories = op
        .services
        .sections
        .get::<crate::oauth::live_sections::TrustedDirectories>();
    let Some(template) = directories
        .iter()
        .find(|d| d.issuer == issuer)
        .and_then(|d| d.revocation_endpoint.as_deref())
    else {
        return Ok(Vec::new());
    };
    let url = status::status_url(template, software_id);
    let unavailable = || {
        OAuthError::new(
            ErrorCode::TemporarilyUnavailable,
            "the directory's revoked certificates could not be read; the transport certificate cannot be checked",
        )
    };
    let answer = fetcher.fetch_json(&url).await.map_err(|error| {
        tracing::warn!(%url, %error, "revoked certificates could not be fetched at registration");
        unavailable()
    })?;
    let revoked = revocation::parse_revoked(&answer).map_err(|error| {
        tracing::warn!(%url, %error, "revoked certificates unreadable at registration");
        unavailable()
    })?;
    if revoked.iter().any(|r| r == certificate) {
        return Err(OAuthError::invalid_request(
            "the transport certificate was revoked by its directory (RFC 8705 §2.1)",
        ));
    }
    Ok(revoked)
}
