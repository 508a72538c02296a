//! One file per endpoint (STYLE.md §1). Each takes the OP state and the
//! already-limited request and returns a response or an [`OAuthError`].
//!
//! [`OAuthError`]: crate::protocol::error::OAuthError

pub mod authorize;
pub mod consents;
pub mod discovery;
pub mod interaction;
pub mod introspection;
pub mod jwks;
pub mod par;
pub mod payment_grants;
pub mod registration;
pub mod revocation;
pub mod sandbox_callback;
pub mod token;
pub mod userinfo;

use crate::config::ValidatedConfig;
use crate::signing::KeySet;
use bytes::Bytes;
use std::sync::Arc;
use tokio::sync::watch;

/// The stateful services the flows use.
pub struct Services {
    /// Typed records in the store.
    pub repo: crate::store::repo::Repo,
    /// Customer accounts.
    pub users: crate::login::Users,
    /// Client lookup.
    pub clients: crate::actors::client_registry::ClientRegistry,
    /// One actor per authorization transaction.
    pub sessions: Arc<crate::actors::session::SessionRegistry>,
    /// DPoP nonces, when `tokens.dpop_nonce` requires them.
    pub dpop_nonces: Option<crate::oauth::dpop_nonce::DpopNonces>,
    /// Wall clock: the edges ask it, the checks take `now`.
    pub clock: Arc<dyn crate::clock::Clock>,
    /// The trusted directories' keys when `registration.enabled`; `None`
    /// turns the registration endpoints off.
    pub directories: Option<Arc<crate::oauth::registration::directories::TrustedDirectories>>,
}

/// What the endpoints share.
pub struct OpState {
    /// The validated configuration.
    pub config: Arc<ValidatedConfig>,
    /// The current keys, kept fresh by the key manager.
    pub keys: watch::Receiver<Arc<KeySet>>,
    /// Provider metadata, serialized once at start-up.
    pub metadata_json: Bytes,
    /// Store, users, clients, clock.
    pub services: Services,
}

impl OpState {
    /// Builds the state, serializing the documents that do not change per request.
    pub fn new(
        config: Arc<ValidatedConfig>,
        keys: watch::Receiver<Arc<KeySet>>,
        services: Services,
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
            services,
        })
    }

    /// Unix seconds now.
    pub fn now(&self) -> u64 {
        self.services.clock.now_unix()
    }

    /// The current key snapshot.
    pub fn key_set(&self) -> Arc<KeySet> {
        self.keys.borrow().clone()
    }
}

/// The body of a form POST (RFC 6749 §3.2: `application/x-www-form-urlencoded`),
/// parsed with repeated parameters refused.
pub fn form_body(
    request: &http::Request<Bytes>,
) -> Result<crate::protocol::form::Form, crate::protocol::error::OAuthError> {
    let content_type = request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(crate::protocol::error::OAuthError::invalid_request(
            "the request body must be application/x-www-form-urlencoded (RFC 6749 §3.2)",
        ));
    }
    crate::protocol::form::Form::parse(request.body())
}
