//! A small HTTPS server on the OP's serving stack (`tls`, `tcp`,
//! `RequestService`) for the sandbox's side services — the regulatory
//! directory, the sample bank API: one listener, one handler, graceful stop.

use super::context::Handler;
use super::service::RequestService;
use super::tls::{self, ClientAuth};
use super::{ListenerKind, tcp};
use crate::config::TlsConfig;
use anyhow::Context;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Time to read a request's headers, and then its body.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Time in-flight requests get to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// What to serve, and how.
pub struct Standalone {
    /// For logs and errors, e.g. "sandbox directory".
    pub name: &'static str,
    /// Where to listen.
    pub listen: SocketAddr,
    /// Server certificate, key and the client CA.
    pub tls: TlsConfig,
    /// Whether a client certificate is optional or required.
    pub client_auth: ClientAuth,
    /// How the listener's connections are labelled.
    pub kind: ListenerKind,
    /// Largest request body.
    pub max_body_bytes: usize,
}

/// A running server.
pub struct StandaloneServer {
    /// The bound address.
    pub addr: SocketAddr,
    name: &'static str,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Standalone {
    /// Binds and serves `handler`.
    pub async fn serve(self, handler: Arc<dyn Handler>) -> anyhow::Result<StandaloneServer> {
        let name = self.name;
        let server_tls =
            tls::server_config(&self.tls, self.client_auth).with_context(|| format!("{name} TLS"))?;
        let client_chain =
            tls::client_chain_verifier(&self.tls).with_context(|| format!("{name} client CA"))?;
        let service = Arc::new(RequestService::new(
            handler,
            self.max_body_bytes,
            READ_TIMEOUT,
            Arc::from(Vec::new()),
            None,
            client_chain,
        ));
        let listener = TcpListener::bind(self.listen)
            .await
            .with_context(|| format!("{name}: cannot bind {}", self.listen))?;
        let addr = listener.local_addr()?;
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(tcp::run(
            tcp::TcpServing {
                listener,
                kind: self.kind,
                tls: server_tls,
                service,
                header_read_timeout: READ_TIMEOUT,
                proxy_protocol_from: Arc::from([]),
                shutdown_grace: SHUTDOWN_GRACE,
            },
            stop_rx,
        ));
        tracing::info!(%addr, "{name} serving");
        Ok(StandaloneServer {
            addr,
            name,
            stop,
            task,
        })
    }
}

impl StandaloneServer {
    /// Stops accepting, lets in-flight requests finish, and returns when the
    /// listener is done.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        tracing::info!("{} stopped", self.name);
    }
}
