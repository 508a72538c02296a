//! `[[resource_servers]]`: resource servers (the bank's API gateway) that
//! may call the introspection endpoint (RFC 7662 §2.1: "the protected
//! resource ... authenticate[s]") without being OAuth clients.
//!
//! Least privilege: a resource server is not in the client registry, so
//! PAR, token, revocation and userinfo do not know it (`invalid_client`);
//! it can only introspect. It authenticates like an RFC 8705 §2.1
//! `tls_client_auth` client: a certificate that chains to `tls.client_ca`
//! and whose subject DN matches the configured one (RFC 4517
//! distinguishedNameMatch). No shared secret exists to leak or log. Each use
//! writes an audit line (target `fiducia::audit`: resource server id, token
//! client, active or not; never the token).
//!
//! ```toml
//! [[resource_servers]]
//! id = "api-gateway"
//! tls_client_auth_subject_dn = "CN=api-gateway,OU=platform,O=Bank,C=GB"
//! ```
//!
//! One with `interaction_login_url` is the bank's login and consent app
//! (an interaction app): it may call the interaction API, authenticated
//! the same way, and only for the interactions handed to it
//! (`config/interaction_apps.rs`).

use super::Config;
use super::load::ConfigError;
use crate::protocol::client_auth::DistinguishedName;
use crate::protocol::client_auth::TokenEndpointAuthMethod;
use serde::{Deserialize, Serialize};

/// One `[[resource_servers]]` entry. Arrays of tables have no environment
/// override; set them in the file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceServerConfig {
    /// Its identifier, sent as `client_id` at `/introspect` and the `aud`
    /// of JWT introspection responses (RFC 9701 §5). Must not be a
    /// client's `client_id`. Required.
    pub id: String,
    /// The RFC 4514 subject DN its certificate must carry (RFC 8705
    /// §2.1.2 semantics); must differ from every `tls_client_auth`
    /// client's, so that no fintech certificate can act as the gateway.
    /// Required.
    pub tls_client_auth_subject_dn: String,
    /// Makes this resource server an interaction app: the bank's own login
    /// and consent app, which may call the interaction API
    /// (`/interaction-api/...`) for the interactions handed to it. The
    /// https URL the browser is sent to from `/authorize`, with the
    /// interaction id added as `interaction_id` to its query. A client's
    /// interactions are handed to it by `[login] interaction_app` or the
    /// client's own `interaction_app`. Default none: it may not call the
    /// interaction API.
    #[serde(default)]
    pub interaction_login_url: Option<String>,
    /// An interaction app's calls per second to the interaction API (a
    /// token bucket per node: N nodes admit up to N × this; beyond it: 429
    /// with `Retry-After`). 1 to 1,000,000. Default `200`.
    #[serde(default = "default_interaction_rate")]
    pub interaction_requests_per_second: u32,
    /// The bucket's size: the burst allowed above the rate. 1 to
    /// 1,000,000. Default `400`.
    #[serde(default = "default_interaction_burst")]
    pub interaction_burst: u32,
    /// An interaction app's public keys as a JWKS file: the app may then
    /// authenticate each interaction-API call with a `client_assertion`
    /// (`private_key_jwt`, RFC 7523 §2.2, OIDC Core §9) instead of its
    /// certificate. Not with `jwks_uri`; interaction apps only; refused
    /// through the Config API (a path on one node's disk). Default none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_file: Option<std::path::PathBuf>,
    /// The same keys fetched from an https URL (cached, fetched again for
    /// an unknown `kid`). Not with `jwks_file`; interaction apps only.
    /// Default none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// Where the OP posts revocation notices for this resource server (the
    /// API gateway's admin listener, `http://10.0.0.5:9091/revocations`):
    /// a signed JWT naming the SHA-256 of each access token revoked and
    /// each revoked grant, so the gateway drops its cached introspection
    /// answers at once (`oauth/revocation_notices/`). An absolute `http` or
    /// `https` URL with a host and no user info or fragment; plain `http`
    /// is allowed because the admin listener is plain HTTP on a private
    /// address and the notice is signed. Read from the live configuration
    /// (Config API changes apply to the next delivery). Default none: no
    /// notices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_notice_url: Option<String>,
}

impl ResourceServerConfig {
    /// Whether this interaction app may authenticate with a client assertion.
    pub fn has_keys(&self) -> bool {
        self.jwks_file.is_some() || self.jwks_uri.is_some()
    }
}

fn default_interaction_rate() -> u32 {
    200
}

fn default_interaction_burst() -> u32 {
    400
}

/// Ids unique and not client ids; DNs parse and belong to no client.
pub(super) fn check_resource_servers(config: &Config) -> Result<(), ConfigError> {
    const CHECK: &str = "resource_servers";
    let mut seen = std::collections::BTreeSet::new();
    let client_dns: Vec<DistinguishedName> = config
        .clients
        .iter()
        .filter(|c| c.token_endpoint_auth_method == TokenEndpointAuthMethod::TlsClientAuth)
        .filter_map(|c| c.tls_client_auth_subject_dn.as_deref())
        .filter_map(|dn| DistinguishedName::parse_rfc4514(dn).ok())
        .collect();
    for rs in &config.resource_servers {
        let field = |name: &str| format!("resource_servers.{}.{name}", rs.id);
        if rs.id.is_empty() || !seen.insert(rs.id.as_str()) {
            return Err(ConfigError::new(field("id"), CHECK, "empty or duplicate id"));
        }
        if config.clients.iter().any(|c| c.client_id == rs.id) {
            return Err(ConfigError::new(
                field("id"),
                CHECK,
                "a client has this client_id: a resource server is not a client",
            ));
        }
        if let Some(url) = &rs.revocation_notice_url {
            check_notice_url(url).map_err(|m| ConfigError::new(field("revocation_notice_url"), CHECK, m))?;
        }
        let dn = DistinguishedName::parse_rfc4514(&rs.tls_client_auth_subject_dn)
            .map_err(|e| ConfigError::new(field("tls_client_auth_subject_dn"), CHECK, e.to_string()))?;
        if client_dns.iter().any(|c| c.matches(&dn)) {
            return Err(ConfigError::new(
                field("tls_client_auth_subject_dn"),
                CHECK,
                "a tls_client_auth client has this subject DN: give the resource server its own certificate",
            ));
        }
    }
    if !config.resource_servers.is_empty() && config.tls.client_ca.is_empty() {
        return Err(ConfigError::new(
            "tls.client_ca",
            CHECK,
            "resource servers authenticate with certificates: list the CAs they chain to",
        ));
    }
    Ok(())
}

/// A notice URL: absolute `http` or `https` with a host, no user info (a
/// credential in a URL ends up in logs), no fragment (RFC 3986 §3.5: never
/// sent).
fn check_notice_url(url: &str) -> Result<(), &'static str> {
    let uri: http::Uri = url
        .parse()
        .map_err(|_| "not a URL: expected e.g. http://10.0.0.5:9091/revocations")?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err("must be an http or https URL");
    }
    let authority = uri.authority().ok_or("must have a host")?;
    if authority.host().is_empty() {
        return Err("must have a host");
    }
    if authority.as_str().contains('@') {
        return Err("must not carry user info");
    }
    if url.contains('#') {
        return Err("must not carry a fragment");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::{load_from_str, validate};
    use std::path::Path;

    const BASE: &str = "[tls]\ndev_generate = true\n[signing]\nbackend = \"software\"\n";

    fn check(extra: &str) -> Result<(), String> {
        let config = load_from_str(&format!("{BASE}{extra}"), Vec::new()).map_err(|e| e.to_string())?;
        validate(config, Path::new("/tmp"))
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    const CLIENT: &str = r#"
[[clients]]
client_id = "fintech"
client_name = "Fintech"
redirect_uris = ["https://fintech.example/cb"]
token_endpoint_auth_method = "tls_client_auth"
tls_client_auth_subject_dn = "CN=fintech,O=Org,C=GB"
"#;

    #[test]
    fn a_gateway_with_its_own_dn_passes_rfc8705_s2_1() {
        let gw = "[[resource_servers]]\nid = \"gw\"\ntls_client_auth_subject_dn = \"CN=gw,O=Bank,C=GB\"\n";
        assert_eq!(check(&format!("{CLIENT}{gw}")), Ok(()));
    }

    #[test]
    fn a_gateway_may_not_share_a_client_id_or_dn() {
        let same_id =
            "[[resource_servers]]\nid = \"fintech\"\ntls_client_auth_subject_dn = \"CN=gw,O=Bank,C=GB\"\n";
        assert!(
            check(&format!("{CLIENT}{same_id}"))
                .unwrap_err()
                .contains("resource_servers.fintech.id")
        );
        // RFC 4517 distinguishedNameMatch: case and spacing do not make a DN different.
        let same_dn =
            "[[resource_servers]]\nid = \"gw\"\ntls_client_auth_subject_dn = \"cn=FINTECH, o=Org, c=GB\"\n";
        assert!(
            check(&format!("{CLIENT}{same_dn}"))
                .unwrap_err()
                .contains("subject DN")
        );
        let bad_dn = "[[resource_servers]]\nid = \"gw\"\ntls_client_auth_subject_dn = \"not a dn\"\n";
        assert!(check(bad_dn).is_err());
        let twice = "[[resource_servers]]\nid = \"gw\"\ntls_client_auth_subject_dn = \"CN=a\"\n[[resource_servers]]\nid = \"gw\"\ntls_client_auth_subject_dn = \"CN=b\"\n";
        assert!(check(twice).unwrap_err().contains("duplicate"));
    }

    #[test]
    fn a_notice_url_is_an_http_or_https_url_with_a_host() {
        let gw = |url: &str| {
            format!(
                "[[resource_servers]]\nid = \"gw\"\ntls_client_auth_subject_dn = \"CN=gw,O=Bank,C=GB\"\nrevocation_notice_url = \"{url}\"\n"
            )
        };
        assert_eq!(check(&gw("http://10.0.0.5:9091/revocations")), Ok(()));
        assert_eq!(check(&gw("https://gw.bank.internal/revocations")), Ok(()));
        for bad in [
            "ftp://gw/revocations",
            "/revocations",
            "http://user:pw@gw/revocations",
            "http://gw/revocations#x",
        ] {
            let error = check(&gw(bad)).unwrap_err();
            assert!(
                error.contains("resource_servers.gw.revocation_notice_url"),
                "{bad}: {error}"
            );
        }
    }
}
