//! The trusted directories' keys (`[[registration.trusted_directories]]`):
//! a static JWKS file read at start-up, or a `jwks_uri` fetched through
//! [`JwksFetcher`] (HTTPS, `tls.client_ca` trusted), cached for
//! [`CACHE_FOR`] and fetched again once when a statement names a `kid` the
//! cache lacks (at most every [`MIN_REFETCH`]). A fetch that fails leaves
//! no keys to verify with: registration fails closed.

use crate::config::{CertificateBinding, TrustedDirectoryConfig};
use crate::jwks_fetch::JwksFetcher;
use crate::protocol::jose::ClientJwks;
use crate::protocol::registration::profile::RegistrationProfile;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How long fetched directory keys are used without fetching again.
pub const CACHE_FOR: Duration = Duration::from_secs(300);
/// The least time between two fetches for an unknown `kid`.
pub const MIN_REFETCH: Duration = Duration::from_secs(1);

/// Where one directory's keys come from.
enum KeySource {
    File(ClientJwks),
    Uri {
        uri: String,
        cached: Mutex<Option<(ClientJwks, Instant)>>,
    },
}

/// One trusted directory.
pub struct Directory {
    /// Its `iss`.
    pub issuer: String,
    /// How its statements become client metadata.
    pub profile: RegistrationProfile,
    /// How certificates bind to its statements.
    pub binding: CertificateBinding,
    /// Scopes per software role.
    pub role_scopes: BTreeMap<String, Vec<String>>,
    keys: KeySource,
}

/// The directories the OP trusts.
pub struct TrustedDirectories {
    directories: Vec<Directory>,
    fetcher: JwksFetcher,
}

impl TrustedDirectories {
    /// Reads the JWKS files; `jwks_uri` keys are fetched when first needed.
    pub fn load(configs: &[TrustedDirectoryConfig], fetcher: JwksFetcher) -> anyhow::Result<Self> {
        let mut directories = Vec::new();
        for c in configs {
            let keys = match (&c.jwks_file, &c.jwks_uri) {
                (Some(path), _) => {
                    let bytes = std::fs::read(path).map_err(|e| {
                        anyhow::anyhow!("registration.trusted_directories.{}.jwks_file: {e}", c.issuer)
                    })?;
                    KeySource::File(ClientJwks::parse(&bytes).map_err(|e| {
                        anyhow::anyhow!("registration.trusted_directories.{}.jwks_file: {e}", c.issuer)
                    })?)
                }
                (None, Some(uri)) => KeySource::Uri {
                    uri: uri.clone(),
                    cached: Mutex::new(None),
                },
                (None, None) => anyhow::bail!("registration.trusted_directories.{}: no keys", c.issuer),
            };
            directories.push(Directory {
                issuer: c.issuer.clone(),
                profile: c.profile,
                binding: c.binding(),
                role_scopes: c.role_scopes.clone(),
                keys,
            });
        }
        Ok(Self { directories, fetcher })
    }

    /// The directory whose issuer is `issuer`.
    pub fn find(&self, issuer: &str) -> Option<&Directory> {
        self.directories.iter().find(|d| d.issuer == issuer)
    }

    /// The fetcher, also used for software JWKS.
    pub fn fetcher(&self) -> &JwksFetcher {
        &self.fetcher
    }

    /// The directory's keys; `refetch` asks for a fresh copy (an unknown
    /// `kid`). `Err` when they cannot be had: the caller fails closed.
    pub async fn keys(&self, directory: &Directory, refetch: bool) -> Result<ClientJwks, String> {
        let (uri, cached) = match &directory.keys {
            KeySource::File(keys) => return Ok(keys.clone()),
            KeySource::Uri { uri, cached } => (uri, cached),
        };
        let mut cached = cached.lock().await;
        if let Some((keys, at)) = cached.as_ref() {
            let fresh = at.elapsed() < CACHE_FOR;
            if fresh && (!refetch || at.elapsed() < MIN_REFETCH) {
                return Ok(keys.clone());
            }
        }
        match self.fetcher.fetch(uri).await {
            Ok(keys) => {
                *cached = Some((keys.clone(), Instant::now()));
                Ok(keys)
            }
            Err(error) => {
                tracing::warn!(directory = %directory.issuer, %error, "directory JWKS could not be fetched");
                Err(error)
            }
        }
    }
}
