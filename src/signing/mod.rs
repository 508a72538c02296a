//! The OP's keys at run time: which key signs and what the JWKS says,
//! published as one [`KeySet`] snapshot through a watch channel by the
//! `KeyManager` actor (`actors::key_manager`).

pub mod audit_checkpoint;
pub mod audit_cli;
pub mod cli;

use crate::config::{SigningBackend, SigningConfig};
use anyhow::Context;
use bytes::Bytes;
use fiducia_hsm::pkcs11::admin::{KeyAdmin, jwks_of};
use fiducia_hsm::pkcs11::lifecycle::{KeyRing, RotationPolicy};
use fiducia_hsm::pkcs11::{Pin, PoolConfig, SignerPool, TokenConfig};
use fiducia_hsm::{JoseAlg, Jwks, Signer, SoftwareSigner};
use std::sync::Arc;
use std::time::Duration;

/// How long a signing request may wait in the signer pool's queue.
const SIGN_JOB_DEADLINE: Duration = Duration::from_secs(2);

/// One consistent view of the keys.
pub struct KeySet {
    /// The active key of the configured algorithm; `None` until one exists.
    pub signer: Option<Arc<dyn Signer>>,
    /// The published JWK Set, serialized.
    pub jwks_json: Bytes,
    /// The published kids, for change detection and logs.
    pub kids: Vec<String>,
}

impl KeySet {
    /// No keys yet (before the key manager's first load).
    pub fn empty() -> Self {
        Self::new(None, Jwks { keys: Vec::new() })
    }

    /// A set with one key that both signs and is the whole JWKS.
    pub fn single(signer: Arc<dyn Signer>) -> Self {
        Self::new(Some(signer.clone()), Jwks::from_signers([signer.as_ref()]))
    }

    /// A set from the HSM's key records at `now`.
    pub fn from_ring(ring: &KeyRing, alg: JoseAlg, pool: &SignerPool, now: u64) -> Self {
        let signer = ring
            .active(alg)
            .map(|record| Arc::new(pool.signer(record.jwk.clone())) as Arc<dyn Signer>);
        Self::new(signer, jwks_of(ring, now))
    }

    fn new(signer: Option<Arc<dyn Signer>>, jwks: Jwks) -> Self {
        let kids = jwks.keys.iter().map(|k| k.kid().to_string()).collect();
        // Serializing public JWKs (strings only) cannot fail; an empty set is
        // the safe fallback.
        let jwks_json = serde_json::to_vec(&jwks)
            .map(Bytes::from)
            .unwrap_or_else(|_| Bytes::from_static(br#"{"keys":[]}"#));
        Self {
            signer,
            jwks_json,
            kids,
        }
    }

    /// Whether another set signs with the same key and publishes the same kids.
    pub fn same_keys(&self, other: &KeySet) -> bool {
        self.kids == other.kids
            && self.signer.as_ref().map(|s| s.key_id().to_string())
                == other.signer.as_ref().map(|s| s.key_id().to_string())
    }
}

/// Signing failures on the wire: a full signer queue or a device without
/// sessions is `temporarily_unavailable` (503 with `Retry-After`, RFC 6749
/// §4.1.2.1 / RFC 9110 §10.2.3); any other failure is `server_error`.
impl From<fiducia_hsm::SignError> for crate::protocol::error::OAuthError {
    fn from(e: fiducia_hsm::SignError) -> Self {
        use crate::protocol::error::ErrorCode;
        use fiducia_hsm::SignError;
        match e {
            SignError::Overloaded => {
                Self::new(ErrorCode::TemporarilyUnavailable, "the signing service is busy")
            }
            SignError::Unavailable(_) => Self::new(
                ErrorCode::TemporarilyUnavailable,
                "the signing service is unavailable",
            ),
            SignError::Failed(_) => Self::new(ErrorCode::ServerError, "signing failed"),
        }
    }
}

/// The configured key source.
pub enum KeyBackend {
    /// One in-memory key.
    Software(Arc<SoftwareSigner>),
    /// Keys in a PKCS#11 token, signing through the pool.
    Pkcs11 {
        /// The signer pool.
        pool: SignerPool,
        /// Reads the key records.
        admin: KeyAdmin,
    },
}

/// The token the `[signing]` section names.
pub fn token_config(config: &SigningConfig) -> anyhow::Result<TokenConfig> {
    let module = match &config.pkcs11_module {
        Some(module) => module.clone(),
        None => fiducia_hsm::pkcs11::softhsm::softhsm_module()
            .context("signing.pkcs11_module: not set and SoftHSM is not installed")?,
    };
    let pin = match &config.pin_file {
        Some(path) => Pin::from_file(path)
            .with_context(|| format!("signing.pin_file: cannot read {}", path.display()))?,
        None => Pin::new(config.pin.expose()),
    };
    Ok(TokenConfig {
        module,
        token_label: config.token_label.clone(),
        pin,
    })
}

/// The rotation timings the `[signing]` section sets.
pub fn rotation_policy(config: &SigningConfig) -> RotationPolicy {
    RotationPolicy {
        jwks_cache_ttl: Duration::from_secs(config.jwks_cache_ttl_secs),
        max_token_lifetime: Duration::from_secs(config.max_token_lifetime_secs),
        refresh_interval: Duration::from_secs(config.key_refresh_secs),
    }
}

/// Opens the configured backend: loads the software key, or starts the
/// signer pool (a wrong module, label or PIN fails here).
pub async fn open_backend(config: &SigningConfig) -> anyhow::Result<KeyBackend> {
    match config.backend {
        SigningBackend::Software => {
            tracing::warn!("{}", fiducia_hsm::SOFTWARE_SIGNER_WARNING);
            let signer = software_signer(config)?;
            tracing::info!(kid = signer.key_id(), alg = %config.alg, "software signing key loaded");
            Ok(KeyBackend::Software(Arc::new(signer)))
        }
        SigningBackend::Pkcs11 => {
            let token = token_config(config)?;
            let workers = match config.workers {
                0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
                n => n,
            };
            let pool = SignerPool::start(PoolConfig {
                token: token.clone(),
                workers,
                queue_capacity: config.queue_capacity,
                job_deadline: SIGN_JOB_DEADLINE,
            })
            .await
            .with_context(|| format!("signing: PKCS#11 token `{}`", token.token_label))?;
            tracing::info!(module = %token.module.display(), token = %token.token_label, workers, "PKCS#11 signer pool started");
            Ok(KeyBackend::Pkcs11 {
                pool,
                admin: KeyAdmin::new(token, rotation_policy(config)),
            })
        }
    }
}

fn software_signer(config: &SigningConfig) -> anyhow::Result<SoftwareSigner> {
    Ok(match &config.software_key_file {
        Some(path) if path.exists() => {
            let pem = std::fs::read_to_string(path)
                .with_context(|| format!("signing.software_key_file: cannot read {}", path.display()))?;
            SoftwareSigner::from_pkcs8_pem(config.alg, &pem)
                .with_context(|| format!("signing.software_key_file: {}", path.display()))?
        }
        Some(path) => {
            let signer = SoftwareSigner::generate(config.alg)?;
            crate::pki::write_private_file(path, signer.to_pkcs8_pem()?.as_bytes())
                .with_context(|| format!("signing.software_key_file: cannot write {}", path.display()))?;
            signer
        }
        None => SoftwareSigner::generate(config.alg)?,
    })
}
