//! The API gateway (`fiducia gateway`): an Internet-facing reverse proxy in
//! front of the bank API. It reuses the OP's serving stack (rustls listener
//! with the client certificate required, hyper-util HTTP/1.1 and HTTP/2,
//! the shared request wrapper with body limits, `x-fapi-interaction-id`
//! and request metrics, graceful shutdown, the admin listener) and puts
//! [`proxy::Gateway`] behind it: token, binding, scope, consent and budget
//! checks, then the call to the bank API over mTLS as the gateway.

pub mod amount;
pub mod dpop;
pub mod dpop_replay;
pub mod errors;
pub mod forwarded_headers;
pub mod https_client;
pub mod introspection;
pub mod jwt;
pub mod metrics;
pub mod op_keys;
pub mod payment;
pub mod payment_grant;
pub mod payment_intent;
pub mod proxy;
pub mod rate_limit;
pub mod revocation_notice;
pub mod routes;
pub mod token_info;
pub mod trusted_headers;

use crate::admin::{self, Admin, AdminListener, readiness::Readiness};
use crate::clock::SystemClock;
use crate::config::{GatewayConfig, TlsConfig, TokenValidation};
use crate::http::service::RequestService;
use crate::http::tls::{self, ClientAuth};
use crate::http::{ListenerKind, tcp};
use anyhow::Context;
use https_client::HttpsClient;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running gateway.
pub struct GatewayHandle {
    /// The public listener's address.
    pub addr: SocketAddr,
    /// The admin listener's address.
    pub admin_addr: SocketAddr,
    readiness: Arc<Readiness>,
    stop: watch::Sender<bool>,
    listener: JoinHandle<()>,
    admin: AdminListener,
}

/// Starts the gateway of a validated `[gateway]` section.
pub async fn start(c: GatewayConfig) -> anyhow::Result<GatewayHandle> {
    let metrics = admin::metrics::install();
    let readiness = Arc::new(Readiness::default());
    readiness.register("tls");
    let tls_config = TlsConfig {
        cert: c.cert.clone(),
        key: c.key.clone(),
        client_ca: c.client_ca.clone(),
        ..TlsConfig::default()
    };
    // RFC 8705 §2: no certificate, no connection.
    let server_tls = tls::server_config(&tls_config, ClientAuth::Required)?;
    let client_chain = tls::client_chain_verifier(&tls_config)?;

    let op_client = Arc::new(
        HttpsClient::new(
            &c.op.client_cert,
            &c.op.client_key,
            &c.op.ca,
            Duration::from_secs(5),
            1024 * 1024,
        )
        .context("gateway.op: the gateway's client certificate")?,
    );
    let payments = Arc::new(payment_grant::PaymentGrants::new(
        op_client.clone(),
        c.op.grant_reservation_endpoint.clone(),
        c.op.grant_consumption_endpoint.clone(),
        c.op.client_id.clone(),
    ));
    let mut revocations: Option<Arc<dyn admin::revocations::RevocationSink>> = None;
    let tokens = match c.op.token_validation {
        TokenValidation::Introspection => {
            let introspector = Arc::new(introspection::Introspector::new(
                op_client.clone(),
                c.op.introspection_endpoint.clone(),
                c.op.client_id.clone(),
                Duration::from_secs(c.op.cache_ttl_secs),
            ));
            // Revocation notices: signed by the OP, for this gateway's id.
            revocations = Some(Arc::new(revocation_notice::NoticeReceiver::new(
                op_keys::OpKeys::new(
                    op_client,
                    c.op.jwks_uri.clone(),
                    Duration::from_secs(c.op.jwks_refresh_secs),
                ),
                c.op.issuer.clone(),
                c.op.client_id.clone(),
                introspector.clone(),
                Arc::new(SystemClock),
            )));
            proxy::TokenSource::Introspection(introspector)
        }
        TokenValidation::Jwt => proxy::TokenSource::Jwt(jwt::JwtVerifier::new(
            op_keys::OpKeys::new(
                op_client,
                c.op.jwks_uri.clone(),
                Duration::from_secs(c.op.jwks_refresh_secs),
            ),
            c.op.issuer.clone(),
            match c.op.audience.is_empty() {
                true => c.op.issuer.clone(),
                false => c.op.audience.clone(),
            },
        )),
    };
    let upstream = Arc::new(
        HttpsClient::new(
            &c.upstream.client_cert,
            &c.upstream.client_key,
            &c.upstream.ca,
            Duration::from_millis(c.upstream.timeout_ms),
            c.upstream.max_response_bytes,
        )
        .context("gateway.upstream: the gateway's client certificate")?,
    );
    let handler = Arc::new(proxy::Gateway {
        routes: routes::RouteTable::new(&c.routes),
        tokens,
        payments,
        dpop: dpop::DpopChecker::new(c.dpop_max_age_secs),
        dpop_replay: dpop_replay::ReplayWindow::new(c.dpop_max_age_secs, c.dpop_jtis_per_client),
        limits: rate_limit::RateLimits::new(c.requests_per_second, c.burst),
        upstream,
        upstream_base: c.upstream.base_url.trim_end_matches('/').to_string(),
        public_url: c.public_url.trim_end_matches('/').to_string(),
        clock: Arc::new(SystemClock),
    });
    let service = Arc::new(RequestService::new(
        handler,
        c.max_body_bytes,
        Duration::from_millis(c.body_read_timeout_ms),
        Arc::from(Vec::new()),
        None,
        client_chain,
    ));

    let (stop, stop_rx) = watch::channel(false);
    let listener = TcpListener::bind(c.listen)
        .await
        .with_context(|| format!("gateway.listen: cannot bind {}", c.listen))?;
    let addr = listener.local_addr()?;
    let listener = tokio::spawn(tcp::run(
        tcp::TcpServing {
            listener,
            kind: ListenerKind::MtlsAlias,
            tls: server_tls,
            service,
            header_read_timeout: Duration::from_millis(c.header_read_timeout_ms),
            // The gateway is not run behind a TCP-passthrough balancer.
            proxy_protocol_from: Arc::from([]),
            shutdown_grace: Duration::from_millis(c.shutdown_grace_ms),
        },
        stop_rx,
    ));
    readiness.set("tls", true);

    let admin = AdminListener::start(
        c.admin_listen,
        "gateway.admin_listen",
        Admin {
            readiness: readiness.clone(),
            metrics,
            revocations,
        },
    )
    .await?;
    let admin_addr = admin.addr;
    tracing::info!(%addr, %admin_addr, upstream = %c.upstream.base_url, "Fiducia API gateway serving");
    Ok(GatewayHandle {
        addr,
        admin_addr,
        readiness,
        stop,
        listener,
        admin,
    })
}

impl GatewayHandle {
    /// Stops accepting, drains in-flight calls, then stops the admin listener.
    pub async fn shutdown(self) {
        self.readiness.set_draining();
        let _ = self.stop.send(true);
        let _ = self.listener.await;
        self.admin.stop().await;
        tracing::info!("Fiducia API gateway stopped");
    }
}
