//! `[consents]`: how long the UK OBIE consent API's records are kept in the
//! store (`consent/lifetime.rs`). The OBIE dates inside a consent
//! (`ExpirationDateTime`, transaction ranges) are the consent's own rules;
//! these are the store's bounds, so that no consent is kept forever.

use super::{Config, ConfigError};
use serde::{Deserialize, Serialize};

/// `[consents]`: store lifetimes of UK OBIE consents.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsentsConfig {
    /// Seconds a consent may await authorisation from its creation; then
    /// it lapses (it is gone: GET is 404, PAR refuses it), so consents
    /// created and never authorised do not pile up. Default `86400` (24
    /// hours). Env `FIDUCIA_CONSENTS__AWAITING_AUTHORISATION_TTL_SECS`.
    pub awaiting_authorisation_ttl_secs: u64,
    /// Seconds a consent is kept after its last status change once it left
    /// `AwaitingAuthorisation` (Authorised, Rejected, Consumed, Revoked),
    /// so the fintech can still read its status. At least as long as a
    /// grant's tokens may live (`tokens.code_ttl_secs` +
    /// `tokens.refresh_token_ttl_secs` + `tokens.access_token_ttl_secs`),
    /// so an authorised consent outlives every token issued on it. Default
    /// `7776000` (90 days). Env `FIDUCIA_CONSENTS__RETENTION_SECS`.
    pub retention_secs: u64,
}

impl Default for ConsentsConfig {
    fn default() -> Self {
        Self {
            awaiting_authorisation_ttl_secs: 86_400,
            retention_secs: 7_776_000,
        }
    }
}

/// The longest store lifetime accepted for either field: ten years.
pub const MAX_CONSENT_LIFETIME_SECS: u64 = 10 * 366 * 86_400;

/// Check `consents`: both lifetimes positive and bounded; retention covers
/// the longest-lived token of a grant.
pub(crate) fn check_consents(config: &Config) -> Result<(), ConfigError> {
    let c = &config.consents;
    let fail = |field: &str, message: String| {
        Err(ConfigError::new(format!("consents.{field}"), "consents", message))
    };
    if !(1..=MAX_CONSENT_LIFETIME_SECS).contains(&c.awaiting_authorisation_ttl_secs) {
        return fail(
            "awaiting_authorisation_ttl_secs",
            format!("must be between 1 and {MAX_CONSENT_LIFETIME_SECS} seconds"),
        );
    }
    let t = &config.tokens;
    let longest_token = t
        .code_ttl_secs
        .saturating_add(t.refresh_token_ttl_secs)
        .saturating_add(t.access_token_ttl_secs);
    if c.retention_secs < longest_token || c.retention_secs > MAX_CONSENT_LIFETIME_SECS {
        return fail(
            "retention_secs",
            format!(
                "must be between {longest_token} (code + refresh + access token lifetimes) and {MAX_CONSENT_LIFETIME_SECS} seconds"
            ),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::{load_from_str, validate};
    use std::path::Path;

    const DEV: &str = "[tls]\ndev_generate = true\n[signing]\nbackend = \"software\"\n";

    fn refused(text: &str) -> String {
        let config = load_from_str(&format!("{DEV}{text}"), Vec::new()).unwrap();
        validate(config, Path::new("/etc/fiducia")).unwrap_err().field
    }

    #[test]
    fn consent_lifetimes_default_and_are_bounded() {
        let config = load_from_str(DEV, Vec::new()).unwrap();
        let v = validate(config, Path::new("/etc/fiducia")).unwrap();
        let c = &v.get().consents;
        assert_eq!(
            (c.awaiting_authorisation_ttl_secs, c.retention_secs),
            (86_400, 7_776_000)
        );
        assert_eq!(
            refused("[consents]\nawaiting_authorisation_ttl_secs = 0\n"),
            "consents.awaiting_authorisation_ttl_secs"
        );
        // Shorter than a refresh token's 30 days: tokens would outlive it.
        assert_eq!(
            refused("[consents]\nretention_secs = 86400\n"),
            "consents.retention_secs"
        );
        let env = vec![("FIDUCIA_CONSENTS__RETENTION_SECS".to_string(), "0".to_string())];
        let config = load_from_str(DEV, env).unwrap();
        assert_eq!(
            validate(config, Path::new("/etc/fiducia")).unwrap_err().field,
            "consents.retention_secs"
        );
    }
}
