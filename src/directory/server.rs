//! The directory's HTTPS listener: the OP's serving stack (rustls with the FAPI suites,
//! hyper-util HTTP/1.1 + HTTP/2, the shared request wrapper) in front of
//! [`DirectoryHandler`]. Client certificates are requested but optional (the JWKS and
//! status endpoints are public); whether one chains to the directory CA is decided per
//! connection, and the SSA endpoint insists on it.

use super::Directory;
use super::http::DirectoryHandler;
use crate::clock::{Clock, SystemClock};
use crate::config::TlsConfig;
use crate::http::service::RequestService;
use crate::http::tls::{self, ClientAuth};
use crate::http::{ListenerKind, tcp};
use crate::pki::{CA_CERT_FILE, SERVER_CERT_FILE, SERVER_KEY_FILE};
use anyhow::Context;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Largest request body the directory reads (SSA requests have none).
const MAX_BODY_BYTES: usize = 16 * 1024;
/// Time for the TLS handshake, the request head and the body.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long in-flight requests may finish after shutdown begins.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A running directory server.
pub struct DirectoryServer {
    /// The bound address.
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// Serves `directory` on `listen` over TLS with the server certificate of its CA directory.
pub async fn start(directory: Arc<Directory>, listen: SocketAddr) -> anyhow::Result<DirectoryServer> {
    start_with_clock(directory, listen, Arc::new(SystemClock)).await
}

/// [`start`] with a chosen clock (`iat` of the SSAs).
pub async fn start_with_clock(
    directory: Arc<Directory>,
    listen: SocketAddr,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<DirectoryServer> {
    let ca_dir = directory.state()?.settings.ca_dir;
    let tls_config = TlsConfig {
        cert: ca_dir.join(SERVER_CERT_FILE),
        key: ca_dir.join(SERVER_KEY_FILE),
        client_ca: vec![ca_dir.join(CA_CERT_FILE)],
        ..TlsConfig::default()
    };
    let server_tls = tls::server_config(&tls_config, ClientAuth::Optional).context("directory TLS")?;
    let client_chain = tls::client_chain_verifier(&tls_config).context("directory client CA")?;
    let handler = Arc::new(DirectoryHandler::new(directory, clock));
    let service = Arc::new(RequestService::new(
        handler,
        MAX_BODY_BYTES,
        READ_TIMEOUT,
        Arc::from(Vec::new()),
        None,
        client_chain,
    ));
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("directory: cannot bind {listen}"))?;
    let addr = listener.local_addr()?;
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(tcp::run(
        tcp::TcpServing {
            listener,
            kind: ListenerKind::Main,
            tls: server_tls,
            service,
            header_read_timeout: READ_TIMEOUT,
            shutdown_grace: SHUTDOWN_GRACE,
        },
        stop_rx,
    ));
    tracing::info!(%addr, "sandbox directory serving");
    Ok(DirectoryServer { addr, stop, task })
}

impl DirectoryServer {
    /// Stops accepting, lets in-flight requests finish, and returns when the listener is done.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        tracing::info!("sandbox directory stopped");
    }
}
