//! HTTP/3 (RFC 9114) over QUIC (quinn), on the main listener's port number
//! over UDP, with the same TLS configuration (client certificates included)
//! and the same request service as TCP. Advertised through `Alt-Svc`.
//!
//! Bounded like HTTP/1.1 and HTTP/2 (`http::limits`, `[server]`):
//!
//! | what | bound | where |
//! |---|---|---|
//! | connections per peer address, and in all | `http3_max_connections_per_address`, `http3_max_connections`; refused before the handshake (`CONNECTION_REFUSED`) | [`run`], `connection_slots` |
//! | TLS handshake | `header_read_timeout_ms` | `serve_connection` |
//! | idle connection | `IDLE_TIMEOUT_SECS` (QUIC `max_idle_timeout`) | [`bind`] |
//! | concurrent requests | `MAX_CONCURRENT_STREAMS` bidirectional streams; 16 unidirectional | [`bind`] |
//! | header section | `MAX_HEADER_BYTES` decoded (h3 answers 431); its frame at most twice that, encoded, before h3 buffers it | `serve_connection`, `h3_guard` |
//! | request head | complete within `header_read_timeout_ms` of the stream's opening | `h3_guard`, `serve_request` |
//! | body | `max_body_bytes` within `body_read_timeout_ms` (413, 408) | `read_body` |
//! | bytes held per stream and per connection | head + body limit; at most [`CONNECTION_BUDGET`] (or one stream's) per connection, also QUIC's receive windows | `h3_guard`, [`bind`] |

use super::connection_slots::ConnectionSlots;
use super::context::Transport;
use super::h3_guard::{GuardedConnection, StreamLimits};
use super::limits::{IDLE_TIMEOUT_SECS, MAX_CONCURRENT_STREAMS, MAX_HEADER_BYTES};
use super::service::{ConnectionInfo, RequestService};
use crate::oauth::caller::ListenerKind;
use crate::protocol::error::{ErrorCode, OAuthError};
use bytes::{Buf, Bytes, BytesMut};
use rustls_pki_types::CertificateDer;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// Bytes the live streams of one connection may have delivered at once
/// (HTTP/2's default connection flow-control window, RFC 9113 §6.9.2),
/// unless one request may carry more.
pub const CONNECTION_BUDGET: usize = 1024 * 1024;
/// Unidirectional streams a peer may have open (RFC 9114 §6.2: control
/// and the two QPACK streams, with room for reserved types).
const MAX_UNI_STREAMS: u32 = 16;
/// Bytes one unidirectional stream may carry (SETTINGS, GOAWAY,
/// MAX_PUSH_ID and reserved frames; QPACK streams stay empty, the dynamic
/// table being off).
const MAX_CONTROL_STREAM_BYTES: usize = 64 * 1024;
/// Framing around a body (DATA frame headers, trailers) beyond its limit.
const FRAMING_SLACK: usize = 16 * 1024;

/// The HTTP/3 listener's limits.
#[derive(Debug, Clone, Copy)]
pub struct H3Limits {
    /// Time for the QUIC/TLS handshake and then for each request head.
    pub header_read_timeout: Duration,
    /// Largest request body (the service's).
    pub max_body_bytes: usize,
    /// Connections one peer address may have open.
    pub max_connections_per_address: usize,
    /// Connections the listener may have open.
    pub max_connections: usize,
}

impl H3Limits {
    fn streams(&self) -> StreamLimits {
        let max_head_frame = 2 * MAX_HEADER_BYTES as usize;
        let max_request_stream = max_head_frame + self.max_body_bytes + FRAMING_SLACK;
        StreamLimits {
            head_timeout: self.header_read_timeout,
            max_head_frame,
            max_request_stream,
            max_control_stream: MAX_CONTROL_STREAM_BYTES,
            connection_budget: CONNECTION_BUDGET.max(max_request_stream),
        }
    }
}

/// Binds a QUIC endpoint for `tls` on `addr`.
pub fn bind(
    addr: SocketAddr,
    tls: Arc<rustls::ServerConfig>,
    limits: &H3Limits,
) -> anyhow::Result<quinn::Endpoint> {
    let crypto = quinn::crypto::rustls::QuicServerConfig::try_from(tls)?;
    let mut config = quinn::ServerConfig::with_crypto(Arc::new(crypto));
    let streams = limits.streams();
    let as_varint = |n: usize| quinn::VarInt::from_u64(n as u64);
    let mut transport = quinn::TransportConfig::default();
    transport
        .max_idle_timeout(Some(quinn::IdleTimeout::try_from(Duration::from_secs(
            IDLE_TIMEOUT_SECS,
        ))?))
        .max_concurrent_bidi_streams(MAX_CONCURRENT_STREAMS.into())
        .max_concurrent_uni_streams(MAX_UNI_STREAMS.into())
        .stream_receive_window(as_varint(streams.max_request_stream)?)
        .receive_window(as_varint(streams.connection_budget)?);
    config.transport_config(Arc::new(transport));
    Ok(quinn::Endpoint::server(config, addr)?)
}

/// Accepts QUIC connections until `stop` turns true, then sends GOAWAY,
/// lets in-flight requests finish (up to `grace`) and closes the endpoint.
/// Connections beyond `limits`' bounds are refused before their handshake.
pub async fn run(
    endpoint: quinn::Endpoint,
    service: Arc<RequestService>,
    limits: H3Limits,
    mut stop: watch::Receiver<bool>,
    grace: Duration,
) {
    let slots = ConnectionSlots::new(limits.max_connections_per_address, limits.max_connections);
    // Each connection and request task holds a sender; all dropped = drained.
    let (drain_tx, mut drain_rx) = mpsc::channel::<()>(1);
    loop {
        tokio::select! {
            incoming = endpoint.accept() => match incoming {
                Some(incoming) => {
                    let peer = incoming.remote_address();
                    let slot = match slots.take(peer.ip()) {
                        Ok(slot) => slot,
                        Err(full) => {
                            super::metrics::connection_refused("h3", full.as_str());
                            tracing::debug!(%peer, bound = full.as_str(), "HTTP/3 connection refused");
                            incoming.refuse();
                            continue;
                        }
                    };
                    let service = service.clone();
                    let stop = stop.clone();
                    let drain = drain_tx.clone();
                    tokio::spawn(async move {
                        let _slot = slot;
                        if let Err(e) = serve_connection(incoming, service, limits, stop, drain).await {
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
    limits: H3Limits,
    mut stop: watch::Receiver<bool>,
    drain: mpsc::Sender<()>,
) -> anyhow::Result<()> {
    let _open = super::metrics::OpenConnection::new("h3");
    let connection = match tokio::time::timeout(limits.header_read_timeout, incoming).await {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => {
            super::metrics::tls_handshake_failed("h3");
            return Err(e.into());
        }
        Err(_) => {
            super::metrics::tls_handshake_failed("h3");
            anyhow::bail!("QUIC handshake timed out");
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
        through_balancer: false,
    });
    let mut h3_conn: h3::server::Connection<GuardedConnection, Bytes> = h3::server::builder()
        .max_field_section_size(MAX_HEADER_BYTES.into())
        .build(GuardedConnection::new(connection, limits.streams()))
        .await?;
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
                        if let Err(e) = serve_request(resolver, &service, &conn, limits.header_read_timeout).await {
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
    resolver: h3::server::RequestResolver<GuardedConnection, Bytes>,
    service: &RequestService,
    conn: &ConnectionInfo,
    header_read_timeout: Duration,
) -> anyhow::Result<()> {
    let started = Instant::now();
    // h3_guard cuts a head that is late on the wire (from the stream's
    // opening); this backstop also bounds h3's own steps (a 431 it answers
    // to a peer that does not read).
    let (request, mut stream) = tokio::time::timeout(2 * header_read_timeout, resolver.resolve_request())
        .await
        .map_err(|_| anyhow::anyhow!("the request head did not arrive in time"))??;
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
    stream: &mut h3::server::RequestStream<
        <GuardedConnection as h3::quic::OpenStreams<Bytes>>::BidiStream,
        Bytes,
    >,
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
