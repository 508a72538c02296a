//! HTTP/3 bounded like HTTP/1.1 and HTTP/2, over real QUIC against the OP's
//! listener: the header section (RFC 9114 §4.2.2, 431 per RFC 6585 §5), a
//! HEADERS frame too large to buffer, a request head that never ends, the
//! connections of one address, and what the server holds meanwhile.
//!
//! The client writes HTTP/3 frames (RFC 9114 §7) and QPACK field lines
//! (RFC 9204 §4.5) by hand, so that it can break the rules h3's own client
//! keeps.

use super::support::*;
use fiducia::server::{self, ServerHandle};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// RFC 9114 §8.1.
const H3_EXCESSIVE_LOAD: u32 = 0x0107;
const H3_REQUEST_INCOMPLETE: u32 = 0x010d;

/// One QUIC connection speaking raw HTTP/3.
struct RawH3 {
    endpoint: quinn::Endpoint,
    connection: quinn::Connection,
    _control: quinn::SendStream,
}

impl RawH3 {
    async fn connect(pki: &TestPki, addr: SocketAddr) -> Result<Self, quinn::ConnectionError> {
        let crypto =
            quinn::crypto::rustls::QuicClientConfig::try_from(client_tls(pki, false, &[b"h3"])).unwrap();
        let mut config = quinn::ClientConfig::new(Arc::new(crypto));
        let mut transport = quinn::TransportConfig::default();
        transport.send_window(1 << 20);
        config.transport_config(Arc::new(transport));
        let mut endpoint = quinn::Endpoint::client("127.0.0.1:0".parse().unwrap()).unwrap();
        endpoint.set_default_client_config(config);
        let connection = endpoint.connect(addr, "localhost").unwrap().await?;
        // RFC 9114 §6.2.1: the control stream, opening with SETTINGS.
        let mut control = connection.open_uni().await.unwrap();
        control.write_all(&[0x00, 0x04, 0x00]).await.unwrap();
        Ok(Self {
            endpoint,
            connection,
            _control: control,
        })
    }

    /// Sends a GET of `path` with `extra` fields; the response's field
    /// section (QPACK-encoded) and whether a DATA frame followed.
    async fn get(&self, path: &str, extra: &[(&str, &str)]) -> (Vec<u8>, bool) {
        let (mut send, mut recv) = self.connection.open_bi().await.unwrap();
        send.write_all(&frame(0x01, &field_section(path, extra)))
            .await
            .unwrap();
        send.finish().unwrap();
        let response = tokio::time::timeout(Duration::from_secs(10), recv.read_to_end(1 << 20))
            .await
            .expect("a response in time")
            .expect("a response");
        let (ty, payload, rest) = split_frame(&response);
        assert_eq!(ty, 0x01, "a HEADERS frame first");
        (payload.to_vec(), !rest.is_empty())
    }

    async fn close(self) {
        self.connection.close(0u32.into(), b"done");
        self.endpoint.wait_idle().await;
    }
}

/// An RFC 9114 §7.1 frame.
fn frame(ty: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![ty];
    out.extend(varint(payload.len() as u64));
    out.extend(payload);
    out
}

/// An RFC 9000 §16 variable-length integer.
fn varint(n: u64) -> Vec<u8> {
    match n {
        0..64 => vec![n as u8],
        64..16_384 => ((n as u16) | 0x4000).to_be_bytes().to_vec(),
        16_384..1_073_741_824 => ((n as u32) | 0x8000_0000).to_be_bytes().to_vec(),
        _ => (n | 0xc000_0000_0000_0000).to_be_bytes().to_vec(),
    }
}

fn split_frame(bytes: &[u8]) -> (u8, &[u8], &[u8]) {
    let ty = bytes[0];
    let (len, at) = match bytes[1] >> 6 {
        0 => (u64::from(bytes[1]), 2),
        1 => (u64::from(u16::from_be_bytes([bytes[1] & 0x3f, bytes[2]])), 3),
        _ => panic!("a short test response"),
    };
    let end = at + len as usize;
    (ty, &bytes[at..end], &bytes[end..])
}

/// An RFC 9204 §4.5 field section of literal field lines (no Huffman, no
/// table): a GET of `path` at localhost, with `extra`.
fn field_section(path: &str, extra: &[(&str, &str)]) -> Vec<u8> {
    let mut out = vec![0x00, 0x00];
    let pseudo = [
        (":method", "GET"),
        (":scheme", "https"),
        (":authority", "localhost"),
        (":path", path),
    ];
    for (name, value) in pseudo.iter().chain(extra) {
        prefixed(&mut out, 0x20, 3, name.len());
        out.extend(name.as_bytes());
        prefixed(&mut out, 0x00, 7, value.len());
        out.extend(value.as_bytes());
    }
    out
}

/// An RFC 7541 §5.1 integer with a `bits`-bit prefix after `flags`.
fn prefixed(out: &mut Vec<u8>, flags: u8, bits: u8, n: usize) {
    let max = (1usize << bits) - 1;
    if n < max {
        out.push(flags | n as u8);
        return;
    }
    out.push(flags | max as u8);
    let mut n = n - max;
    while n >= 128 {
        out.push((n % 128) as u8 | 0x80);
        n /= 128;
    }
    out.push(n as u8);
}

/// `:status 200` is QPACK static entry 25 (RFC 9204 Appendix A): one
/// indexed field line.
fn is_200(section: &[u8]) -> bool {
    section.get(2) == Some(&(0xc0 | 25))
}

/// `:status 431`: a literal with the static name `:status` (entry 24),
/// its value raw or Huffman-coded (RFC 7541 Appendix B: `4` 011010,
/// `3` 011001, `1` 00001, then EOS padding).
fn is_431(section: &[u8]) -> bool {
    let value = &section[2..];
    value.starts_with(&[0x5f, 0x09, 0x83, 0x69, 0x90, 0xff])
        || value.starts_with(&[0x5f, 0x09, 0x03, b'4', b'3', b'1'])
}

/// The process's resident set, in bytes (Linux).
fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

async fn op(pki: &TestPki, server: &str) -> (ServerHandle, SocketAddr) {
    let handle = server::start(pki.config(server)).await.unwrap();
    let addr = handle.h3_addr.expect("HTTP/3 is on by default");
    (handle, addr)
}

/// RFC 9114 §4.2.2 and RFC 6585 §5: a header section over 16 KiB (HTTP/2's
/// limit) gets 431 and never reaches the endpoint; a normal one on the same
/// connection is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_header_section_gets_431() {
    let pki = TestPki::new();
    let (handle, addr) = op(&pki, "").await;
    let client = RawH3::connect(&pki, addr).await.unwrap();
    let (section, body) = client.get("/jwks", &[]).await;
    assert!(is_200(&section) && body, "{section:02x?}");

    let big = "a".repeat(20 * 1024);
    let (section, body) = client.get("/jwks", &[("x-big", &big)]).await;
    assert!(is_431(&section), "{section:02x?}");
    assert!(!body, "no content with the 431");
    client.close().await;
    handle.shutdown().await;
}

/// A HEADERS frame announcing more than a header section may hold is
/// refused as soon as its length arrives (`H3_EXCESSIVE_LOAD`), so a
/// flood of them — 4 connections × 8 streams, each trying to send 4 MiB of
/// one header section — leaves the server's memory where it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_header_flood_is_stopped_and_memory_stays_bounded() {
    const CONNECTIONS: usize = 4;
    const STREAMS: usize = 8;
    const PER_STREAM: usize = 4 << 20;
    let pki = TestPki::new();
    let (handle, addr) = op(&pki, "").await;
    let mut clients = Vec::new();
    for _ in 0..CONNECTIONS {
        clients.push(RawH3::connect(&pki, addr).await.unwrap());
    }
    let before = resident_bytes();
    let mut floods = Vec::new();
    for client in &clients {
        for _ in 0..STREAMS {
            let connection = client.connection.clone();
            floods.push(tokio::spawn(async move {
                let (mut send, _recv) = connection.open_bi().await.unwrap();
                // HEADERS announcing 1 GiB, then its bytes. The stream is
                // kept open (returned) until memory is measured.
                let mut head = vec![0x01];
                head.extend(varint(1 << 30));
                let chunk = vec![0x5a; 64 * 1024];
                let mut written = 0;
                let mut outcome = send.write_all(&head).await;
                while outcome.is_ok() && written < PER_STREAM {
                    outcome = send.write_all(&chunk).await;
                    if outcome.is_ok() {
                        written += chunk.len();
                    }
                }
                (written, outcome.err(), send)
            }));
        }
    }
    let mut outcomes = Vec::new();
    for flood in floods {
        outcomes.push(
            tokio::time::timeout(Duration::from_secs(120), flood)
                .await
                .expect("the flood ends")
                .unwrap(),
        );
    }
    let grown = resident_bytes().saturating_sub(before);
    let attempted = (CONNECTIONS * STREAMS * PER_STREAM) as u64;
    assert!(
        grown < attempted / 2,
        "the server kept what was sent: {grown} bytes more resident after {attempted} attempted"
    );
    for (written, error, _send) in outcomes {
        assert_eq!(
            error,
            Some(quinn::WriteError::Stopped(H3_EXCESSIVE_LOAD.into())),
            "{written} bytes written"
        );
        assert!(written <= 2 << 20, "{written} bytes accepted before the stop");
    }
    // The connections still serve a normal request.
    let (section, _) = clients[0].get("/jwks", &[]).await;
    assert!(is_200(&section));
    for client in clients {
        client.close().await;
    }
    handle.shutdown().await;
}

/// Like HTTP/1.1's header read timeout: a request stream whose HEADERS
/// frame is not complete within `header_read_timeout_ms` is reset
/// (`H3_REQUEST_INCOMPLETE`, RFC 9114 §8.1) and no longer read; the
/// connection's other requests are not affected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_head_not_finished_in_time_is_cut() {
    let pki = TestPki::new();
    let (handle, addr) = op(&pki, "header_read_timeout_ms = 1000").await;
    let client = RawH3::connect(&pki, addr).await.unwrap();
    let (mut send, mut recv) = client.connection.open_bi().await.unwrap();
    let started = Instant::now();
    // HEADERS of 100 bytes, 10 of them sent.
    let mut head = vec![0x01];
    head.extend(varint(100));
    head.extend([0u8; 10]);
    send.write_all(&head).await.unwrap();
    let read = tokio::time::timeout(Duration::from_secs(5), recv.read_to_end(1024))
        .await
        .expect("the server resets the stream within the timeout");
    assert!(
        matches!(read, Err(quinn::ReadToEndError::Read(quinn::ReadError::Reset(code))) if code == H3_REQUEST_INCOMPLETE.into()),
        "{read:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(900));
    let stopped = tokio::time::timeout(Duration::from_secs(5), send.stopped())
        .await
        .expect("the server stops reading the stream")
        .unwrap();
    assert!(stopped.is_some(), "STOP_SENDING");
    let (section, _) = client.get("/jwks", &[]).await;
    assert!(is_200(&section));
    client.close().await;
    handle.shutdown().await;
}

/// At most `http3_max_connections_per_address` connections from one
/// address: the next is refused before its handshake completes
/// (`CONNECTION_REFUSED`, RFC 9000 §20.1); one closed, one more is let in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_from_one_address_are_bounded() {
    let pki = TestPki::new();
    let (handle, addr) = op(&pki, "http3_max_connections_per_address = 3").await;
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(RawH3::connect(&pki, addr).await.unwrap());
    }
    for _ in 0..5 {
        let refused = RawH3::connect(&pki, addr).await.err();
        assert!(
            matches!(&refused, Some(quinn::ConnectionError::ConnectionClosed(close))
                if close.error_code == quinn::TransportErrorCode::CONNECTION_REFUSED),
            "{refused:?}"
        );
    }
    open.pop().unwrap().close().await;
    let deadline = Instant::now() + Duration::from_secs(5);
    let again = loop {
        match RawH3::connect(&pki, addr).await {
            Ok(client) => break client,
            // The server may not have seen the close yet.
            Err(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(e) => panic!("the slot did not come back: {e}"),
        }
    };
    let (section, _) = again.get("/jwks", &[]).await;
    assert!(is_200(&section));
    again.close().await;
    for client in open {
        client.close().await;
    }
    handle.shutdown().await;
}
