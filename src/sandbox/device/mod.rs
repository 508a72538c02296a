//! The sandbox customer device (`fiducia device`): the customer's phone in
//! the decoupled flow (OpenID Connect CIBA Core 1.0 §1, §5: the customer
//! authenticates on an authentication device other than the client's). The
//! OP's authentication device channel talks to it; a person uses its page.
//!
//! | route | who | file |
//! |---|---|---|
//! | `POST /ciba/requests` | the OP: a request, or a batch of them, as a JWS it signed | `notify.rs`, `batch.rs` |
//! | `GET /`, `POST /signin`, `/decide`, `/signout` | a customer in a browser | `web.rs`, `page.rs` |
//! | `GET /api/customers/{username}/requests`, `POST /api/requests/{id}/approve\|deny` | scripts, as the customer (HTTP Basic) | `api.rs` |
//!
//! A decision goes to the OP's `decision_endpoint` over mTLS with the
//! device's client certificate (`decision.rs`), carrying the customer's
//! `sub`, `acr`, `amr` and `auth_time`. Requests wait in memory
//! (`inbox.rs`, bounded, expired ones never decided); with `auto_approve`
//! each is approved as it arrives (load tests).

mod api;
mod batch;
mod customers;
mod decision;
mod inbox;
mod notification;
mod notify;
mod op_keys;
mod page;
mod respond;
mod sessions;
mod state;
mod summary;
mod web;

pub use decision::AMR;
pub use notification::NOTIFICATION_TYP;

use crate::clock::{Clock, SystemClock};
use crate::config::{DeviceConfig, TlsConfig};
use crate::http::ListenerKind;
use crate::http::context::{Handler, HandlerFuture, RequestContext, RouteLabel};
use crate::http::standalone::{Standalone, StandaloneServer};
use crate::http::tls::ClientAuth;
use crate::jwks_fetch::JwksFetcher;
use bytes::Bytes;
use http::{Method, Request, StatusCode};
use state::DeviceState;
use std::net::SocketAddr;
use std::sync::Arc;

/// Where the OP POSTs requests (the channel's notification URL is the
/// device's origin + this path).
pub const NOTIFICATION_PATH: &str = "/ciba/requests";
/// The OP's decision endpoint path (on its mTLS alias).
pub const DECISION_PATH: &str = "/ciba/decision";

/// A running device.
pub struct DeviceServer {
    /// The bound address.
    pub addr: SocketAddr,
    server: StandaloneServer,
}

impl DeviceServer {
    /// Stops accepting, lets in-flight requests finish.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

/// Hashes the customers' passwords and serves the device (`config` validated).
pub async fn start(config: DeviceConfig) -> anyhow::Result<DeviceServer> {
    start_with_clock(config, Arc::new(SystemClock)).await
}

/// [`start`] with a chosen clock.
pub async fn start_with_clock(config: DeviceConfig, clock: Arc<dyn Clock>) -> anyhow::Result<DeviceServer> {
    let fetcher = JwksFetcher::new(&config.op.ca)?;
    let state = Arc::new(DeviceState {
        customers: customers::Customers::new(&config.customers).await?,
        inbox: inbox::Inbox::new(config.max_pending),
        sessions: sessions::Sessions::new(config.session_ttl_secs, config.max_sessions),
        op_keys: op_keys::OpKeys::new(fetcher, config.op.jwks_uri.clone()),
        decisions: decision::DecisionClient::new(&config.op)?,
        clock,
        auto_approvals: Arc::new(tokio::sync::Semaphore::new(config.max_pending)),
        config,
    });
    let server = Standalone {
        name: "sandbox customer device",
        listen: state.config.listen,
        tls: TlsConfig {
            cert: state.config.cert.clone(),
            key: state.config.key.clone(),
            client_ca: Vec::new(),
            ..TlsConfig::default()
        },
        client_auth: ClientAuth::Optional,
        kind: ListenerKind::Main,
        max_body_bytes: state.config.max_body_bytes,
    }
    .serve(Arc::new(DeviceRoutes { state }))
    .await?;
    Ok(DeviceServer {
        addr: server.addr,
        server,
    })
}

struct DeviceRoutes {
    state: Arc<DeviceState>,
}

impl Handler for DeviceRoutes {
    fn handle<'a>(&'a self, request: Request<Bytes>, _context: &'a RequestContext) -> HandlerFuture<'a> {
        Box::pin(async move {
            let state = &self.state;
            let path = request.uri().path();
            let (label, mut response) = match (request.method(), path) {
                (&Method::POST, NOTIFICATION_PATH) => {
                    ("device_notification", notify::receive(state, request).await)
                }
                (_, p) if p.starts_with(api::PREFIX) => ("device_api", api::handle(state, &request).await),
                (&Method::GET, "/") => ("device_page", web::home(state, &request)),
                (&Method::POST, page::SIGN_IN) => ("device_page", web::sign_in(state, &request).await),
                (&Method::POST, page::DECIDE) => ("device_page", web::decide(state, &request).await),
                (&Method::POST, page::SIGN_OUT) => ("device_page", web::sign_out(state, &request)),
                _ => (
                    "device_other",
                    respond::json_error(StatusCode::NOT_FOUND, "not_found", "no such route"),
                ),
            };
            response.extensions_mut().insert(RouteLabel(label));
            response
        })
    }
}
