//! The public keys of interaction apps that authenticate with a client
//! assertion (`private_key_jwt`, `oauth::interaction_app_assertion`): a
//! `jwks_file` read once per path, or a `jwks_uri` fetched over https
//! (`jwks_fetch`, bounded size and time) and kept [`URI_TTL`]; fetched
//! again for an unknown `kid` (key rotation), at most once per
//! [`REFETCH_SPACING`] per app, so a caller with made-up `kid`s cannot
//! make the OP hammer the app's server.

use crate::config::ResourceServerConfig;
use crate::jwks_fetch::JwksFetcher;
use crate::protocol::jose::ClientJwks;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long fetched keys are used before they are fetched again.
pub const URI_TTL: Duration = Duration::from_secs(300);
/// The least time between two fetches of one app's `jwks_uri`.
pub const REFETCH_SPACING: Duration = Duration::from_secs(10);

#[derive(Clone)]
struct Cached {
    /// `file:<path>` or the URI: an entry changed live is read anew.
    source: String,
    keys: Arc<ClientJwks>,
    at: Instant,
}

/// The keys, per app id.
pub struct AppKeys {
    fetcher: Option<JwksFetcher>,
    cache: Mutex<HashMap<String, Cached>>,
}

impl AppKeys {
    /// Keys fetched with `fetcher` (none: `jwks_uri` apps have no keys).
    pub fn new(fetcher: Option<JwksFetcher>) -> Self {
        Self {
            fetcher,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// `app`'s keys at `now`; `refresh` after an unknown `kid` fetches a
    /// `jwks_uri` again (spacing permitting). `Err`: no usable keys.
    pub async fn keys(
        &self,
        app: &ResourceServerConfig,
        refresh: bool,
        now: Instant,
    ) -> Result<Arc<ClientJwks>, String> {
        let source = match (&app.jwks_file, &app.jwks_uri) {
            (Some(path), _) => format!("file:{}", path.display()),
            (None, Some(uri)) => uri.clone(),
            (None, None) => return Err("the app has no keys".into()),
        };
        let cached = self.cached(&app.id);
        if let Some(c) = cached.as_ref().filter(|c| c.source == source) {
            let fresh = app.jwks_file.is_some() || now.duration_since(c.at) < URI_TTL;
            let may_refetch = now.duration_since(c.at) >= REFETCH_SPACING;
            if fresh && !(refresh && may_refetch && app.jwks_uri.is_some()) {
                return Ok(c.keys.clone());
            }
            if !may_refetch {
                return Ok(c.keys.clone());
            }
        }
        let keys = match (&app.jwks_file, &app.jwks_uri) {
            (Some(path), _) => {
                let bytes = tokio::fs::read(path)
                    .await
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                ClientJwks::parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))?
            }
            (None, Some(uri)) => match &self.fetcher {
                Some(fetcher) => fetcher.fetch(uri).await?,
                None => return Err("no JWKS fetcher".into()),
            },
            (None, None) => return Err("the app has no keys".into()),
        };
        let keys = Arc::new(keys);
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.insert(
            app.id.clone(),
            Cached {
                source,
                keys: keys.clone(),
                at: now,
            },
        );
        Ok(keys)
    }

    fn cached(&self, id: &str) -> Option<Cached> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.get(id).cloned()
    }
}

impl Default for AppKeys {
    fn default() -> Self {
        Self::new(None)
    }
}
