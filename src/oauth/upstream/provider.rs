//! The upstream OpenID Provider's metadata (OIDC Discovery §3, §4) and
//! keys, read through the OP's outbound fetcher (`jwks_fetch`: https
//! only, bounded size and time) and kept for `metadata_ttl_secs`. The
//! document's `issuer` must be exactly the configured one (OIDC Discovery
//! §4.3, the mix-up defence of RFC 9207 §1); its endpoints must be https.
//! An ID token naming a key the cached JWKS lacks refreshes it, at most
//! once a minute (OIDC Core §10.1.1: keys rotate).

use crate::config::UpstreamLoginConfig;
use crate::jwks_fetch::JwksFetcher;
use crate::protocol::jose::ClientJwks;
use serde_json::Value;
use std::sync::Arc;

/// The least time between two JWKS reads forced by an unknown key.
const MIN_KEY_REFRESH_SECS: u64 = 60;

/// What the relying party uses of the provider's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// `issuer`, equal to the configured one.
    pub issuer: String,
    /// `authorization_endpoint`.
    pub authorization_endpoint: String,
    /// `token_endpoint`.
    pub token_endpoint: String,
    /// `jwks_uri`.
    pub jwks_uri: String,
    /// `pushed_authorization_request_endpoint` (RFC 9126 §5), if offered.
    pub par_endpoint: Option<String>,
    /// `authorization_response_iss_parameter_supported` (RFC 9207 §3):
    /// then the callback must carry `iss`.
    pub sends_iss: bool,
}

impl Metadata {
    /// Reads the discovery document, checked against `issuer`.
    pub fn parse(document: &Value, issuer: &str) -> Result<Self, String> {
        let text = |name: &str| document.get(name).and_then(Value::as_str);
        if text("issuer") != Some(issuer) {
            return Err(
                "the discovery document's issuer is not the configured one (OIDC Discovery §4.3)".into(),
            );
        }
        let endpoint = |name: &'static str| -> Result<String, String> {
            match text(name) {
                Some(url) if url.starts_with("https://") => Ok(url.to_string()),
                Some(_) => Err(format!("`{name}` is not an https URL")),
                None => Err(format!("the discovery document has no `{name}`")),
            }
        };
        let par_endpoint = match text("pushed_authorization_request_endpoint") {
            Some(_) => Some(endpoint("pushed_authorization_request_endpoint")?),
            None => None,
        };
        Ok(Self {
            issuer: issuer.to_string(),
            authorization_endpoint: endpoint("authorization_endpoint")?,
            token_endpoint: endpoint("token_endpoint")?,
            jwks_uri: endpoint("jwks_uri")?,
            par_endpoint,
            sends_iss: document
                .get("authorization_response_iss_parameter_supported")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }
}

struct Cached {
    metadata: Arc<Metadata>,
    keys: Arc<ClientJwks>,
    fetched: u64,
    keys_fetched: u64,
}

/// The upstream provider as this node knows it: the configuration, the
/// fetcher and the cached metadata and keys.
pub struct Upstream {
    /// `[login.upstream]`.
    pub config: UpstreamLoginConfig,
    fetcher: JwksFetcher,
    cache: tokio::sync::Mutex<Option<Cached>>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("issuer", &self.config.issuer)
            .finish_non_exhaustive()
    }
}

impl Upstream {
    /// Nothing is fetched before the first login needs it.
    pub fn new(config: UpstreamLoginConfig, fetcher: JwksFetcher) -> Self {
        Self {
            config,
            fetcher,
            cache: tokio::sync::Mutex::new(None),
        }
    }

    /// The fetcher, for the PAR and token calls.
    pub fn fetcher(&self) -> &JwksFetcher {
        &self.fetcher
    }

    /// The metadata and keys, read again once older than `metadata_ttl_secs`.
    pub async fn provider(&self, now: u64) -> Result<(Arc<Metadata>, Arc<ClientJwks>), String> {
        let mut cache = self.cache.lock().await;
        if let Some(cached) = cache.as_ref()
            && now < cached.fetched.saturating_add(self.config.metadata_ttl_secs)
        {
            return Ok((cached.metadata.clone(), cached.keys.clone()));
        }
        let issuer = self.config.issuer.trim_end_matches('/');
        let url = format!("{issuer}{}", crate::protocol::paths::DISCOVERY);
        let document = self.fetcher.fetch_json(&url).await?;
        let metadata = Arc::new(Metadata::parse(&document, &self.config.issuer)?);
        let keys = Arc::new(self.fetcher.fetch(&metadata.jwks_uri).await?);
        *cache = Some(Cached {
            metadata: metadata.clone(),
            keys: keys.clone(),
            fetched: now,
            keys_fetched: now,
        });
        Ok((metadata, keys))
    }

    /// The JWKS read again for a key the cached one lacks; `None` when it
    /// was read within the last minute (a token naming unknown keys cannot
    /// make us fetch more often).
    pub async fn refresh_keys(&self, now: u64) -> Option<Arc<ClientJwks>> {
        let mut cache = self.cache.lock().await;
        let cached = cache.as_mut()?;
        if now < cached.keys_fetched.saturating_add(MIN_KEY_REFRESH_SECS) {
            return None;
        }
        cached.keys_fetched = now;
        match self.fetcher.fetch(&cached.metadata.jwks_uri).await {
            Ok(keys) => {
                cached.keys = Arc::new(keys);
                Some(cached.keys.clone())
            }
            Err(error) => {
                tracing::warn!(%error, "the upstream OpenID Provider's JWKS could not be read again");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// OIDC Discovery §4.3: the document's `issuer` must be the one asked
    /// for; endpoints are https; RFC 9207 §3 and RFC 9126 §5 members read.
    #[test]
    fn the_discovery_document_must_name_our_issuer_oidc_discovery_4_3() {
        let issuer = "https://idp.example";
        let mut document = json!({
            "issuer": issuer,
            "authorization_endpoint": "https://idp.example/authorize",
            "token_endpoint": "https://idp.example/token",
            "jwks_uri": "https://idp.example/jwks",
            "pushed_authorization_request_endpoint": "https://idp.example/par",
            "authorization_response_iss_parameter_supported": true,
        });
        let metadata = Metadata::parse(&document, issuer).unwrap();
        assert_eq!(metadata.par_endpoint.as_deref(), Some("https://idp.example/par"));
        assert!(metadata.sends_iss);
        assert!(Metadata::parse(&document, "https://other.example").is_err());
        document["token_endpoint"] = json!("http://idp.example/token");
        assert!(Metadata::parse(&document, issuer).is_err());
    }
}
