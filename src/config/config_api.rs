//! `[config_api]`: the Config API's own HTTPS listener (`config_api/`), off
//! unless the section is present.
//!
//! ```toml
//! [config_api]
//! listen = "127.0.0.1:9443"
//! audience = "https://op.bank.example/config-api"
//! require_sender_constrained = true
//!
//! [[config_api.trusted_issuers]]
//! issuer = "https://op.bank.example"        # Fiducia itself: its own keys
//!
//! [[config_api.trusted_issuers]]
//! issuer = "https://iam.bank.example"
//! jwks_uri = "https://iam.bank.example/jwks"
//! ```
//!
//! Every scalar takes `FIDUCIA_CONFIG_API__<FIELD>`; the issuers live in
//! the file.

use super::Config;
use super::load::ConfigError;
use serde::{Deserialize, Serialize};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

const CHECK: &str = "config_api";

/// `[config_api]`: where the Config API listens and whose tokens it takes.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConfigApiConfig {
    /// TCP address of the Config API's HTTPS listener (HTTP/1.1 and HTTP/2
    /// over TLS). Default `127.0.0.1:9443`. Env `FIDUCIA_CONFIG_API__LISTEN`.
    pub listen: SocketAddr,
    /// The URL callers address it at (a DPoP proof's `htu` is this plus the
    /// path, RFC 9449 §4.3 item 9): https, no query or fragment. Default
    /// `https://<listen>`. Env `FIDUCIA_CONFIG_API__PUBLIC_URL`.
    pub public_url: Option<String>,
    /// PEM certificate chain of the listener. Default: `tls.cert`.
    /// Env `FIDUCIA_CONFIG_API__CERT`.
    pub cert: Option<PathBuf>,
    /// PEM private key of the listener. Default: `tls.key`.
    /// Env `FIDUCIA_CONFIG_API__KEY`.
    pub key: Option<PathBuf>,
    /// PEM bundles of CAs whose subjects are hinted to callers with a
    /// certificate (a certificate-bound token is matched by its SHA-256
    /// thumbprint, RFC 8705 §3, whatever its issuer). Default: none.
    /// Env `FIDUCIA_CONFIG_API__CLIENT_CA`.
    pub client_ca: Vec<PathBuf>,
    /// The audience a token must carry in `aud` (RFC 9068 §4 item 3), e.g.
    /// `https://op.bank.example/config-api`. Required.
    /// Env `FIDUCIA_CONFIG_API__AUDIENCE`.
    pub audience: String,
    /// Refuse tokens without a `cnf` (RFC 8705 §3 `x5t#S256` or RFC 9449
    /// `jkt`). Default `true`. Env `FIDUCIA_CONFIG_API__REQUIRE_SENDER_CONSTRAINED`.
    pub require_sender_constrained: bool,
    /// Largest request body, in bytes (413 beyond). Default `65536`, at most
    /// 1 MiB. Env `FIDUCIA_CONFIG_API__MAX_BODY_BYTES`.
    pub max_body_bytes: usize,
    /// How often an issuer's `jwks_uri` is fetched again (and at most once a
    /// second on an unknown `kid`), 10 to 86400 seconds. Default `300`.
    /// Env `FIDUCIA_CONFIG_API__JWKS_REFRESH_SECS`.
    pub jwks_refresh_secs: u64,
    /// The issuers whose access tokens are accepted (`[[config_api.trusted_issuers]]`).
    /// At least one. No environment override.
    pub trusted_issuers: Vec<TrustedIssuerConfig>,
}

impl Default for ConfigApiConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 9443)),
            public_url: None,
            cert: None,
            key: None,
            client_ca: Vec::new(),
            audience: String::new(),
            require_sender_constrained: true,
            max_body_bytes: 65536,
            jwks_refresh_secs: 300,
            trusted_issuers: Vec::new(),
        }
    }
}

impl ConfigApiConfig {
    /// [`ConfigApiConfig::public_url`] or its default, without a trailing slash.
    pub fn base_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("https://{}", self.listen),
        }
    }
}

/// One `[[config_api.trusted_issuers]]` entry.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedIssuerConfig {
    /// The `iss` its tokens carry (RFC 9068 §4 item 2), compared exactly.
    pub issuer: String,
    /// Its signing keys as a JWKS file (RFC 7517 §5).
    #[serde(default)]
    pub jwks_file: Option<PathBuf>,
    /// Or the https URL they are fetched from (and cached,
    /// `jwks_refresh_secs`). Neither, for `server.issuer` only: this OP's
    /// own published keys.
    #[serde(default)]
    pub jwks_uri: Option<String>,
}

/// Relative paths against the config file's directory.
pub(super) fn resolve_paths(config: &mut Config, join: &dyn Fn(&mut PathBuf)) {
    let Some(api) = config.config_api.as_mut() else {
        return;
    };
    api.cert.iter_mut().for_each(join);
    api.key.iter_mut().for_each(join);
    api.client_ca.iter_mut().for_each(join);
    for issuer in &mut api.trusted_issuers {
        issuer.jwks_file.iter_mut().for_each(join);
    }
}

/// The start-up check of the section: its first problem.
pub(super) fn check_config_api(config: &Config) -> Result<(), ConfigError> {
    match config_api_problems(config).into_iter().next() {
        Some(problem) => Err(problem),
        None => Ok(()),
    }
}

/// Every problem of `[config_api]`, one per bad field.
pub fn config_api_problems(config: &Config) -> Vec<ConfigError> {
    let Some(api) = &config.config_api else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    let mut bad = |field: String, message: String| problems.push(ConfigError::new(field, CHECK, message));
    if api.listen.port() == 0 {
        // Port 0 is allowed elsewhere for tests; here too, but the URL
        // callers address must then be given.
        if api.public_url.is_none() {
            bad(
                "config_api.public_url".into(),
                "required when config_api.listen has port 0".into(),
            );
        }
    }
    if let Some(url) = &api.public_url
        && let Some(why) = https_url_problem(url)
    {
        bad("config_api.public_url".into(), why);
    }
    for (field, path) in [("config_api.cert", &api.cert), ("config_api.key", &api.key)] {
        if let Some(path) = path
            && !path.is_file()
        {
            bad(field.into(), format!("{} does not exist", path.display()));
        }
    }
    if api.cert.is_some() != api.key.is_some() {
        bad(
            "config_api.key".into(),
            "config_api.cert and config_api.key are set together (or neither: the [tls] pair)".into(),
        );
    }
    for path in &api.client_ca {
        if !path.is_file() {
            bad(
                "config_api.client_ca".into(),
                format!("{} does not exist", path.display()),
            );
        }
    }
    if api.audience.trim().is_empty() || api.audience.chars().any(char::is_whitespace) {
        bad(
            "config_api.audience".into(),
            "required: the `aud` value the Config API's tokens carry (RFC 9068 §4 item 3), without spaces"
                .into(),
        );
    }
    if !(1..=1024 * 1024).contains(&api.max_body_bytes) {
        bad(
            "config_api.max_body_bytes".into(),
            "must be 1 to 1048576 bytes".into(),
        );
    }
    if !(10..=86_400).contains(&api.jwks_refresh_secs) {
        bad(
            "config_api.jwks_refresh_secs".into(),
            "must be 10 to 86400 seconds".into(),
        );
    }
    if api.trusted_issuers.is_empty() {
        bad(
            "config_api.trusted_issuers".into(),
            "at least one [[config_api.trusted_issuers]] entry: no token could be accepted".into(),
        );
    }
    let own = config.server.issuer.trim_end_matches('/');
    for (i, issuer) in api.trusted_issuers.iter().enumerate() {
        let field = |name: &str| format!("config_api.trusted_issuers[{i}].{name}");
        if issuer.issuer.is_empty() || issuer.issuer.chars().any(char::is_whitespace) {
            bad(
                field("issuer"),
                "required, without spaces (RFC 9068 §4 item 2)".into(),
            );
        }
        if api.trusted_issuers[..i]
            .iter()
            .any(|other| other.issuer == issuer.issuer)
        {
            bad(field("issuer"), format!("`{}` is listed twice", issuer.issuer));
        }
        match (&issuer.jwks_file, &issuer.jwks_uri) {
            (Some(_), Some(_)) => bad(field("jwks_uri"), "jwks_file or jwks_uri, not both".into()),
            (None, None) if issuer.issuer.trim_end_matches('/') != own => bad(
                field("jwks_uri"),
                "jwks_file or jwks_uri is required (only server.issuer may use the OP's own keys)".into(),
            ),
            (Some(path), None) => {
                if let Some(why) = jwks_file_problem(path) {
                    bad(field("jwks_file"), why);
                }
            }
            (None, Some(uri)) => {
                if let Some(why) = https_url_problem(uri) {
                    bad(field("jwks_uri"), why);
                }
            }
            (None, None) => {}
        }
    }
    problems
}

fn https_url_problem(url: &str) -> Option<String> {
    let uri: http::Uri = match url.parse() {
        Ok(uri) => uri,
        Err(e) => return Some(format!("`{url}` is not a URL: {e}")),
    };
    if uri.scheme_str() != Some("https") {
        return Some(format!("`{url}` must use https"));
    }
    if uri.host().is_none_or(str::is_empty) {
        return Some(format!("`{url}` has no host"));
    }
    if url.contains('#') {
        return Some(format!("`{url}` must have no fragment"));
    }
    None
}

fn jwks_file_problem(path: &std::path::Path) -> Option<String> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => return Some(format!("cannot read {}: {e}", path.display())),
    };
    match crate::protocol::jose::ClientJwks::parse(&bytes) {
        Ok(jwks) if jwks.keys.is_empty() => Some(format!("{} holds no usable signing key", path.display())),
        Ok(_) => None,
        Err(e) => Some(format!("{}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::super::load::load_from_str;
    use super::*;

    fn problems(text: &str) -> Vec<ConfigError> {
        config_api_problems(&load_from_str(text, Vec::new()).unwrap())
    }

    #[test]
    fn absent_is_off_and_fine() {
        let config = load_from_str("", Vec::new()).unwrap();
        assert!(config.config_api.is_none());
        assert!(check_config_api(&config).is_ok());
    }

    /// One message per bad field, each naming its field.
    #[test]
    fn each_bad_field_has_its_own_message() {
        let found = problems(
            "[config_api]\nmax_body_bytes = 0\njwks_refresh_secs = 1\npublic_url = \"http://x\"\n\
             [[config_api.trusted_issuers]]\nissuer = \"https://iam.example\"\n\
             [[config_api.trusted_issuers]]\nissuer = \"https://iam.example\"\njwks_uri = \"http://iam.example/jwks\"\n",
        );
        let fields: Vec<&str> = found.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "config_api.public_url",
                "config_api.audience",
                "config_api.max_body_bytes",
                "config_api.jwks_refresh_secs",
                "config_api.trusted_issuers[0].jwks_uri",
                "config_api.trusted_issuers[1].issuer",
                "config_api.trusted_issuers[1].jwks_uri",
            ],
            "{found:?}"
        );
    }

    #[test]
    fn the_op_itself_needs_no_jwks_and_env_overrides_apply() {
        let text = "[config_api]\naudience = \"https://op.example/config-api\"\n\
                    [[config_api.trusted_issuers]]\nissuer = \"https://localhost:8443\"\n";
        assert!(problems(text).is_empty(), "{:?}", problems(text));
        let env = vec![
            (
                "FIDUCIA_CONFIG_API__LISTEN".to_string(),
                "0.0.0.0:9444".to_string(),
            ),
            (
                "FIDUCIA_CONFIG_API__REQUIRE_SENDER_CONSTRAINED".to_string(),
                "false".to_string(),
            ),
        ];
        let config = load_from_str(text, env).unwrap();
        let api = config.config_api.unwrap();
        assert_eq!(api.listen.port(), 9444);
        assert!(!api.require_sender_constrained);
        assert_eq!(api.base_url(), "https://0.0.0.0:9444");
        assert_eq!(api.max_body_bytes, 65536);
    }
}
