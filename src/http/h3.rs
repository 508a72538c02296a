//! HTTP/3 (RFC 9114) over QUIC (quinn), on the main listener's port number
//! over UDP, with the same TLS configuration (client certificates included)
//! and the same request service as TCP. Advertised through `Alt-Svc`.

use super::context::{ListenerKind, Transport};
use super::service::{ConnectionInfo, RequestService};
use crate::protocol::error::{ErrorCode, OAuthError};
use bytes::{Buf, Bytes, BytesMut};
use rustls_pki_types::CertificateDer;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// Binds a QUIC endpoint for `tls` on `addr`.
pub fn bind(addr: SocketAddr, tls: Arc<rustls::ServerConfig>) -> anyhow::Result<quinn::Endpoint> {
    let crypto = quinn::crypto::rustls::QuicServerConfig::try_from(tls)?;
    let mut config = quinn::ServerConfig::with_crypto(Arc::new(crypto));
    let mut transport = quinn::TransportConfig::default();
    transport.max_idle_timeout(Some(quinn::IdleTimeout::try_from(Duration::from_secs(30))?));
    config.transport_config(Arc::new(transport));
    Ok(quinn::Endpoint::server(config, addr)?)
}

/// Accepts QUIC connections until `stop` turns true, then sends GOAWAY,
/// lets in-flight requests finish (up to `grace`) and closes the endpoint.
pub async fn run(
    endpoint: quinn::Endpoint,
    service: Arc<RequestService>,
    mut stop: watch::Receiver<bool>,
    grace: Duration,
) {
    // Each connection and request task holds a sender; all dropped = drained.
    let (drain_tx, mut drain_rx) = mpsc::channel::<()>(1);
    loop {
        tokio::select! {
            incoming = endpoint.accept() => match incoming {
                Some(incoming) => {
                    let service = service.clone();
                    let stop = stop.clone();
                    let drain = drain_tx.clone();
                    tokio::spawn(async move {
                        if let Err(e) = serve_connection(incoming, service, stop, drain).await {
                            tracing::debug!(error = %e, "HTTP/3 connection ended with an error");
                        }
                    });
                }
                None => break,
            },
            _ = stop.changed() => break,
        }
    }
    endpoint.set_server_config(None);
    drop(drain_tx);
    if tokio::time::timeout(grace, drain_rx.recv()).await.is_err() {
        tracing::warn!("HTTP/3 shutdown grace period over; closing remaining connections");
    }
    endpoint.close(quinn::VarInt::from_u32(0), b"shutting down");
    let _ = tokio::time::timeout(Duration::from_secs(1), endpoint.wait_idle()).await;
}

async fn serve_connection(
    incoming: quinn::Incoming,
    service: Arc<RequestService>,
    mut stop: watch::Receiver<bool>,
    drain: mpsc::Sender<()>,
) -> anyhow::Result<()> {
    let _open = crate::admin::metrics::OpenConnection::new("h3");
    let connection = match incoming.await {
        Ok(c) => c,
        Err(e) => {
            crate::admin::metrics::tls_handshake_failed("h3");
            return Err(e.into());
        }
    };
    let peer = connection.remote_address();
    let tls_client_cert = connection
        .peer_identity()
        .and_then(|id| id.downcast::<Vec<CertificateDer<'static>>>().ok())
        .and_then(|chain| service.tls_client_certificate(*chain));
    let conn = Arc::new(ConnectionInfo {
        peer,
        listener: ListenerKind::Main,
        tls_client_cert,
    });
    let mut h3_conn: h3::server::Connection<h3_quinn::Connection, Bytes> =
        h3::server::Connection::new(h3_quinn::Connection::new(connection)).await?;
    let mut shutting_down = *stop.borrow();
    if shutting_down {
        h3_conn.shutdown(0).await?;
    }
    loop {
        tokio::select! {
            accepted = h3_conn.accept() => match accepted? {
                Some(resolver) => {
                    let service = service.clone();
                    let conn = conn.clone();
                    let drain = drain.clone();
                    tokio::spawn(async move {
                        let _drain = drain;
                        if let Err(e) = serve_request(resolver, &service, &conn).await {
                            tracing::debug!(error = %e, "HTTP/3 request failed");
                        }
                    });
                }
                None => return Ok(()),
            },
            _ = stop.changed(), if !shutting_down => {
                shutting_down = true;
                // RFC 9114 §5.2: GOAWAY; requests already accepted finish.
                h3_conn.shutdown(0).await?;
            }
        }
    }
}

async fn serve_request(
    resolver: h3::server::RequestResolver<h3_quinn::Connection, Bytes>,
    service: &RequestService,
    conn: &ConnectionInfo,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let (request, mut stream) = resolver.resolve_request().await?;
    let (parts, ()) = request.into_parts();
    let body = read_body(&mut stream, service).await;
    let response = service.finish(conn, Transport::Http3, parts, body, started).await;
    let (head, body) = response.into_parts();
    stream.send_response(http::Response::from_parts(head, ())).await?;
    if !body.is_empty() {
        stream.send_data(body).await?;
    }
    stream.finish().await?;
    Ok(())
}

async fn read_body(
    stream: &mut h3::server::RequestStream<h3_quinn::BidiStream<Bytes>, Bytes>,
    service: &RequestService,
) -> Result<Bytes, OAuthError> {
    let limit = service.max_body_bytes();
    let read =
        async {
            let mut body = BytesMut::new();
            while let Some(mut chunk) = stream.recv_data().await.map_err(|e| {
                OAuthError::invalid_request(format!("the request body could not be read: {e}"))
            })? {
                if body.len() + chunk.remaining() > limit {
                    return Err(OAuthError::new(
                        ErrorCode::RequestTooLarge,
                        format!("the request body is larger than {limit} bytes"),
                    ));
                }
                while chunk.has_remaining() {
                    let piece = chunk.chunk();
                    body.extend_from_slice(piece);
                    let n = piece.len();
                    chunk.advance(n);
                }
            }
            Ok(body.freeze())
        };
    match tokio::time::timeout(service.body_read_timeout(), read).await {
        Ok(result) => result,
        Err(_) => Err(OAuthError::new(
            ErrorCode::RequestTimeout,
            "the request body did not arrive in time",
        )),
    }
}
