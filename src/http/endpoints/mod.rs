//! One file per endpoint (STYLE.md §1). Each takes the OP state and the
//! already-limited request and returns a response or an [`OAuthError`].
//!
//! [`OAuthError`]: crate::protocol::error::OAuthError

pub mod discovery;
pub mod jwks;
pub mod token;

use crate::config::ValidatedConfig;
use bytes::Bytes;
use fiducia_hsm::Signer;
use std::sync::Arc;

/// What the endpoints share.
pub struct OpState {
    /// The validated configuration.
    pub config: Arc<ValidatedConfig>,
    /// The OP's signing key.
    pub signer: Arc<dyn Signer>,
    /// Provider metadata, serialized once at start-up.
    pub metadata_json: Bytes,
    /// The public JWKS, serialized once per key change.
    pub jwks_json: Bytes,
}

impl OpState {
    /// Builds the state, serializing the documents that do not change per request.
    pub fn new(config: Arc<ValidatedConfig>, signer: Arc<dyn Signer>) -> Result<Self, serde_json::Error> {
        let metadata =
            crate::protocol::discovery::ProviderMetadata::from_config(&config, signer.alg().as_str());
        let metadata_json = serde_json::to_vec(&metadata)?.into();
        let jwks = fiducia_hsm::Jwks {
            keys: vec![signer.public_jwk().clone()],
        };
        let jwks_json = serde_json::to_vec(&jwks)?.into();
        Ok(Self {
            config,
            signer,
            metadata_json,
            jwks_json,
        })
    }
}
