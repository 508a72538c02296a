//! Start-up and shutdown of a whole OP process: TLS, signer, listeners (TCP,
//! QUIC, mTLS alias, admin), the actor root. `fiducia serve` and
//! `fiducia sandbox` call [`start`], then [`ServerHandle::shutdown`] on
//! SIGTERM/SIGINT; tests call the same functions in-process.

use crate::actors::key_manager::{KeyManager, KeyManagerArgs, KeyManagerMessage};
use crate::actors::root::{RootSupervisor, RootSupervisorMessage};
use crate::admin::{self, Admin, AdminListener, readiness::Readiness};
use crate::clock::SystemClock;
use crate::config::ValidatedConfig;
use crate::http::router::Router;
use crate::http::service::RequestService;
use crate::http::tls::{self, ClientAuth};
use crate::http::{Handler, ListenerKind, h3, tcp};
use crate::oauth::op::OpState;
use crate::signing::{self, KeyBackend, KeySet};
use anyhow::Context;
use ractor::{Actor, ActorRef};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running OP.
pub struct ServerHandle {
    /// The main listener's TCP address.
    pub main_addr: SocketAddr,
    /// The HTTP/3 (UDP) address, same port number as `main_addr`.
    pub h3_addr: Option<SocketAddr>,
    /// The RFC 8705 §5 mTLS alias listener.
    pub mtls_addr: Option<SocketAddr>,
    /// The admin listener.
    pub admin_addr: SocketAddr,
    /// The Config API's listener, when `[config_api]` is configured.
    pub config_api_addr: Option<SocketAddr>,
    /// Readiness as `/readyz` reports it.
    pub readiness: Arc<Readiness>,
    /// This process's node id ([`node_id`]).
    pub node_id: Arc<str>,
    stop: watch::Sender<bool>,
    /// Set when the drain begins: HTTP/1.1 responses carry `Connection: close`.
    draining: Arc<std::sync::atomic::AtomicBool>,
    drain_delay: Duration,
    key_manager: ActorRef<KeyManagerMessage>,
    store: crate::store::kv::Store,
    sweeper: crate::store::repo::ExpirySweeper,
    audit_checkpoints: JoinHandle<()>,
    client_watch: JoinHandle<()>,
    revocation_notifier: crate::oauth::revocation_notices::RevocationNotifier,
    op: std::sync::Weak<OpState>,
    trust: Option<crate::oauth::registration::trust::TrustMonitor>,
    key_backend: Arc<KeyBackend>,
    listeners: Vec<JoinHandle<()>>,
    admin: AdminListener,
    root: ActorRef<RootSupervisorMessage>,
    root_task: JoinHandle<()>,
}

/// Starts the OP with its production router.
pub async fn start(config: ValidatedConfig) -> anyhow::Result<ServerHandle> {
    start_with(config, |op| Arc::new(Router::new(op))).await
}

/// Starts the OP with the handler `make_handler` builds from the OP state
/// (tests put their own behind the real listeners).
pub async fn start_with(
    config: ValidatedConfig,
    make_handler: impl FnOnce(Arc<OpState>) -> Arc<dyn Handler>,
) -> anyhow::Result<ServerHandle> {
    start_on_clock(config, make_handler, Arc::new(SystemClock)).await
}

/// Starts the OP reading the wall clock from `clock` instead of the
/// system's (tests of clock steps: `clock::SteppedClock`). Timers and
/// timeouts keep the monotonic clock, as they do in production.
pub async fn start_with_clock(
    config: ValidatedConfig,
    clock: Arc<dyn crate::clock::Clock>,
) -> anyhow::Result<ServerHandle> {
    start_on_clock(config, |op| Arc::new(Router::new(op)), clock).await
}

async fn start_on_clock(
    config: ValidatedConfig,
    make_handler: impl FnOnce(Arc<OpState>) -> Arc<dyn Handler>,
    clock: Arc<dyn crate::clock::Clock>,
) -> anyhow::Result<ServerHandle> {
    let config = Arc::new(config);
    let c = config.get();
    let metrics = admin::metrics::install();
    let readiness = Arc::new(Readiness::default());
    readiness.register("tls");

    if c.tls.dev_generate
        && crate::pki::ensure_dev_pki(&c.tls.cert, &c.tls.key, dev_ca_path(&config)?, &c.tls.dev_sans)?
    {
        tracing::warn!(cert = %c.tls.cert.display(), "generated a development PKI (tls.dev_generate); never use it in production");
    }
    let main_tls = tls::server_config(&c.tls, ClientAuth::Optional)?;
    let client_chain = tls::client_chain_verifier(&c.tls)?;

    crate::store::audit::chain::set_node_name(&c.audit.node_name);
    readiness.register("store");
    let store_config = c.store.clone();
    let store = crate::store::open(&store_config)
        .await
        .with_context(|| match c.store.backend {
            crate::config::StoreBackend::Postgres => "store: cannot open the PostgreSQL store".to_string(),
            backend => format!(
                "store: cannot open the {backend:?} store at {}",
                c.store.path.display()
            ),
        })?;
    let repo = crate::store::repo::Repo::open(store.clone())
        .await
        .context("store")?;
    readiness.set("store", true);
    let sweeper = crate::store::repo::ExpirySweeper::spawn(
        repo.clone(),
        clock.clone(),
        Duration::from_secs(c.store.sweep_interval_secs),
    );

    let (root, root_task) = Actor::spawn(None, RootSupervisor, ())
        .await
        .map_err(|e| anyhow::anyhow!("actor root supervisor did not start: {e}"))?;
    let backend = Arc::new(signing::open_backend(&c.signing).await?);
    let (keys_tx, keys_rx) = watch::channel(Arc::new(KeySet::empty()));
    let (key_manager, _) = Actor::spawn_linked(
        None,
        KeyManager,
        KeyManagerArgs {
            backend: backend.clone(),
            alg: c.signing.alg,
            refresh: Duration::from_secs(c.signing.key_refresh_secs),
            publish: keys_tx,
            clock: clock.clone(),
            audit: Some(store.clone()),
        },
        root.get_cell(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("key manager did not start: {e}"))?;
    let signer_ready = {
        let backend = backend.clone();
        let keys = keys_rx.clone();
        move || {
            let pool_ready = match &*backend {
                KeyBackend::Software(_) => true,
                KeyBackend::Pkcs11 { pool, .. } => pool.is_ready(),
            };
            pool_ready && keys.borrow().signer.is_some()
        }
    };
    readiness.register_check("signer", signer_ready);
    let audit_checkpoints = signing::audit_checkpoint::spawn(
        store.clone(),
        keys_rx.clone(),
        Duration::from_secs(c.audit.checkpoint_interval_secs),
        clock.clone(),
    );
    let users = crate::login::Users::new(repo.clone(), crate::login::PasswordHasher::from_config(&c.login)?);
    let seeded = users.seed(&c.login.seed_users, clock.now_unix()).await?;
    if seeded > 0 {
        tracing::warn!(
            seeded,
            "seeded user accounts from login.seed_users (sandboxes only)"
        );
    }
    let clients = c
        .clients
        .iter()
        .map(crate::model::Client::from_static)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let fetcher = crate::jwks_fetch::JwksFetcher::new(&c.tls.client_ca)?;
    let config_api_fetcher = fetcher.clone();
    // `[login.upstream]`: the bank's OpenID Provider, read through the same
    // fetcher when the first login needs it (`oauth/upstream`).
    let upstream = c.login.upstream.clone().map(|u| {
        Arc::new(crate::oauth::upstream::provider::Upstream::new(
            u,
            fetcher.clone(),
        ))
    });
    let app_key_fetcher = fetcher.clone();
    let config_api_keys = keys_rx.clone();
    let config_api_repo = repo.clone();
    let config_api_clock = clock.clone();
    if c.login.danger_weak_password_hashing {
        tracing::warn!(
            memory_kib = c.login.argon2_memory_kib,
            iterations = c.login.argon2_iterations,
            "login.danger_weak_password_hashing: passwords are hashed below OWASP's minimum (load tests only)"
        );
    }
    if c.login.totp.danger_payments_without_sca {
        tracing::warn!(
            "login.totp.danger_payments_without_sca: payments are authorised with the password alone (PSD2 RTS Art. 4 and 5 demand SCA; test set-ups only)"
        );
    }
    if c.registration.enabled && c.registration.danger_allow_localhost_redirects {
        tracing::warn!(
            "registration.danger_allow_localhost_redirects: loopback redirect URIs are registrable (sandboxes only)"
        );
    }
    // The section documents an operator wrote live (`oauth/live_sections`)
    // rule their sections from the first request on.
    let sections = Arc::new(crate::oauth::live_sections::LiveSections::new(
        config.clone(),
        repo.clone(),
        clock.clone(),
    ));
    sections.reload().await?;
    let directories = match c.registration.enabled {
        true => Some(Arc::new(
            crate::oauth::registration::directories::TrustedDirectories::live(
                sections.clone(),
                fetcher.clone(),
            )?,
        )),
        false => None,
    };
    let clients =
        crate::actors::client_registry::ClientRegistry::new(clients, Some(fetcher), root.get_cell())
            .with_registered(crate::actors::client_registry::RegisteredSource {
                repo: repo.clone(),
                clock: clock.clone(),
                // The registration policy and directories as the node runs
                // them (`oauth/policies/budgets.rs`).
                budgets: Arc::new(crate::oauth::policies::budgets::LiveBudgets::new(
                    sections.clone(),
                )),
            });
    // With registration on, a registered client of a directory an operator
    // removed live is refused, and a directory's budget is the one in
    // force (`ClientRegistry::with_live_directories`).
    let clients = match c.registration.enabled {
        true => clients.with_live_directories({
            let sections = sections.clone();
            Arc::new(move |issuer: &str| {
                sections
                    .get::<crate::oauth::live_sections::TrustedDirectories>()
                    .iter()
                    .find(|d| d.issuer == issuer)
                    .map(|d| crate::model::registered_budget::RequestBudget {
                        requests_per_second: d.requests_per_second,
                        burst: d.burst,
                    })
            })
        }),
        false => clients,
    };
    // Client documents an operator wrote live (`oauth/managed_clients`)
    // override the file's entries from the first request on.
    clients.reload_managed().await?;
    let sessions = crate::oauth::session::SessionRegistry::new(
        repo.clone(),
        Duration::from_secs(c.login.interaction_ttl_secs),
        root.get_cell(),
    );
    // Loaded whether or not the file requires nonces: the live `tokens`
    // policy may switch them on (`OpState::dpop_nonces`).
    let dpop_nonces = crate::oauth::dpop_nonce::DpopNonces::load(&repo, clock.now_unix()).await?;
    let (ciba, ciba_jobs) = match c.ciba.enabled {
        true => {
            let (deliveries, jobs) = crate::oauth::ciba::notify::queue();
            let (device, device_items) = crate::oauth::ciba::device_queue::queue(c.ciba.device_queue_max);
            let ciba = crate::oauth::ciba::Ciba {
                poster: crate::outbound::OutboundPoster::new(&c.tls.client_ca)?,
                pending: crate::oauth::ciba::pending::Pending::spawn(
                    c.ciba.max_pending,
                    clock.clone(),
                    root.get_cell(),
                )
                .await?,
                deliveries,
                device,
                poll_times: crate::oauth::ciba::poll_times::PollTimes::new(c.ciba.max_pending),
            };
            if c.ciba.danger_allow_private_notification_endpoints {
                tracing::warn!(
                    "ciba.danger_allow_private_notification_endpoints: client notification endpoints may be private or loopback (sandboxes only)"
                );
            }
            (Some(Arc::new(ciba)), Some((jobs, device_items)))
        }
        false => (None, None),
    };
    let op = Arc::new(OpState::new(
        config.clone(),
        keys_rx,
        crate::oauth::op::Services {
            repo,
            users,
            clients,
            sessions,
            dpop_nonces,
            clock,
            directories,
            ciba,
            interaction_budgets: Default::default(),
            interaction_app_keys: crate::oauth::interaction_app_keys::AppKeys::new(Some(app_key_fetcher)),
            sections,
            upstream,
        },
    )?);
    if let Some((jobs, device_items)) = ciba_jobs {
        tokio::spawn(crate::oauth::ciba::notify::run(Arc::downgrade(&op), jobs));
        tokio::spawn(crate::oauth::ciba::device_batch::run(
            Arc::downgrade(&op),
            device_items,
        ));
    }
    let node_id = node_id()?;
    tracing::info!(node = %node_id, "node id of this process (trust lease holder name)");
    let trust = crate::oauth::registration::trust::TrustMonitor::spawn(
        op.clone(),
        Duration::from_secs(c.registration.status_check_interval_secs),
        node_id.clone(),
    );
    let client_watch = tokio::spawn(crate::oauth::managed_clients::watch::run(
        Arc::downgrade(&op),
        Duration::from_millis(c.store.client_config_poll_ms),
    ));
    // Revocations reach the API gateways (`oauth/revocation_notices`).
    let revocation_notifier = crate::oauth::revocation_notices::RevocationNotifier::spawn(
        Arc::downgrade(&op),
        crate::outbound::OutboundPoster::new(&c.tls.client_ca)?,
    );
    let op_state = Arc::downgrade(&op);
    let handler = make_handler(op);

    let (stop, stop_rx) = watch::channel(false);
    let trusted: Arc<[std::net::IpAddr]> = c.server.trusted_proxies.clone().into();
    let proxy_protocol_from: Arc<[std::net::IpAddr]> = c
        .server
        .proxy_protocol_from
        .iter()
        .map(|ip| ip.to_canonical())
        .collect();
    let draining = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // One admission gate for every OP listener: they share the cores.
    let bounds = crate::http::admission::AdmissionBounds::of(&c.server);
    let admission =
        crate::http::admission::AdmissionGate::new(bounds, crate::http::runtime_lag::RuntimeLag::spawn());
    let service_for = |alt_svc| {
        Arc::new(
            RequestService::new(
                handler.clone(),
                c.server.max_body_bytes,
                Duration::from_millis(c.server.body_read_timeout_ms),
                trusted.clone(),
                alt_svc,
                client_chain.clone(),
            )
            .with_draining(draining.clone())
            .with_admission(admission.clone()),
        )
    };
    let header_read_timeout = Duration::from_millis(c.server.header_read_timeout_ms);
    let shutdown_grace = Duration::from_millis(c.server.shutdown_grace_ms);
    let mut listeners = Vec::new();

    let main_listener = TcpListener::bind(c.server.listen)
        .await
        .with_context(|| format!("server.listen: cannot bind {}", c.server.listen))?;
    let main_addr = main_listener.local_addr()?;
    let (h3_addr, alt_svc) = if c.server.http3 {
        let limits = h3::H3Limits {
            header_read_timeout,
            max_body_bytes: c.server.max_body_bytes,
            max_connections_per_address: c.server.http3_max_connections_per_address,
            max_connections: c.server.http3_max_connections,
        };
        let endpoint = h3::bind(main_addr, main_tls.clone(), &limits)
            .with_context(|| format!("server.http3: cannot bind UDP {main_addr}"))?;
        let addr = endpoint.local_addr()?;
        let alt_svc = http::HeaderValue::from_str(&format!("h3=\":{}\"; ma=86400", addr.port())).ok();
        let service = service_for(None);
        listeners.push(tokio::spawn(h3::run(
            endpoint,
            service,
            limits,
            stop_rx.clone(),
            shutdown_grace,
        )));
        (Some(addr), alt_svc)
    } else {
        (None, None)
    };
    listeners.push(tokio::spawn(tcp::run(
        tcp::TcpServing {
            listener: main_listener,
            kind: ListenerKind::Main,
            tls: main_tls,
            service: service_for(alt_svc),
            header_read_timeout,
            proxy_protocol_from: proxy_protocol_from.clone(),
            shutdown_grace,
        },
        stop_rx.clone(),
    )));

    let mtls_addr = match c.server.mtls_listen {
        Some(addr) => {
            let listener = TcpListener::bind(addr)
                .await
                .with_context(|| format!("server.mtls_listen: cannot bind {addr}"))?;
            let local = listener.local_addr()?;
            listeners.push(tokio::spawn(tcp::run(
                tcp::TcpServing {
                    listener,
                    kind: ListenerKind::MtlsAlias,
                    tls: tls::server_config(&c.tls, ClientAuth::Required)?,
                    service: service_for(None),
                    header_read_timeout,
                    proxy_protocol_from: proxy_protocol_from.clone(),
                    shutdown_grace,
                },
                stop_rx.clone(),
            )));
            Some(local)
        }
        None => None,
    };
    let config_api_addr = match &c.config_api {
        Some(api) => {
            let (addr, task) = crate::config_api::listener::start(
                api,
                crate::config_api::listener::Wiring {
                    config: config.clone(),
                    repo: config_api_repo,
                    backend: backend.clone(),
                    key_manager: key_manager.clone(),
                    published: config_api_keys,
                    clock: config_api_clock,
                    fetcher: config_api_fetcher,
                    stop: stop_rx.clone(),
                    draining: draining.clone(),
                    op: op_state.clone(),
                },
            )
            .await?;
            listeners.push(task);
            Some(addr)
        }
        None => None,
    };
    readiness.set("tls", true);

    let admin = AdminListener::start(
        c.admin.listen,
        "admin.listen",
        Admin {
            readiness: readiness.clone(),
            metrics,
            revocations: None,
        },
    )
    .await?;
    let admin_addr = admin.addr;

    tracing::info!(issuer = config.issuer(), %main_addr, ?h3_addr, ?mtls_addr, %admin_addr, ?config_api_addr, "Fiducia OP serving");
    Ok(ServerHandle {
        main_addr,
        h3_addr,
        mtls_addr,
        admin_addr,
        config_api_addr,
        readiness,
        node_id,
        stop,
        draining,
        drain_delay: Duration::from_millis(c.server.drain_delay_ms),
        key_manager,
        store,
        sweeper,
        audit_checkpoints,
        client_watch,
        revocation_notifier,
        op: op_state,
        trust,
        key_backend: backend,
        listeners,
        admin,
        root,
        root_task,
    })
}

impl ServerHandle {
    /// The running OP's state while it serves: what an in-process caller
    /// (the Config API's routes, tests) hands to the application layer,
    /// e.g. `oauth::managed_clients::ManagedClients::of`.
    pub fn op_state(&self) -> Option<Arc<OpState>> {
        self.op.upgrade()
    }

    /// Begins a graceful shutdown: `/readyz` turns false and the listeners stop accepting.
    pub fn begin_shutdown(&self) {
        self.begin_drain();
        let _ = self.stop.send(true);
    }

    /// `/readyz` turns false and HTTP/1.1 responses carry `Connection:
    /// close`; the listeners go on accepting.
    fn begin_drain(&self) {
        self.readiness.set_draining();
        self.draining.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether this node holds the continuous-trust lease (runs the trust
    /// checks); false when registration runs no checks.
    pub fn holds_trust_lease(&self) -> bool {
        self.trust.as_ref().is_some_and(|t| t.holds_lease())
    }

    /// Reloads the keys now (instead of at the next refresh) and returns the
    /// published kids.
    pub async fn refresh_keys(&self) -> anyhow::Result<Vec<String>> {
        ractor::call!(self.key_manager, KeyManagerMessage::RefreshAndReport)
            .map_err(|e| anyhow::anyhow!("key manager: {e}"))
    }

    /// Shuts down gracefully: `/readyz` turns false and, for
    /// `server.drain_delay_ms`, the node still serves (so a balancer's health
    /// check takes it out first and kept-alive clients move away); then stop
    /// accepting, drain in-flight requests (up to `server.shutdown_grace_ms`),
    /// then stop the admin listener and the actors.
    pub async fn shutdown(self) {
        if !self.drain_delay.is_zero() {
            self.begin_drain();
            tracing::info!(
                drain_delay_ms = self.drain_delay.as_millis() as u64,
                "draining: not ready, still serving"
            );
            tokio::time::sleep(self.drain_delay).await;
        }
        self.begin_shutdown();
        for listener in self.listeners {
            let _ = listener.await;
        }
        self.key_manager.stop(None);
        self.audit_checkpoints.abort();
        self.client_watch.abort();
        self.revocation_notifier.stop().await;
        if let Some(trust) = self.trust {
            trust.stop().await;
        }
        if let KeyBackend::Pkcs11 { pool, .. } = &*self.key_backend {
            pool.shutdown().await;
        }
        self.root.stop(Some("shutdown".into()));
        let _ = self.root_task.await;
        self.sweeper.stop().await;
        self.store.close().await;
        self.admin.stop().await;
        tracing::info!("Fiducia OP stopped");
    }
}

/// A node id for this process: `node-` and 64 random bits in hex, new at
/// every start. Random rather than configured because the lease's safety
/// rests on two live processes never sharing an id, and a configured id
/// is easily shared (one ConfigMap for every replica, a copied config);
/// a restarted process is a new node, which takes the lease like any
/// other once its old one is released or expired. Logged at start.
fn node_id() -> anyhow::Result<Arc<str>> {
    let mut bytes = [0u8; 8];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| anyhow::anyhow!("the random generator failed"))?;
    Ok(format!("node-{:016x}", u64::from_be_bytes(bytes)).into())
}

/// The CA file a `dev_generate`d PKI writes: the first client CA bundle.
fn dev_ca_path(config: &ValidatedConfig) -> anyhow::Result<&std::path::Path> {
    config
        .get()
        .tls
        .client_ca
        .first()
        .map(|p| p.as_path())
        .context("tls.client_ca: dev_generate needs a path for the development CA")
}
