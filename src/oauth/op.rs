//! The OP's state and services: what every flow of the application layer
//! reads (configuration, keys, the metadata document) and uses (store,
//! customers, clients, sessions, DPoP nonces, clock, trusted directories).
//! `server` builds it once; the HTTP endpoints hand it to `oauth`.

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
    pub sessions: Arc<crate::oauth::session::SessionRegistry>,
    /// DPoP nonces (RFC 9449 §8), always loaded; required while
    /// `tokens.dpop_nonce` is on as this node runs it (the live `tokens`
    /// policy: `OpState::dpop_nonces`).
    pub dpop_nonces: crate::oauth::dpop_nonce::DpopNonces,
    /// Wall clock: the edges ask it, the checks take `now`.
    pub clock: Arc<dyn crate::clock::Clock>,
    /// The trusted directories' keys when `registration.enabled`; `None`
    /// turns the registration endpoints off.
    pub directories: Option<Arc<crate::oauth::registration::directories::TrustedDirectories>>,
    /// CIBA when `[ciba] enabled`; `None` turns its endpoints and grant off.
    pub ciba: Option<Arc<crate::oauth::ciba::service::Ciba>>,
    /// The interaction apps' request budgets on this node.
    pub interaction_budgets: crate::oauth::interaction_app::AppBudgets,
    /// The keys of interaction apps that authenticate with a client assertion.
    pub interaction_app_keys: crate::oauth::interaction_app_keys::AppKeys,
    /// The configuration sections managed live (trusted directories,
    /// resource servers, ...): what the consumers read at run time.
    pub sections: Arc<crate::oauth::live_sections::LiveSections>,
    /// The bank's upstream OpenID Provider when `[login.upstream]` is
    /// configured (`oauth/upstream`).
    pub upstream: Option<Arc<crate::oauth::upstream::provider::Upstream>>,
}

/// What the endpoints share.
pub struct OpState {
    /// The validated configuration.
    pub config: Arc<ValidatedConfig>,
    /// The current keys, kept fresh by the key manager.
    pub keys: watch::Receiver<Arc<KeySet>>,
    /// Provider metadata, serialized at start-up and again when the
    /// configured clients change.
    discovery: crate::oauth::discovery_document::DiscoveryDocument,
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
        let discovery = crate::oauth::discovery_document::DiscoveryDocument::new(
            &config,
            config.get().signing.alg.as_str(),
            &services.clients,
            &services.sections,
        )?;
        Ok(Self {
            config,
            keys,
            discovery,
            services,
        })
    }

    /// The provider metadata document (OIDC Discovery §3) for the clients
    /// served now.
    pub fn metadata_json(&self) -> Bytes {
        self.discovery
            .json(&self.config, &self.services.clients, &self.services.sections)
    }

    /// Unix seconds now.
    pub fn now(&self) -> u64 {
        self.services.clock.now_unix()
    }

    /// `[tokens]` as this node runs it: the file's, or the live `tokens`
    /// policy (`oauth/policies`). Every lifetime read at run time goes
    /// through here.
    pub fn tokens(&self) -> Arc<crate::config::TokensConfig> {
        self.services
            .sections
            .get::<crate::oauth::policies::TokenPolicy>()
    }

    /// The `[fapi]` members managed live (profile, PAR, PKCE methods) as
    /// this node runs them (`sender_constraints` is the file's).
    pub fn fapi(&self) -> Arc<crate::oauth::policies::fapi::FapiPolicyValue> {
        self.services.sections.get::<crate::oauth::policies::FapiPolicy>()
    }

    /// The registration policy as this node runs it.
    pub fn registration_policy(&self) -> Arc<crate::oauth::policies::registration::RegistrationPolicyValue> {
        self.services
            .sections
            .get::<crate::oauth::policies::RegistrationPolicy>()
    }

    /// How long a grant revoked now keeps its marker (`store/repo/revoked.rs`):
    /// over the file's and the live lifetimes.
    pub fn revocation_marker_secs(&self) -> u64 {
        crate::oauth::policies::tokens::revocation_marker_secs(&self.config.get().tokens, &self.tokens())
    }

    /// The DPoP nonces while `tokens.dpop_nonce` is on (RFC 9449 §8): an
    /// operator switching it on live makes the next proof without a nonce
    /// get `use_dpop_nonce`.
    pub fn dpop_nonces(&self) -> Option<&crate::oauth::dpop_nonce::DpopNonces> {
        self.tokens().dpop_nonce.then_some(&self.services.dpop_nonces)
    }

    /// The current key snapshot.
    pub fn key_set(&self) -> Arc<KeySet> {
        self.keys.borrow().clone()
    }
}
