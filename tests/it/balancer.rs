//! The OP behind a TCP-passthrough load balancer: the PROXY protocol
//! header (HAProxy's specification, v1 §2.1 and v2 §2.2) from
//! `server.proxy_protocol_from` peers names the client, TLS and mTLS still
//! end at the OP, a balancer's connection without a header is closed, and
//! on shutdown `server.drain_delay_ms` keeps the node serving (not ready,
//! HTTP/1.1 `Connection: close`, RFC 9110 §7.6.1) before it stops accepting.

use super::support::*;
use bytes::Bytes;
use fiducia::http::client_cert::to_header_value;
use fiducia::http::{Handler, HandlerFuture, RequestContext};
use fiducia::protocol::client_cert::x5t_s256;
use fiducia::server::{self, ServerHandle};
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};

/// Reports the peer, the client address and the certificate the transport
/// handed over.
struct PeerEcho;

impl Handler for PeerEcho {
    fn handle<'a>(&'a self, _request: Request<Bytes>, context: &'a RequestContext) -> HandlerFuture<'a> {
        let body = serde_json::json!({
            "peer": context.peer.to_string(),
            "client_addr": context.client_addr.to_string(),
            "x5t#S256": context.client_cert.as_ref().map(|c| c.x5t_s256().to_string()),
        });
        Box::pin(async move { Response::new(Bytes::from(body.to_string())) })
    }
}

/// A v2 PROXY header for TCP over IPv4 from `client` (spec §2.2).
fn v2_header(client: SocketAddr) -> Vec<u8> {
    let SocketAddr::V4(client) = client else {
        panic!("IPv4 only")
    };
    let mut header = b"\r\n\r\n\0\r\nQUIT\n".to_vec();
    header.extend_from_slice(&[0x21, 0x11, 0x00, 12]);
    header.extend_from_slice(&client.ip().octets());
    header.extend_from_slice(&[127, 0, 0, 1]);
    header.extend_from_slice(&client.port().to_be_bytes());
    header.extend_from_slice(&8443u16.to_be_bytes());
    header
}

/// Connects from `source` (a loopback address), writes `preface`, then
/// speaks TLS and HTTP/1.1; `Err` when the TLS handshake fails.
async fn request_via(
    addr: SocketAddr,
    source: [u8; 4],
    preface: &[u8],
    tls: Arc<rustls::ClientConfig>,
    request: Request<Full<Bytes>>,
) -> Result<Response<Bytes>, std::io::Error> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((source, 0)))?;
    let mut tcp: TcpStream = socket.connect(addr).await?;
    tcp.write_all(preface).await?;
    let stream = tokio_rustls::TlsConnector::from(tls)
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(std::io::Error::other)?;
    tokio::spawn(conn);
    let response = sender
        .send_request(request)
        .await
        .map_err(std::io::Error::other)?;
    let (parts, body) = response.into_parts();
    let body = body.collect().await.map_err(std::io::Error::other)?.to_bytes();
    Ok(Response::from_parts(parts, body))
}

async fn echo_server(pki: &TestPki, server_extra: &str) -> ServerHandle {
    server::start_with(pki.config(server_extra), |_| Arc::new(PeerEcho))
        .await
        .unwrap()
}

/// PROXY protocol v1 and v2 from the listed balancer name the client; the
/// client's own TLS certificate still reaches the OP (TLS passthrough), and
/// RFC 9440 `Client-Cert` / `X-Forwarded-For` headers sent through the
/// balancer are the client's own words, never a trusted proxy's, even when
/// the balancer's address is also in `trusted_proxies`.
#[tokio::test]
async fn a_balancers_proxy_header_names_the_client_and_tls_still_ends_at_the_op() {
    let pki = TestPki::new();
    let op = echo_server(
        &pki,
        "proxy_protocol_from = [\"127.0.0.1\"]\ntrusted_proxies = [\"127.0.0.1\"]",
    )
    .await;
    let leaf = pki.client_leaf_der();
    let client: SocketAddr = "203.0.113.9:41000".parse().unwrap();

    let mut forged = get("/");
    let other_leaf = to_header_value(&pki.client_leaf_der()[..]);
    forged
        .headers_mut()
        .insert("client-cert", other_leaf.parse().unwrap());
    forged
        .headers_mut()
        .insert("x-forwarded-for", "198.51.100.1".parse().unwrap());
    let response = request_via(
        op.main_addr,
        [127, 0, 0, 1],
        &v2_header(client),
        client_tls(&pki, true, &[b"http/1.1"]),
        forged,
    )
    .await
    .unwrap();
    let echo = json(response.body());
    assert_eq!(echo["peer"], "203.0.113.9:41000");
    assert_eq!(
        echo["client_addr"], "203.0.113.9",
        "X-Forwarded-For from a client is not believed"
    );
    assert_eq!(
        echo["x5t#S256"],
        x5t_s256(&leaf).as_str(),
        "the handshake's own certificate"
    );

    // Without its own certificate, the client's Client-Cert header is ignored.
    let mut forged = get("/");
    forged
        .headers_mut()
        .insert("client-cert", to_header_value(&leaf).parse().unwrap());
    let response = request_via(
        op.main_addr,
        [127, 0, 0, 1],
        &v2_header(client),
        client_tls(&pki, false, &[b"http/1.1"]),
        forged,
    )
    .await
    .unwrap();
    assert!(
        json(response.body())["x5t#S256"].is_null(),
        "{:?}",
        response.body()
    );

    // Version 1.
    let response = request_via(
        op.main_addr,
        [127, 0, 0, 1],
        b"PROXY TCP4 192.0.2.44 127.0.0.1 50505 8443\r\n",
        client_tls(&pki, false, &[b"http/1.1"]),
        get("/"),
    )
    .await
    .unwrap();
    assert_eq!(json(response.body())["peer"], "192.0.2.44:50505");

    // The balancer's address without a header, or with a broken one: closed
    // before TLS, counted.
    for preface in [
        &b""[..],
        b"PROXY TCP4 not-an-address\r\n",
        b"GET / HTTP/1.1\r\n\r\n",
    ] {
        let refused = request_via(
            op.main_addr,
            [127, 0, 0, 1],
            preface,
            client_tls(&pki, false, &[b"http/1.1"]),
            get("/"),
        )
        .await;
        assert!(refused.is_err(), "{:?}", String::from_utf8_lossy(preface));
    }
    let (_, metrics) = admin_get(op.admin_addr, "/metrics").await;
    let refusals = metrics
        .lines()
        .find(|l| l.starts_with("fiducia_proxy_protocol_refusals_total{listener=\"main\"}"))
        .unwrap_or_else(|| panic!("no refusal counter: {metrics}"));
    assert!(refusals.ends_with(" 3"), "{refusals}");

    // Another peer is served directly and may not send a header: 127.0.0.2
    // is not the balancer, so its PROXY line is not read and breaks its TLS.
    let response = request_via(
        op.main_addr,
        [127, 0, 0, 2],
        b"",
        client_tls(&pki, false, &[b"http/1.1"]),
        get("/"),
    )
    .await
    .unwrap();
    assert!(
        json(response.body())["peer"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.2:")
    );
    let claimed = request_via(
        op.main_addr,
        [127, 0, 0, 2],
        &v2_header(client),
        client_tls(&pki, false, &[b"http/1.1"]),
        get("/"),
    )
    .await;
    assert!(claimed.is_err(), "a non-balancer cannot claim an address");
    op.shutdown().await;
}

/// `server.drain_delay_ms`: on shutdown `/readyz` answers 503 at once while
/// the node keeps serving, each HTTP/1.1 response closing its connection;
/// after the delay the listener stops accepting and the process ends.
#[tokio::test]
async fn the_drain_delay_keeps_serving_while_not_ready_then_stops_accepting() {
    let pki = TestPki::new();
    let op = echo_server(&pki, "drain_delay_ms = 1500").await;
    let (main, admin) = (op.main_addr, op.admin_addr);
    let tls = client_tls(&pki, false, &[b"http/1.1"]);
    let response = request_via(main, [127, 0, 0, 1], b"", tls.clone(), get("/"))
        .await
        .unwrap();
    assert!(
        response.headers().get("connection").is_none(),
        "kept alive while serving"
    );
    assert_eq!(admin_get(admin, "/readyz").await.0, 200);

    let started = std::time::Instant::now();
    let shutdown = tokio::spawn(op.shutdown());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (status, body) = admin_get(admin, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    let response = request_via(main, [127, 0, 0, 1], b"", tls.clone(), get("/"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "still serving while draining");
    assert_eq!(response.headers()["connection"], "close");

    shutdown.await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    assert!(
        request_via(main, [127, 0, 0, 1], b"", tls, get("/"))
            .await
            .is_err(),
        "no longer accepting"
    );
}
