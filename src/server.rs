//! Start-up and shutdown of a whole OP process: TLS, signer, listeners (TCP,
//! QUIC, mTLS alias, admin), the actor root. `fiducia serve` and
//! `fiducia sandbox` call [`start`], then [`ServerHandle::shutdown`] on
//! SIGTERM/SIGINT; tests call the same functions in-process.

use crate::actors::root::{RootSupervisor, RootSupervisorMessage};
use crate::admin::{self, Admin, readiness::Readiness};
use crate::config::{SigningBackend, SigningConfig, ValidatedConfig};
use crate::http::endpoints::OpState;
use crate::http::router::Router;
use crate::http::service::RequestService;
use crate::http::tls::{self, ClientAuth};
use crate::http::{Handler, ListenerKind, h3, tcp};
use anyhow::Context;
use fiducia_hsm::{Signer, SoftwareSigner};
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
    /// Readiness as `/readyz` reports it.
    pub readiness: Arc<Readiness>,
    stop: watch::Sender<bool>,
    listeners: Vec<JoinHandle<()>>,
    admin: JoinHandle<()>,
    admin_stop: watch::Sender<bool>,
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
    let config = Arc::new(config);
    let c = config.get();
    let metrics = admin::metrics::install();
    let readiness = Arc::new(Readiness::default());
    readiness.register("tls");
    readiness.register("signer");

    if c.tls.dev_generate
        && crate::pki::ensure_dev_pki(&c.tls.cert, &c.tls.key, dev_ca_path(&config)?, &c.tls.dev_sans)?
    {
        tracing::warn!(cert = %c.tls.cert.display(), "generated a development PKI (tls.dev_generate); never use it in production");
    }
    let main_tls = tls::server_config(&c.tls, ClientAuth::Optional)?;

    let signer = signer(&c.signing).context("signing")?;
    readiness.set("signer", true);
    let op = Arc::new(OpState::new(config.clone(), signer)?);
    let handler = make_handler(op);

    let (root, root_task) = Actor::spawn(None, RootSupervisor, ())
        .await
        .map_err(|e| anyhow::anyhow!("actor root supervisor did not start: {e}"))?;

    let (stop, stop_rx) = watch::channel(false);
    let trusted: Arc<[std::net::IpAddr]> = c.server.trusted_proxies.clone().into();
    let service_for = |alt_svc| {
        Arc::new(RequestService::new(
            handler.clone(),
            c.server.max_body_bytes,
            Duration::from_millis(c.server.body_read_timeout_ms),
            trusted.clone(),
            alt_svc,
        ))
    };
    let header_read_timeout = Duration::from_millis(c.server.header_read_timeout_ms);
    let shutdown_grace = Duration::from_millis(c.server.shutdown_grace_ms);
    let mut listeners = Vec::new();

    let main_listener = TcpListener::bind(c.server.listen)
        .await
        .with_context(|| format!("server.listen: cannot bind {}", c.server.listen))?;
    let main_addr = main_listener.local_addr()?;
    let (h3_addr, alt_svc) = if c.server.http3 {
        let endpoint = h3::bind(main_addr, main_tls.clone())
            .with_context(|| format!("server.http3: cannot bind UDP {main_addr}"))?;
        let addr = endpoint.local_addr()?;
        let alt_svc = http::HeaderValue::from_str(&format!("h3=\":{}\"; ma=86400", addr.port())).ok();
        let service = service_for(None);
        listeners.push(tokio::spawn(h3::run(
            endpoint,
            service,
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
                    shutdown_grace,
                },
                stop_rx.clone(),
            )));
            Some(local)
        }
        None => None,
    };
    readiness.set("tls", true);

    let admin_listener = TcpListener::bind(c.admin.listen)
        .await
        .with_context(|| format!("admin.listen: cannot bind {}", c.admin.listen))?;
    let admin_addr = admin_listener.local_addr()?;
    let (admin_stop, admin_stop_rx) = watch::channel(false);
    let admin = tokio::spawn(admin::run(
        admin_listener,
        Arc::new(Admin {
            readiness: readiness.clone(),
            metrics,
        }),
        admin_stop_rx,
    ));

    tracing::info!(issuer = config.issuer(), %main_addr, ?h3_addr, ?mtls_addr, %admin_addr, "Fiducia OP serving");
    Ok(ServerHandle {
        main_addr,
        h3_addr,
        mtls_addr,
        admin_addr,
        readiness,
        stop,
        listeners,
        admin,
        admin_stop,
        root,
        root_task,
    })
}

impl ServerHandle {
    /// Begins a graceful shutdown: `/readyz` turns false and the listeners stop accepting.
    pub fn begin_shutdown(&self) {
        self.readiness.set_draining();
        let _ = self.stop.send(true);
    }

    /// Shuts down gracefully: stop accepting, drain in-flight requests (up to
    /// `server.shutdown_grace_ms`), then stop the admin listener and the actors.
    pub async fn shutdown(self) {
        self.begin_shutdown();
        for listener in self.listeners {
            let _ = listener.await;
        }
        self.root.stop(Some("shutdown".into()));
        let _ = self.root_task.await;
        let _ = self.admin_stop.send(true);
        let _ = self.admin.await;
        tracing::info!("Fiducia OP stopped");
    }
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

fn signer(config: &SigningConfig) -> anyhow::Result<Arc<dyn Signer>> {
    match config.backend {
        SigningBackend::Software => {
            tracing::warn!("{}", fiducia_hsm::SOFTWARE_SIGNER_WARNING);
            let signer = match &config.software_key_file {
                Some(path) if path.exists() => {
                    let pem = std::fs::read_to_string(path).with_context(|| {
                        format!("signing.software_key_file: cannot read {}", path.display())
                    })?;
                    SoftwareSigner::from_pkcs8_pem(config.alg, &pem)
                        .with_context(|| format!("signing.software_key_file: {}", path.display()))?
                }
                Some(path) => {
                    let signer = SoftwareSigner::generate(config.alg)?;
                    crate::pki::write_private_file(path, signer.to_pkcs8_pem()?.as_bytes()).with_context(
                        || format!("signing.software_key_file: cannot write {}", path.display()),
                    )?;
                    signer
                }
                None => SoftwareSigner::generate(config.alg)?,
            };
            tracing::info!(kid = signer.key_id(), alg = %config.alg, "software signing key loaded");
            Ok(Arc::new(signer))
        }
    }
}
