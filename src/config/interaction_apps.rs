//! Interaction apps: the bank's own login and consent apps
//! (`[[resource_servers]]` with an `interaction_login_url`) and which
//! clients' interactions they run (`[login] interaction_app`, a static
//! client's `interaction_app`). Checked at start-up.
//!
//! ```toml
//! [login]
//! interaction_app = "bank-login"
//!
//! [[resource_servers]]
//! id = "bank-login"
//! tls_client_auth_subject_dn = "CN=bank-login,OU=platform,O=Bank,C=GB"
//! interaction_login_url = "https://login.bank.example/op-login"
//! ```

use super::Config;
use super::load::ConfigError;

/// A client's `interaction_app` naming the built-in pages.
pub const BUILT_IN: &str = "built-in";
/// The longest lifetime of an app's interaction accepted, in seconds.
pub const MAX_TTL_SECS: u64 = 3_600;

const CHECK: &str = "interaction_apps";

/// Login URLs are absolute https URLs without a fragment; every
/// `interaction_app` names a resource server with one; the lifetime is
/// bounded; no two interaction apps share a certificate subject (the API
/// finds the calling app by its certificate).
pub(super) fn check_interaction_apps(config: &Config) -> Result<(), ConfigError> {
    let mut apps = Vec::new();
    for rs in &config.resource_servers {
        check_keys(rs)?;
        let Some(url) = &rs.interaction_login_url else {
            continue;
        };
        let field = format!("resource_servers.{}.interaction_login_url", rs.id);
        check_login_url(url).map_err(|m| ConfigError::new(&field, CHECK, m))?;
        for (name, value) in [
            (
                "interaction_requests_per_second",
                rs.interaction_requests_per_second,
            ),
            ("interaction_burst", rs.interaction_burst),
        ] {
            if !(1..=1_000_000).contains(&value) {
                return Err(ConfigError::new(
                    format!("resource_servers.{}.{name}", rs.id),
                    CHECK,
                    "must be between 1 and 1000000",
                ));
            }
        }
        let dn =
            crate::protocol::client_auth::DistinguishedName::parse_rfc4514(&rs.tls_client_auth_subject_dn)
                .map_err(|e| ConfigError::new(&field, CHECK, e.to_string()))?;
        if apps
            .iter()
            .any(|other: &crate::protocol::client_auth::DistinguishedName| other.matches(&dn))
        {
            return Err(ConfigError::new(
                format!("resource_servers.{}.tls_client_auth_subject_dn", rs.id),
                CHECK,
                "two interaction apps have this subject DN: the interaction API tells them apart by their certificates",
            ));
        }
        apps.push(dn);
    }
    // `"upstream"`: the `[login.upstream]` OpenID Provider, when configured
    // (`config/upstream.rs`); no resource server may take that id.
    let upstream = super::upstream::UPSTREAM;
    if config.resource_servers.iter().any(|rs| rs.id == upstream) {
        return Err(ConfigError::new(
            "resource_servers.upstream",
            CHECK,
            "`upstream` names the [login.upstream] OpenID Provider: choose another id",
        ));
    }
    let is_app = |id: &str| {
        (id == upstream && config.login.upstream.is_some())
            || config
                .resource_servers
                .iter()
                .any(|rs| rs.id == id && rs.interaction_login_url.is_some())
    };
    if let Some(app) = &config.login.interaction_app
        && !is_app(app)
    {
        return Err(ConfigError::new(
            "login.interaction_app",
            CHECK,
            "names no [[resource_servers]] entry with an interaction_login_url",
        ));
    }
    for client in &config.clients {
        if let Some(app) = &client.interaction_app
            && app != BUILT_IN
            && !is_app(app)
        {
            return Err(ConfigError::new(
                format!("clients.{}.interaction_app", client.client_id),
                CHECK,
                "names no [[resource_servers]] entry with an interaction_login_url (or \"built-in\")",
            ));
        }
    }
    if !(1..=MAX_TTL_SECS).contains(&config.login.interaction_app_ttl_secs) {
        return Err(ConfigError::new(
            "login.interaction_app_ttl_secs",
            CHECK,
            format!("must be between 1 and {MAX_TTL_SECS} seconds"),
        ));
    }
    Ok(())
}

/// An app's `private_key_jwt` keys (RFC 7523 §2.2): on interaction apps
/// only, `jwks_file` or `jwks_uri` (https) but not both, a file that holds
/// a usable JWKS.
fn check_keys(rs: &crate::config::ResourceServerConfig) -> Result<(), ConfigError> {
    let field = |name: &str| format!("resource_servers.{}.{name}", rs.id);
    if !rs.has_keys() {
        return Ok(());
    }
    if rs.interaction_login_url.is_none() {
        return Err(ConfigError::new(
            field("jwks_file"),
            CHECK,
            "only an interaction app (with interaction_login_url) authenticates with a client assertion",
        ));
    }
    match (&rs.jwks_file, &rs.jwks_uri) {
        (Some(_), Some(_)) => Err(ConfigError::new(
            field("jwks_uri"),
            CHECK,
            "give jwks_file or jwks_uri, not both",
        )),
        (Some(path), None) => {
            let bytes = std::fs::read(path).map_err(|e| {
                ConfigError::new(field("jwks_file"), CHECK, format!("{}: {e}", path.display()))
            })?;
            crate::protocol::jose::ClientJwks::parse(&bytes)
                .map(|_| ())
                .map_err(|e| ConfigError::new(field("jwks_file"), CHECK, e.to_string()))
        }
        (None, Some(uri)) => check_login_url(uri).map_err(|m| ConfigError::new(field("jwks_uri"), CHECK, m)),
        (None, None) => Ok(()),
    }
}

/// An absolute https URL with a host and no fragment (the interaction id
/// is added to its query).
fn check_login_url(url: &str) -> Result<(), String> {
    let uri: http::Uri = url.parse().map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    if uri.scheme_str() != Some("https") {
        return Err("must be an https URL".into());
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err("has no host".into());
    }
    if url.contains('#') {
        return Err("must have no fragment".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::{load_from_str, validate};
    use fiducia_hsm::Signer as _;
    use std::path::Path;

    const BASE: &str =
        "[tls]\ndev_generate = true\nclient_ca = [\"/tmp/ca.pem\"]\n[signing]\nbackend = \"software\"\n";

    fn check(extra: &str) -> Result<(), String> {
        let config = load_from_str(&format!("{BASE}{extra}"), Vec::new()).map_err(|e| e.to_string())?;
        validate(config, Path::new("/tmp"))
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn app(url: &str) -> String {
        format!(
            "[[resource_servers]]\nid = \"bank-login\"\ntls_client_auth_subject_dn = \"CN=bank-login,O=Bank,C=GB\"\ninteraction_login_url = \"{url}\"\n"
        )
    }

    #[test]
    fn an_interaction_app_needs_an_https_login_url() {
        let global = "[login]\ninteraction_app = \"bank-login\"\n";
        let ok = check(&format!("{global}{}", app("https://login.bank.example/op")));
        assert!(
            ok.as_ref().is_ok_and(|()| true) || ok.as_ref().is_err_and(|e| !e.contains("interaction")),
            "{ok:?}"
        );
        let plain = check(&app("http://login.bank.example/op")).unwrap_err();
        assert!(plain.contains("interaction_login_url"), "{plain}");
        let nameless = check("[login]\ninteraction_app = \"nobody\"\n").unwrap_err();
        assert!(nameless.contains("login.interaction_app"), "{nameless}");
        let ttl = check(&format!(
            "[login]\ninteraction_app_ttl_secs = 0\n{}",
            app("https://l.example/")
        ))
        .unwrap_err();
        assert!(ttl.contains("interaction_app_ttl_secs"), "{ttl}");
    }

    /// RFC 7523 §2.2 keys: on interaction apps only, one source, https,
    /// a file that parses.
    #[test]
    fn an_apps_keys_are_one_https_source_or_a_readable_file() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("jwks.json");
        let signer = fiducia_hsm::SoftwareSigner::generate(fiducia_hsm::JoseAlg::Es256).unwrap();
        let jwk = signer.public_jwk();
        std::fs::write(&good, serde_json::json!({"keys": [jwk]}).to_string()).unwrap();
        let with = |lines: &str| check(&format!("{}{lines}\n", app("https://login.bank.example/op")));
        let ok = with(&format!("jwks_file = \"{}\"", good.display()));
        assert!(
            ok.as_ref().is_ok() || ok.as_ref().is_err_and(|e| !e.contains("jwks")),
            "{ok:?}"
        );
        let ok = with("jwks_uri = \"https://login.bank.example/jwks\"");
        assert!(
            ok.as_ref().is_ok() || ok.as_ref().is_err_and(|e| !e.contains("jwks")),
            "{ok:?}"
        );
        let both = with(&format!(
            "jwks_file = \"{}\"\njwks_uri = \"https://login.bank.example/jwks\"",
            good.display()
        ));
        assert!(both.unwrap_err().contains("resource_servers.bank-login.jwks_uri"));
        let plain = with("jwks_uri = \"http://login.bank.example/jwks\"").unwrap_err();
        assert!(plain.contains("jwks_uri"), "{plain}");
        let missing = with("jwks_file = \"/nonexistent/jwks.json\"").unwrap_err();
        assert!(missing.contains("jwks_file"), "{missing}");
        let not_an_app = check(&format!(
            "[[resource_servers]]\nid = \"gw\"\ntls_client_auth_subject_dn = \"CN=gw,O=Bank,C=GB\"\njwks_file = \"{}\"\n",
            good.display()
        ))
        .unwrap_err();
        assert!(
            not_an_app.contains("resource_servers.gw.jwks_file"),
            "{not_an_app}"
        );
    }
}
