//! One file per endpoint (STYLE.md §1). Each takes the OP state and the
//! already-limited request and returns a response or an [`OAuthError`].
//!
//! [`OAuthError`]: crate::protocol::error::OAuthError

pub mod discovery;
pub mod jwks;
pub mod token;

use crate::config::ValidatedConfig;
use crate::signing::KeySet;
use bytes::Bytes;
use std::sync::Arc;
use tokio::sync::watch;

/// What the endpoints share.
pub struct OpState {
    /// The validated configuration.
    pub config: Arc<ValidatedConfig>,
    /// The current keys, kept fresh by the key manager.
    pub keys: watch::Receiver<Arc<KeySet>>,
    /// Provider metadata, serialized once at start-up.
    pub metadata_json: Bytes,
}

impl OpState {
    /// Builds the state, serializing the documents that do not change per request.
    pub fn new(
        config: Arc<ValidatedConfig>,
        keys: watch::Receiver<Arc<KeySet>>,
    ) -> Result<Self, serde_json::Error> {
        let metadata = crate::protocol::discovery::ProviderMetadata::from_config(
            &config,
            config.get().signing.alg.as_str(),
        );
        let metadata_json = serde_json::to_vec(&metadata)?.into();
        Ok(Self {
            config,
            keys,
            metadata_json,
        })
    }

    /// The current key snapshot.
    pub fn key_set(&self) -> Arc<KeySet> {
        self.keys.borrow().clone()
    }
}
