//! The Config API: JSON over HTTPS on its own listener (`[config_api]`),
//! for the bank's operators and their automation. Callers present an RFC
//! 9068 JWT access token from a trusted issuer — Fiducia itself (an
//! operator's client with `client_credentials`) or the bank's IAM — with
//! the operation's scope, sender-constrained when configured.
//!
//! - [`listener`]: the TLS listener, started and stopped with the OP's;
//! - [`route`] (what a route is), [`router`] (the tables,
//!   [`router::RESOURCES`]: one file per resource under [`resources`]);
//! - [`authenticate`], [`issuers`], [`access_token`], [`refusal`],
//!   [`auth_failures`]: who calls, RFC 9068 §4 and RFC 6750 §3;
//! - [`operator_scopes`]: a caller writes only clients whose Config API
//!   scopes it holds;
//! - [`problem`] (RFC 9457), [`etag`] (RFC 9110 §8.8.3, §13.1.1),
//!   [`redact`] (secrets out of `/effective-config`).
//!
//! It sits above the application layer (it calls the key manager, the
//! store's audit trail, the clients service and the OP's DPoP checker) and below `server`,
//! which starts it; nothing below imports it.

pub mod access_token;
pub mod auth_failures;
pub mod authenticate;
pub mod etag;
pub mod issuers;
pub mod listener;
pub mod operator_scopes;
pub mod problem;
pub mod redact;
pub mod refusal;
pub mod resources;
pub mod route;
pub mod router;
pub mod scope;

use crate::actors::key_manager::KeyManagerMessage;
use crate::clock::Clock;
use crate::config::ValidatedConfig;
use crate::oauth::op::OpState;
use crate::signing::{KeyBackend, KeySet};
use crate::store::kv::Store;
use crate::store::repo::Repo;
use ractor::ActorRef;
use std::sync::{Arc, Weak};
use tokio::sync::watch;

/// The settings requests are checked against.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `config_api.audience`.
    pub audience: String,
    /// `config_api.public_url` (or its default), no trailing slash.
    pub base_url: String,
    /// `config_api.require_sender_constrained`.
    pub require_sender_constrained: bool,
}

/// The OP's signing keys as the keys resource reaches them.
pub struct Keys {
    /// The key backend (the HSM's `KeyAdmin`).
    pub backend: Arc<KeyBackend>,
    /// The key manager: reloaded after a change so this node publishes it
    /// at once.
    pub manager: ActorRef<KeyManagerMessage>,
    /// The key set this node publishes.
    pub published: watch::Receiver<Arc<KeySet>>,
    /// One key write at a time on this node, so that its `If-Match`
    /// check and its change are one step here.
    pub writing: tokio::sync::Mutex<()>,
}

/// The Config API's state.
pub struct ConfigApi {
    /// The configuration this node runs.
    pub config: Arc<ValidatedConfig>,
    /// From `[config_api]`.
    pub settings: Settings,
    /// The store (the audit trail).
    pub store: Store,
    /// Typed records over it (DPoP `jti`s).
    pub repo: Repo,
    /// Whose tokens are accepted.
    pub issuers: issuers::TrustedIssuers,
    /// The bound on authentication failure records.
    pub failures: auth_failures::AuthFailures,
    /// The signing keys.
    pub keys: Keys,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// The OP's state, for the clients service
    /// (`oauth::managed_clients::ManagedClients::of`); weak, as the OP's
    /// other background tasks hold it: gone once the OP stops.
    pub op: Weak<OpState>,
}
