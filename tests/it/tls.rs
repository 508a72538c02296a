//! TLS policy of the OP listener (FAPI 1.0 Part 2 §8.5, FAPI 2.0 §5.2.1):
//! TLS 1.3, or TLS 1.2 with ECDHE + AES-GCM only; everything older refused.

use super::support::*;
use fiducia::server;
use rustls::CipherSuite;
use rustls::crypto::aws_lc_rs;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn provider_with(suite: CipherSuite) -> rustls::crypto::CryptoProvider {
    let mut provider = aws_lc_rs::default_provider();
    provider.cipher_suites.retain(|s| s.suite() == suite);
    assert_eq!(
        provider.cipher_suites.len(),
        1,
        "{suite:?} not in the client provider"
    );
    provider
}

#[tokio::test]
async fn tls12_with_a_fapi_suite_is_accepted() {
    let pki = TestPki::new();
    let handle = server::start(pki.config("")).await.unwrap();
    let tls = client_tls_with(
        &pki,
        false,
        &[b"http/1.1"],
        provider_with(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
        &[&rustls::version::TLS12],
    );
    let stream = tls_connect(handle.main_addr, tls).await.unwrap();
    assert_eq!(
        stream.get_ref().1.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_2)
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn tls12_with_a_non_fapi_suite_is_refused() {
    let pki = TestPki::new();
    let handle = server::start(pki.config("")).await.unwrap();
    let tls = client_tls_with(
        &pki,
        false,
        &[b"http/1.1"],
        provider_with(CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256),
        &[&rustls::version::TLS12],
    );
    let error = tls_connect(handle.main_addr, tls).await.unwrap_err();
    assert!(
        error.to_string().contains("HandshakeFailure") || error.to_string().contains("handshake"),
        "{error}"
    );
    let (_, metrics) = admin_get(handle.admin_addr, "/metrics").await;
    assert!(
        metrics.contains("fiducia_tls_handshake_failures_total{listener=\"main\"}"),
        "handshake failure not counted:\n{metrics}"
    );
    handle.shutdown().await;
}

#[tokio::test]
async fn tls13_is_accepted() {
    let pki = TestPki::new();
    let handle = server::start(pki.config("")).await.unwrap();
    let tls = client_tls_with(
        &pki,
        false,
        &[b"h2"],
        aws_lc_rs::default_provider(),
        &[&rustls::version::TLS13],
    );
    let stream = tls_connect(handle.main_addr, tls).await.unwrap();
    assert_eq!(
        stream.get_ref().1.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_3)
    );
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    handle.shutdown().await;
}

/// A TLS 1.1 ClientHello (RFC 4346 §7.4.1.2). It offers a suite and curves
/// the server would accept under TLS 1.2; with `sigalgs` it also carries the
/// TLS 1.2 signature_algorithms extension, so that only the version is wrong.
fn tls11_client_hello(sigalgs: bool) -> Vec<u8> {
    let mut body = vec![0x03, 0x02]; // client_version TLS 1.1
    body.extend([0x5a; 32]); // random
    body.push(0); // session_id
    // ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, ECDHE_ECDSA_WITH_AES_128_CBC_SHA
    body.extend([0x00, 0x04, 0xc0, 0x2b, 0xc0, 0x09]);
    body.extend([0x01, 0x00]); // compression: null
    // supported_groups (x25519, secp256r1), ec_point_formats (uncompressed)
    let mut extensions = vec![
        0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,
    ];
    if sigalgs {
        // signature_algorithms: ecdsa_secp256r1_sha256
        extensions.extend([0x00, 0x0d, 0x00, 0x04, 0x00, 0x02, 0x04, 0x03]);
    }
    body.extend((extensions.len() as u16).to_be_bytes());
    body.extend(extensions);
    let mut handshake = vec![0x01, 0x00];
    handshake.extend((body.len() as u16).to_be_bytes());
    handshake.extend(body);
    let mut record = vec![0x16, 0x03, 0x01];
    record.extend((handshake.len() as u16).to_be_bytes());
    record.extend(handshake);
    record
}

/// Sends `hello` and returns the server's reply up to close.
async fn reply_to(addr: std::net::SocketAddr, hello: &[u8]) -> Vec<u8> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(hello).await.unwrap();
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read_to_end(&mut reply)).await;
    reply
}

#[tokio::test]
async fn tls11_is_refused() {
    let pki = TestPki::new();
    let handle = server::start(pki.config("")).await.unwrap();
    // A fatal alert record (type 21, level 2), never a ServerHello.
    // handshake_failure (40): a real TLS 1.1 hello lacks signature_algorithms.
    let reply = reply_to(handle.main_addr, &tls11_client_hello(false)).await;
    assert_eq!(reply, [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 40], "{reply:x?}");
    // protocol_version (70) when the version is the only thing wrong.
    let reply = reply_to(handle.main_addr, &tls11_client_hello(true)).await;
    assert_eq!(reply, [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 70], "{reply:x?}");
    handle.shutdown().await;
}
