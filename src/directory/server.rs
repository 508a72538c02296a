//! The directory's HTTPS listener: the OP's serving stack (rustls with the FAPI suites,
//! hyper-util HTTP/1.1 + HTTP/2, the shared request wrapper) in front of
//! [`DirectoryHandler`]. Client certificates are requested but optional (the JWKS and
//! status endpoints are public); whether one chains to the directory CA is decided per
//! connection, and the SSA endpoint insists on it.

use super::Directory;
use super::http::DirectoryHandler;
use crate::clock::{Clock, SystemClock};
use crate::config::TlsConfig;
use crate::http::ListenerKind;
use crate::http::standalone::{Standalone, StandaloneServer};
use crate::http::tls::ClientAuth;
use crate::pki::{CA_CERT_FILE, SERVER_CERT_FILE, SERVER_KEY_FILE};
use std::net::SocketAddr;
use std::sync::Arc;

/// Largest request body the directory reads (SSA requests have none).
const MAX_BODY_BYTES: usize = 16 * 1024;

/// A running directory server.
pub type DirectoryServer = StandaloneServer;

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
    let handler = Arc::new(DirectoryHandler::new(directory, clock));
    Standalone {
        name: "sandbox directory",
        listen,
        tls: tls_config,
        client_auth: ClientAuth::Optional,
        kind: ListenerKind::Main,
        max_body_bytes: MAX_BODY_BYTES,
    }
    .serve(handler)
    .await
}
