//! The trusted directories' keys (`[[registration.trusted_directories]]`):
//! a static JWKS file read at start-up, or a `jwks_uri` fetched through
//! [`JwksFetcher`] (HTTPS, `tls.client_ca` trusted), cached for
//! [`CACHE_FOR`] and fetched again once when a statement names a `kid` the
//! cache lacks (at most every [`MIN_REFETCH`]). A fetch that fails leaves
//! no keys to verify with: registration fails closed.
//!
//! The directories are the ones this node runs now (`oauth/live_sections`,
//! changed live through the Config API's `/trusted-directories`): each
//! lookup reads the live list, so a directory added is found on the next
//! registration (its keys fetched then) and one removed is not (the
//! statement is `unapproved_software_statement`, RFC 7591 §3.2.2); a
//! directory whose entry changed is built again (its key cache with it).

use crate::config::{CertificateBinding, TrustedDirectoryConfig};
use crate::jwks_fetch::JwksFetcher;
use crate::oauth::live_sections::{LiveSections, TrustedDirectories as LiveDirectories};
use crate::protocol::jose::ClientJwks;
use crate::protocol::registration::profile::RegistrationProfile;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
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
    /// The entry it was built from (a changed entry builds it again).
    config: TrustedDirectoryConfig,
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
    sections: Arc<LiveSections>,
    /// Built directories by issuer, with their key caches.
    built: std::sync::Mutex<HashMap<String, Arc<Directory>>>,
    fetcher: JwksFetcher,
}

impl TrustedDirectories {
    /// The directories `sections` runs; the ones in force now are built at
    /// once (their JWKS files read: an unreadable one fails start-up),
    /// `jwks_uri` keys are fetched when first needed.
    pub fn live(sections: Arc<LiveSections>, fetcher: JwksFetcher) -> anyhow::Result<Self> {
        let mut built = HashMap::new();
        for c in sections.get::<LiveDirectories>().iter() {
            built.insert(c.issuer.clone(), Arc::new(Directory::build(c)?));
        }
        Ok(Self {
            sections,
            built: std::sync::Mutex::new(built),
            fetcher,
        })
    }

    /// The directory whose issuer is `issuer`, if this node trusts it now.
    pub fn find(&self, issuer: &str) -> Option<Arc<Directory>> {
        let live = self.sections.get::<LiveDirectories>();
        let config = live.iter().find(|d| d.issuer == issuer)?;
        let mut built = self.built.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(directory) = built.get(issuer)
            && directory.config == *config
        {
            return Some(directory.clone());
        }
        match Directory::build(config) {
            Ok(directory) => {
                let directory = Arc::new(directory);
                built.retain(|issuer, _| live.iter().any(|d| d.issuer == *issuer));
                built.insert(issuer.to_string(), directory.clone());
                Some(directory)
            }
            Err(error) => {
                // Fails closed: no keys, no registration through it.
                tracing::warn!(directory = %issuer, %error, "trusted directory unusable on this node");
                None
            }
        }
    }
}

impl Directory {
    /// A directory from its entry, its JWKS file read.
    fn build(c: &TrustedDirectoryConfig) -> anyhow::Result<Self> {
        {
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
            Ok(Directory {
                config: c.clone(),
                issuer: c.issuer.clone(),
                profile: c.profile,
                binding: c.binding(),
                role_scopes: c.role_scopes.clone(),
                keys,
            })
        }
    }
}

impl TrustedDirectories {
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
