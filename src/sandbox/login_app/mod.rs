//! The sandbox's login-and-consent app: the bank's "own" web login, a
//! service apart from the OP that knows nothing of its internals. The OP
//! hands it the interactions of the clients configured for it (`/authorize`
//! answers 303 to its `/login?interaction_id=...`); it signs the customer
//! in against its own customer table, shows the consent and reports both
//! through the OP's interaction API (`op_api.rs`: `/interaction-api/*`
//! over mTLS with its own certificate from the sandbox CA), then sends the
//! browser to the `return_to` the OP answers.
//!
//! | route | what | file |
//! |---|---|---|
//! | `GET /login?interaction_id=` | what is asked; the password form | `web.rs`, `pages.rs` |
//! | `POST /login` | the password; then the code form, or the consent | `web.rs`, `customers.rs` |
//! | `GET /otp`, `POST /otp` | the TOTP code (RFC 6238) for SCA, with the payment shown | `web.rs`, `customers.rs` |
//! | `GET /consent`, `POST /consent` | client, scopes, payment, account; approve or deny | `web.rs`, `pages.rs` |
//!
//! Every form carries the sign-in's CSRF token (RFC 6749 §10.12,
//! synchronizer token, `sessions.rs`); pages are HTML without scripts,
//! every value escaped (`login::html::Text`), with the login pages'
//! security headers (`http::browser::page`).

mod customers;
mod op_api;
mod pages;
mod sessions;
mod settings;
mod state;
mod web;

pub use customers::AppCustomer;
pub use settings::{CONSENT_PATH, LOGIN_PATH, LoginAppConfig, OTP_PATH, OpApiConfig};

use crate::clock::{Clock, SystemClock};
use crate::config::TlsConfig;
use crate::http::ListenerKind;
use crate::http::context::{Handler, HandlerFuture, RequestContext, RouteLabel};
use crate::http::standalone::{Standalone, StandaloneServer};
use crate::http::tls::ClientAuth;
use bytes::Bytes;
use http::{Method, Request};
use state::AppState;
use std::net::SocketAddr;
use std::sync::Arc;

/// A running app.
pub struct LoginAppServer {
    /// The bound address.
    pub addr: SocketAddr,
    server: StandaloneServer,
}

impl LoginAppServer {
    /// Stops accepting, lets in-flight requests finish.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

/// Hashes the customers' passwords and serves the app.
pub async fn start(config: LoginAppConfig) -> anyhow::Result<LoginAppServer> {
    start_with_clock(config, Arc::new(SystemClock)).await
}

/// [`start`] with a chosen clock.
pub async fn start_with_clock(
    config: LoginAppConfig,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<LoginAppServer> {
    let state = Arc::new(AppState {
        customers: customers::Customers::new(&config.customers).await?,
        sessions: sessions::Sessions::new(config.session_ttl_secs, config.max_sessions),
        op: op_api::OpApi::new(&config.op)?,
        clock,
        config,
    });
    let server = Standalone {
        name: "sandbox login app",
        listen: state.config.listen,
        tls: TlsConfig {
            cert: state.config.cert.clone(),
            key: state.config.key.clone(),
            client_ca: Vec::new(),
            ..TlsConfig::default()
        },
        client_auth: ClientAuth::Optional,
        kind: ListenerKind::Main,
        max_body_bytes: 16 * 1024,
    }
    .serve(Arc::new(AppRoutes { state }))
    .await?;
    Ok(LoginAppServer {
        addr: server.addr,
        server,
    })
}

struct AppRoutes {
    state: Arc<AppState>,
}

impl Handler for AppRoutes {
    fn handle<'a>(&'a self, request: Request<Bytes>, _context: &'a RequestContext) -> HandlerFuture<'a> {
        Box::pin(async move {
            let state = &self.state;
            let mut response = match (request.method(), request.uri().path()) {
                (&Method::GET, LOGIN_PATH) => web::start(state, &request).await,
                (&Method::POST, LOGIN_PATH) => web::password(state, &request).await,
                (&Method::GET, OTP_PATH) => web::otp_page(state, &request).await,
                (&Method::POST, OTP_PATH) => web::otp(state, &request).await,
                (&Method::GET, CONSENT_PATH) => web::consent_page(state, &request).await,
                (&Method::POST, CONSENT_PATH) => web::consent(state, &request).await,
                _ => web::not_found(),
            };
            response.extensions_mut().insert(RouteLabel("login_app_page"));
            response
        })
    }
}
