//! The Config API's HTTPS listener: the OP's serving stack (`http::tls`
//! with the FAPI suites, `http::tcp`, `http::service::RequestService` with
//! `config_api.max_body_bytes`) in front of [`ConfigApiRouter`], on
//! `config_api.listen`, stopped by the same signal as the OP's listeners
//! (graceful: in-flight requests finish within `server.shutdown_grace_ms`).
//! A client certificate is requested, never required: a certificate-bound
//! token needs it (RFC 8705 §3), a DPoP-bound one does not. No
//! `Client-Cert` header is believed here (no trusted proxies): the
//! certificate is the TLS handshake's.

use super::router::ConfigApiRouter;
use super::{ConfigApi, Keys, Settings};
use crate::actors::key_manager::KeyManagerMessage;
use crate::clock::Clock;
use crate::config::{ConfigApiConfig, TlsConfig, ValidatedConfig};
use crate::http::service::RequestService;
use crate::http::tls::{self, ClientAuth};
use crate::http::{ListenerKind, tcp};
use crate::signing::{KeyBackend, KeySet};
use crate::store::repo::Repo;
use anyhow::Context;
use ractor::ActorRef;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What the listener needs from the OP's start-up.
pub struct Wiring {
    /// The OP's configuration.
    pub config: Arc<ValidatedConfig>,
    /// Its store.
    pub repo: Repo,
    /// Its key backend.
    pub backend: Arc<KeyBackend>,
    /// Its key manager.
    pub key_manager: ActorRef<KeyManagerMessage>,
    /// The keys it publishes.
    pub published: watch::Receiver<Arc<KeySet>>,
    /// Its clock.
    pub clock: Arc<dyn Clock>,
    /// Fetches `jwks_uri`s.
    pub fetcher: crate::jwks_fetch::JwksFetcher,
    /// The OP's stop signal.
    pub stop: watch::Receiver<bool>,
    /// The OP's drain flag.
    pub draining: Arc<AtomicBool>,
    /// The OP's state (the clients resource calls its clients service).
    pub op: std::sync::Weak<crate::oauth::op::OpState>,
}

/// The TLS files of the listener: its own, or the OP's.
fn tls_files(api: &ConfigApiConfig, op: &TlsConfig) -> TlsConfig {
    TlsConfig {
        cert: api.cert.clone().unwrap_or_else(|| op.cert.clone()),
        key: api.key.clone().unwrap_or_else(|| op.key.clone()),
        client_ca: api.client_ca.clone(),
        dev_generate: false,
        dev_sans: Vec::new(),
    }
}

/// Binds `config_api.listen` and serves until the OP's stop signal.
pub async fn start(api: &ConfigApiConfig, wiring: Wiring) -> anyhow::Result<(SocketAddr, JoinHandle<()>)> {
    let c = wiring.config.get();
    let tls_config = tls_files(api, &c.tls);
    let server_tls = tls::server_config(&tls_config, ClientAuth::Optional).context("config_api TLS")?;
    let client_chain = tls::client_chain_verifier(&tls_config).context("config_api.client_ca")?;
    let issuers = super::issuers::TrustedIssuers::load(api, wiring.published.clone(), &wiring.fetcher)?;
    let state = Arc::new(ConfigApi {
        config: wiring.config.clone(),
        settings: Settings {
            audience: api.audience.clone(),
            base_url: api.base_url(),
            require_sender_constrained: api.require_sender_constrained,
        },
        store: wiring.repo.store().clone(),
        repo: wiring.repo,
        issuers,
        failures: Default::default(),
        keys: Keys {
            backend: wiring.backend,
            manager: wiring.key_manager,
            published: wiring.published,
            writing: tokio::sync::Mutex::new(()),
        },
        clock: wiring.clock,
        op: wiring.op,
    });
    let service = Arc::new(
        RequestService::new(
            Arc::new(ConfigApiRouter::new(state)),
            api.max_body_bytes,
            Duration::from_millis(c.server.body_read_timeout_ms),
            Arc::from([]),
            None,
            client_chain,
        )
        .with_draining(wiring.draining),
    );
    let listener = TcpListener::bind(api.listen)
        .await
        .with_context(|| format!("config_api.listen: cannot bind {}", api.listen))?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(tcp::run(
        tcp::TcpServing {
            listener,
            kind: ListenerKind::ConfigApi,
            tls: server_tls,
            service,
            header_read_timeout: Duration::from_millis(c.server.header_read_timeout_ms),
            proxy_protocol_from: Arc::from([]),
            shutdown_grace: Duration::from_millis(c.server.shutdown_grace_ms),
        },
        wiring.stop,
    ));
    tracing::info!(%addr, audience = %api.audience, "Config API serving");
    Ok((addr, task))
}
