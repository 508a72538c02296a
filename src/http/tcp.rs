//! The TCP listener: a PROXY protocol header from a configured balancer
//! (`proxy_protocol.rs`), the TLS handshake (rustls), then HTTP/1.1 or
//! HTTP/2 chosen by ALPN (hyper-util's auto builder), with graceful shutdown.

use super::limits::{HTTP1_MAX_BUF_BYTES, IDLE_TIMEOUT_SECS, MAX_CONCURRENT_STREAMS, MAX_HEADER_BYTES};
use super::metrics as m;
use super::proxy_protocol::{self, ProxiedPeer};
use super::service::{ConnectionInfo, RequestService};
use crate::oauth::caller::ListenerKind;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

/// Settings of one TCP listener.
pub struct TcpServing {
    /// The bound socket.
    pub listener: TcpListener,
    /// Which listener this is.
    pub kind: ListenerKind,
    /// TLS configuration.
    pub tls: Arc<rustls::ServerConfig>,
    /// The request wrapper in front of the router.
    pub service: Arc<RequestService>,
    /// Time for the PROXY header and the TLS handshake together, and for the
    /// request head.
    pub header_read_timeout: Duration,
    /// Peers whose connections must begin with a PROXY protocol header
    /// (`server.proxy_protocol_from`); from any other peer none is read.
    pub proxy_protocol_from: Arc<[IpAddr]>,
    /// How long in-flight requests may run after shutdown begins.
    pub shutdown_grace: Duration,
}

/// Accepts connections until `stop` turns true, then drains: no new
/// connections, in-flight requests finish (up to the grace period), idle
/// keep-alive connections close.
pub async fn run(serving: TcpServing, mut stop: watch::Receiver<bool>) {
    let TcpServing {
        listener,
        kind,
        tls,
        service,
        header_read_timeout,
        proxy_protocol_from,
        shutdown_grace,
    } = serving;
    let acceptor = TlsAcceptor::from(tls);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .max_buf_size(HTTP1_MAX_BUF_BYTES)
        .header_read_timeout(header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(MAX_CONCURRENT_STREAMS)
        .max_header_list_size(MAX_HEADER_BYTES)
        .keep_alive_interval(Some(Duration::from_secs(IDLE_TIMEOUT_SECS)));
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((mut stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let watcher = graceful.watcher();
                    let acceptor = acceptor.clone();
                    let builder = builder.clone();
                    let service = service.clone();
                    let proxy_protocol_from = proxy_protocol_from.clone();
                    tokio::spawn(async move {
                        let _open = m::OpenConnection::new(kind.as_str());
                        let deadline = tokio::time::Instant::now() + header_read_timeout;
                        let through_balancer = proxy_protocol_from.contains(&peer.ip().to_canonical());
                        let peer = if through_balancer {
                            match client_address(&mut stream, peer, deadline, kind).await {
                                Some(client) => client,
                                None => return,
                            }
                        } else {
                            peer
                        };
                        let tls = match tokio::time::timeout_at(deadline, acceptor.accept(stream)).await {
                            Ok(Ok(tls)) => tls,
                            Ok(Err(e)) => {
                                m::tls_handshake_failed(kind.as_str());
                                tracing::debug!(%peer, error = %e, "TLS handshake failed");
                                return;
                            }
                            Err(_) => {
                                m::tls_handshake_failed(kind.as_str());
                                tracing::debug!(%peer, "TLS handshake timed out");
                                return;
                            }
                        };
                        let tls_client_cert = tls
                            .get_ref()
                            .1
                            .peer_certificates()
                            .and_then(|chain| service.tls_client_certificate(chain.to_vec()));
                        let conn = Arc::new(ConnectionInfo {
                            peer,
                            listener: kind,
                            tls_client_cert,
                            through_balancer,
                        });
                        let svc = service_fn(move |request| {
                            let service = service.clone();
                            let conn = conn.clone();
                            async move {
                                let response = service.serve(&conn, request).await;
                                Ok::<_, Infallible>(response.map(http_body_util::Full::new))
                            }
                        });
                        let connection = builder.serve_connection(TokioIo::new(tls), svc).into_owned();
                        if let Err(e) = watcher.watch(connection).await {
                            tracing::debug!(%peer, error = %e, "connection ended with an error");
                        }
                    });
                }
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    tracing::warn!(listener = kind.as_str(), error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = stop.changed() => break,
        }
    }
    drop(listener);
    let open = graceful.count();
    tracing::info!(
        listener = kind.as_str(),
        open,
        "stopped accepting; draining connections"
    );
    if tokio::time::timeout(shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            listener = kind.as_str(),
            "shutdown grace period over; closing remaining connections"
        );
    }
}

/// The client's address from the PROXY header a balancer (`peer`) sends,
/// or `None` (the connection is refused) without a valid header before
/// `deadline`.
async fn client_address(
    stream: &mut TcpStream,
    peer: SocketAddr,
    deadline: tokio::time::Instant,
    kind: ListenerKind,
) -> Option<SocketAddr> {
    match tokio::time::timeout_at(deadline, proxy_protocol::read_header(stream)).await {
        Ok(Ok(ProxiedPeer::Client(client))) => Some(client),
        Ok(Ok(ProxiedPeer::Unknown)) => Some(peer),
        Ok(Err(e)) => {
            m::proxy_header_refused(kind.as_str());
            tracing::debug!(%peer, error = %e, "PROXY protocol header refused");
            None
        }
        Err(_) => {
            m::proxy_header_refused(kind.as_str());
            tracing::debug!(%peer, "PROXY protocol header timed out");
            None
        }
    }
}
