//! `[login.upstream]`: the bank's own OpenID Provider, to which the
//! customer's login is delegated (Fiducia as its relying party,
//! `oauth/upstream/`). Off unless the section is present. Clients use it
//! when their `interaction_app` (or `[login] interaction_app`) is
//! `"upstream"`. Checked at start-up.
//!
//! ```toml
//! [login]
//! interaction_app = "upstream"
//!
//! [login.upstream]
//! issuer = "https://idp.bank.example"
//! client_id = "fiducia-op"
//! scopes = ["openid", "profile", "email"]
//! claims_map = { name = "name", email = "email" }
//! acr_map = { "urn:bank:loa:high" = "urn:openbanking:psd2:sca" }
//! provision = false
//! ```

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `interaction_app` value naming the upstream OpenID Provider.
pub const UPSTREAM: &str = "upstream";
/// The longest lifetime of a pending upstream login accepted, in seconds.
pub const MAX_TTL_SECS: u64 = 3_600;
/// The customer claims a mapped upstream claim may fill (OIDC Core §5.1,
/// the fields of a customer record).
pub const CUSTOMER_CLAIMS: &[&str] = &[
    "name",
    "given_name",
    "family_name",
    "email",
    "email_verified",
    "phone_number",
    "phone_number_verified",
    "birthdate",
];

/// `[login.upstream]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamLoginConfig {
    /// The upstream's issuer identifier, an https URL; its metadata is read
    /// from `{issuer}/.well-known/openid-configuration` (OIDC Discovery
    /// §4), whose `issuer` must be exactly this (§4.3). Required.
    /// Env `FIDUCIA_LOGIN__UPSTREAM__ISSUER`.
    pub issuer: String,
    /// Fiducia's `client_id` at the upstream. Required.
    /// Env `FIDUCIA_LOGIN__UPSTREAM__CLIENT_ID`.
    pub client_id: String,
    /// Scopes asked of the upstream; must hold `openid`. Default
    /// `["openid"]`. Env `FIDUCIA_LOGIN__UPSTREAM__SCOPES` (a TOML array).
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// Push the authorization request (RFC 9126) first. Default: when the
    /// upstream's metadata has `pushed_authorization_request_endpoint`.
    /// Env `FIDUCIA_LOGIN__UPSTREAM__USE_PAR`.
    #[serde(default)]
    pub use_par: Option<bool>,
    /// Upstream ID token claim name -> customer claim name (one of
    /// [`CUSTOMER_CLAIMS`]); only mapped claims are kept. Default empty.
    #[serde(default)]
    pub claims_map: BTreeMap<String, String>,
    /// Whether an upstream `sub` that no customer is linked to gets a new
    /// customer record (`true`) or is refused with an error page
    /// (`false`). Default `false`. Env `FIDUCIA_LOGIN__UPSTREAM__PROVISION`.
    #[serde(default)]
    pub provision: bool,
    /// Upstream `acr` -> the `acr` Fiducia reports (e.g. the UK OBIE
    /// `urn:openbanking:psd2:sca`). An upstream `acr` not mapped is
    /// reported as none, never as SCA. Default empty.
    #[serde(default)]
    pub acr_map: BTreeMap<String, String>,
    /// Seconds the customer has at the upstream: the pending `state`,
    /// `nonce` and PKCE verifier expire with it (1 to 3600). Default `300`.
    /// Env `FIDUCIA_LOGIN__UPSTREAM__TTL_SECS`.
    #[serde(default = "default_ttl")]
    pub ttl_secs: u64,
    /// Seconds the upstream's metadata and JWKS are kept before they are
    /// read again (60 to 86400; an ID token naming an unknown `kid`
    /// refreshes the JWKS at once, at most once a minute). Default `3600`.
    /// Env `FIDUCIA_LOGIN__UPSTREAM__METADATA_TTL_SECS`.
    #[serde(default = "default_metadata_ttl")]
    pub metadata_ttl_secs: u64,
}

fn default_scopes() -> Vec<String> {
    vec!["openid".into()]
}

fn default_ttl() -> u64 {
    300
}

fn default_metadata_ttl() -> u64 {
    3_600
}

impl UpstreamLoginConfig {
    /// What start-up refuses, as (field, message).
    pub(crate) fn problem(&self) -> Option<(String, String)> {
        let field = |name: &str, message: &str| Some((format!("login.upstream.{name}"), message.to_owned()));
        if let Err(message) = check_issuer(&self.issuer) {
            return field("issuer", &message);
        }
        let printable = |s: &str| !s.is_empty() && s.len() <= 255 && s.bytes().all(|b| b.is_ascii_graphic());
        if !printable(&self.client_id) {
            return field("client_id", "must be 1 to 255 printable ASCII characters");
        }
        if !self.scopes.iter().any(|s| s == "openid") || !self.scopes.iter().all(|s| printable(s)) {
            return field(
                "scopes",
                "must hold `openid` (OIDC Core §3.1.2.1) and only printable scope tokens",
            );
        }
        if let Some((_, to)) = self
            .claims_map
            .iter()
            .find(|(_, to)| !CUSTOMER_CLAIMS.contains(&to.as_str()))
        {
            return field(
                "claims_map",
                &format!(
                    "`{to}` is no customer claim: use one of {}",
                    CUSTOMER_CLAIMS.join(", ")
                ),
            );
        }
        if self.claims_map.keys().any(|from| !printable(from))
            || self
                .acr_map
                .iter()
                .any(|(from, to)| !printable(from) || !printable(to))
        {
            return field(
                "acr_map",
                "names and values must be 1 to 255 printable ASCII characters",
            );
        }
        if !(1..=MAX_TTL_SECS).contains(&self.ttl_secs) {
            return field("ttl_secs", "must be between 1 and 3600 seconds");
        }
        if !(60..=86_400).contains(&self.metadata_ttl_secs) {
            return field("metadata_ttl_secs", "must be between 60 and 86400 seconds");
        }
        None
    }
}

/// OIDC Discovery §2: an https URL with a host, no query and no fragment.
fn check_issuer(issuer: &str) -> Result<(), String> {
    let uri: http::Uri = issuer
        .parse()
        .map_err(|e| format!("`{issuer}` is not a URL: {e}"))?;
    if uri.scheme_str() != Some("https") {
        return Err("must be an https URL (OIDC Discovery §2)".into());
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err("has no host".into());
    }
    if issuer.contains('?') || issuer.contains('#') {
        return Err("must have no query and no fragment (OIDC Discovery §2)".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::{load_from_str, validate};
    use std::path::Path;

    const BASE: &str =
        "[tls]\ndev_generate = true\nclient_ca = [\"/tmp/ca.pem\"]\n[signing]\nbackend = \"software\"\n";

    fn check(login: &str, env: &[(&str, &str)]) -> Result<(), String> {
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let config = load_from_str(&format!("{BASE}{login}"), env).map_err(|e| e.to_string())?;
        validate(config, Path::new("/tmp"))
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    const GOOD: &str = "[login]\ninteraction_app = \"upstream\"\n[login.upstream]\nissuer = \"https://idp.bank.example\"\nclient_id = \"fiducia\"\n";

    /// The section's rules: an https issuer (OIDC Discovery §2), `openid`
    /// asked (OIDC Core §3.1.2.1), mapped claims that a customer record
    /// holds, a bounded lifetime; `"upstream"` needs the section.
    #[test]
    fn the_upstream_section_is_checked_at_start_up() {
        let ok = check(GOOD, &[]);
        assert!(
            ok.as_ref().is_ok() || ok.as_ref().is_err_and(|e| !e.contains("upstream")),
            "{ok:?}"
        );
        let plain = check(
            GOOD,
            &[("FIDUCIA_LOGIN__UPSTREAM__ISSUER", "http://idp.bank.example")],
        )
        .unwrap_err();
        assert!(plain.contains("login.upstream.issuer"), "{plain}");
        let ttl = check(GOOD, &[("FIDUCIA_LOGIN__UPSTREAM__TTL_SECS", "0")]).unwrap_err();
        assert!(ttl.contains("login.upstream.ttl_secs"), "{ttl}");
        let scopes = check(GOOD, &[("FIDUCIA_LOGIN__UPSTREAM__SCOPES", "[\"profile\"]")]).unwrap_err();
        assert!(scopes.contains("login.upstream.scopes"), "{scopes}");
        let claims = check(&format!("{GOOD}claims_map = {{ x = \"password_hash\" }}\n"), &[]).unwrap_err();
        assert!(claims.contains("login.upstream.claims_map"), "{claims}");
        let missing = check("[login]\ninteraction_app = \"upstream\"\n", &[]).unwrap_err();
        assert!(missing.contains("login.interaction_app"), "{missing}");
    }
}
