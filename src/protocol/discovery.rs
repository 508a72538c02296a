//! OpenID Provider metadata (OpenID Connect Discovery 1.0 §3, RFC 8414 §2),
//! derived from the validated configuration.
//!
//! Only what the OP really implements is advertised: each member is added by
//! the change that implements it, so a client that trusts this document never
//! tries a flow the OP would refuse.

use crate::config::ValidatedConfig;
use crate::http::router::paths;
use serde::Serialize;
use std::collections::BTreeMap;

/// The metadata document served at `/.well-known/openid-configuration`.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderMetadata {
    /// RFC 8414 §2 `issuer`.
    pub issuer: String,
    /// RFC 8414 §2 `jwks_uri`: the OP's public signing keys.
    pub jwks_uri: String,
    /// RFC 8414 §2 `token_endpoint`.
    pub token_endpoint: String,
    /// RFC 8414 §2 `response_types_supported` (FAPI 2.0 §5.3.2.2: `code` only).
    pub response_types_supported: Vec<&'static str>,
    /// OIDC Discovery §3 `subject_types_supported`.
    pub subject_types_supported: Vec<&'static str>,
    /// OIDC Discovery §3 `id_token_signing_alg_values_supported`: the algorithm
    /// of the OP's signing key.
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// RFC 7636 §4.2 / RFC 8414 §2 `code_challenge_methods_supported`.
    pub code_challenge_methods_supported: Vec<String>,
    /// RFC 8705 §5: endpoints also served on the mTLS alias listener.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub mtls_endpoint_aliases: BTreeMap<&'static str, String>,
}

impl ProviderMetadata {
    /// Builds the document for `config`, whose signing key uses `signing_alg`.
    pub fn from_config(config: &ValidatedConfig, signing_alg: &str) -> Self {
        let mut mtls_endpoint_aliases = BTreeMap::new();
        if let Some(url) = config.mtls_endpoint_url(paths::TOKEN) {
            mtls_endpoint_aliases.insert("token_endpoint", url);
        }
        Self {
            issuer: config.issuer().to_string(),
            jwks_uri: config.endpoint_url(paths::JWKS),
            token_endpoint: config.endpoint_url(paths::TOKEN),
            response_types_supported: vec!["code"],
            subject_types_supported: vec!["public"],
            id_token_signing_alg_values_supported: vec![signing_alg.to_string()],
            code_challenge_methods_supported: config.get().fapi.pkce_methods.clone(),
            mtls_endpoint_aliases,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{load_from_str, validate};
    use std::path::Path;

    fn config(extra: &str) -> ValidatedConfig {
        let text = format!("[tls]\ndev_generate = true\n[signing]\nbackend = \"software\"\n{extra}");
        validate(load_from_str(&text, Vec::new()).unwrap(), Path::new("/tmp")).unwrap()
    }

    #[test]
    fn urls_hang_off_the_issuer_oidc_discovery_s3() {
        let m = ProviderMetadata::from_config(
            &config("[server]\nissuer = \"https://op.bank.example/fapi\"\n"),
            "ES256",
        );
        assert_eq!(m.issuer, "https://op.bank.example/fapi");
        assert_eq!(m.jwks_uri, "https://op.bank.example/fapi/jwks");
        assert_eq!(m.token_endpoint, "https://op.bank.example/fapi/token");
        assert_eq!(m.code_challenge_methods_supported, vec!["S256".to_string()]);
        assert!(m.mtls_endpoint_aliases.is_empty());
        let json = serde_json::to_value(&m).unwrap();
        assert!(json.get("mtls_endpoint_aliases").is_none());
    }

    #[test]
    fn mtls_aliases_appear_when_configured_rfc8705_s5() {
        let m = ProviderMetadata::from_config(
            &config(
                "[server]\nmtls_listen = \"127.0.0.1:8444\"\nmtls_base_url = \"https://mtls.localhost:8444\"\n",
            ),
            "PS256",
        );
        assert_eq!(
            m.mtls_endpoint_aliases["token_endpoint"],
            "https://mtls.localhost:8444/token"
        );
        assert_eq!(m.id_token_signing_alg_values_supported, vec!["PS256".to_string()]);
    }
}
