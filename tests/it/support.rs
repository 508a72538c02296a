//! Test harness: a development PKI in a temp dir, in-process servers on
//! ephemeral ports, and HTTP/1.1, HTTP/2 and HTTP/3 clients over real TLS.

use bytes::Bytes;
use fiducia::config::{self, ValidatedConfig};
use fiducia::pki::{self, ClientCertSpec, PkiInitOptions};
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::net::TcpStream;

/// The software id of the test fintech's transport certificate.
pub const FINTECH: &str = "test-fintech";

/// A development PKI in a temporary directory (shared by clones: the
/// nodes of one OP use the same files).
#[derive(Clone)]
pub struct TestPki {
    pub dir: Arc<tempfile::TempDir>,
}

impl TestPki {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        pki::init(&PkiInitOptions {
            out_dir: dir.path().join("pki"),
            server_sans: vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
            clients: vec![ClientCertSpec::parse(&format!("software_id={FINTECH},org_id=org-1")).unwrap()],
            force: false,
        })
        .unwrap();
        Self { dir: Arc::new(dir) }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join("pki").join(name)
    }

    pub fn ca(&self) -> PathBuf {
        self.path("ca.pem")
    }

    pub fn client_cert(&self) -> PathBuf {
        self.path(&format!("clients/{FINTECH}.pem"))
    }

    pub fn client_key(&self) -> PathBuf {
        self.path(&format!("clients/{FINTECH}.key"))
    }

    /// The DER of the test fintech's leaf certificate.
    pub fn client_leaf_der(&self) -> Vec<u8> {
        CertificateDer::pem_file_iter(self.client_cert())
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .to_vec()
    }

    /// A config file text for this PKI on ephemeral loopback ports, plus
    /// `extra` TOML (a software signing key unless `extra` has `[signing]`).
    pub fn config_text(&self, extra_server: &str, extra: &str) -> String {
        let pki = self.dir.path().join("pki");
        let signing = if extra.contains("[signing]") {
            ""
        } else {
            "[signing]\nbackend = \"software\"\n"
        };
        format!(
            r#"
[server]
issuer = "https://localhost:8443"
listen = "127.0.0.1:0"
shutdown_grace_ms = 5000
{extra_server}

[tls]
cert = "{pki}/server.pem"
key = "{pki}/server.key"
client_ca = ["{pki}/ca.pem"]

[admin]
listen = "127.0.0.1:0"

{extra}
{signing}
"#,
            pki = pki.display()
        )
    }

    /// A validated config for an in-process server.
    pub fn config(&self, extra_server: &str) -> ValidatedConfig {
        let raw = config::load_from_str(&self.config_text(extra_server, ""), Vec::new()).unwrap();
        config::validate(raw, self.dir.path()).unwrap()
    }
}

/// A rustls client trusting `ca`, optionally presenting the test fintech's certificate.
pub fn client_tls(pki: &TestPki, with_cert: bool, alpn: &[&[u8]]) -> Arc<rustls::ClientConfig> {
    client_tls_with(
        pki,
        with_cert,
        alpn,
        rustls::crypto::aws_lc_rs::default_provider(),
        &[&rustls::version::TLS13, &rustls::version::TLS12],
    )
}

/// Like [`client_tls`] with a chosen provider (cipher suites) and versions.
pub fn client_tls_with(
    pki: &TestPki,
    with_cert: bool,
    alpn: &[&[u8]],
    provider: rustls::crypto::CryptoProvider,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(pki.ca()).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots);
    let mut config = if with_cert {
        let chain: Vec<_> = CertificateDer::pem_file_iter(pki.client_cert())
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let key = PrivateKeyDer::from_pem_file(pki.client_key()).unwrap();
        builder.with_client_auth_cert(chain, key).unwrap()
    } else {
        builder.with_no_client_auth()
    };
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

/// Opens a TLS connection to `addr` as `localhost`.
pub async fn tls_connect(
    addr: SocketAddr,
    tls: Arc<rustls::ClientConfig>,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await?;
    let connector = tokio_rustls::TlsConnector::from(tls);
    connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
}

/// Which HTTP version a test client speaks over TCP.
#[derive(Clone, Copy, Debug)]
pub enum Version {
    Http1,
    Http2,
}

/// Sends one request over a fresh TLS connection and returns the response with its body.
pub async fn send(
    addr: SocketAddr,
    tls: Arc<rustls::ClientConfig>,
    version: Version,
    request: Request<Full<Bytes>>,
) -> Response<Bytes> {
    let stream = tls_connect(addr, tls).await.unwrap();
    let io = TokioIo::new(stream);
    let response = match version {
        Version::Http1 => {
            let (mut sender, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
            tokio::spawn(conn);
            sender.send_request(request).await.unwrap()
        }
        Version::Http2 => {
            let (mut sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
                .await
                .unwrap();
            tokio::spawn(conn);
            sender.send_request(request).await.unwrap()
        }
    };
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    Response::from_parts(parts, body)
}

/// A GET with `Host: localhost`.
pub fn get(path: &str) -> Request<Full<Bytes>> {
    Request::get(format!("https://localhost{path}"))
        .body(Full::new(Bytes::new()))
        .unwrap()
}

/// A form POST.
pub fn post_form(path: &str, body: &str) -> Request<Full<Bytes>> {
    Request::post(format!("https://localhost{path}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

/// Sends one request over HTTP/3 and returns the response with its body.
pub async fn send_h3(
    addr: SocketAddr,
    tls: Arc<rustls::ClientConfig>,
    request: Request<()>,
) -> Response<Bytes> {
    let crypto = quinn::crypto::rustls::QuicClientConfig::try_from(tls).unwrap();
    let mut endpoint = quinn::Endpoint::client("127.0.0.1:0".parse().unwrap()).unwrap();
    endpoint.set_default_client_config(quinn::ClientConfig::new(Arc::new(crypto)));
    let connection = endpoint.connect(addr, "localhost").unwrap().await.unwrap();
    let (mut driver, mut sender) = h3::client::new(h3_quinn::Connection::new(connection))
        .await
        .unwrap();
    let drive = tokio::spawn(async move { std::future::poll_fn(|cx| driver.poll_close(cx)).await });
    let mut stream = sender.send_request(request).await.unwrap();
    stream.finish().await.unwrap();
    let response = stream.recv_response().await.unwrap();
    let mut body = Vec::new();
    while let Some(mut chunk) = stream.recv_data().await.unwrap() {
        use bytes::Buf;
        while chunk.has_remaining() {
            let piece = chunk.chunk().to_vec();
            chunk.advance(piece.len());
            body.extend(piece);
        }
    }
    drop(sender);
    drive.abort();
    endpoint.close(0u32.into(), b"done");
    let (parts, ()) = response.into_parts();
    Response::from_parts(parts, Bytes::from(body))
}

/// Plain-HTTP GET against the admin listener; returns status and body.
pub async fn admin_get(addr: SocketAddr, path: &str) -> (u16, String) {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let request = Request::get(path)
        .header("host", "localhost")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

/// Parses a JSON body.
pub fn json(body: &Bytes) -> serde_json::Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(body)))
}

/// Asserts `response` has `status`, showing its body when it has not.
#[track_caller]
pub fn assert_status(response: &http::Response<Bytes>, status: u16) {
    assert_eq!(
        response.status(),
        status,
        "{}",
        String::from_utf8_lossy(response.body())
    );
}

/// A free loopback TCP port (also checked free for UDP), for child processes.
pub fn free_port() -> u16 {
    loop {
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = tcp.local_addr().unwrap().port();
        if std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// The `fiducia` binary built for these tests.
pub fn fiducia_bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_fiducia"))
}

/// A rustls client trusting the CA certificates in `ca`, presenting the chain and key in
/// `identity` (PEM files) when given.
pub fn client_tls_files(ca: &Path, identity: Option<(&Path, &Path)>) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let builder =
        rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots);
    let mut config = match identity {
        Some((cert, key)) => {
            let chain: Vec<_> = CertificateDer::pem_file_iter(cert)
                .unwrap()
                .map(Result::unwrap)
                .collect();
            builder
                .with_client_auth_cert(chain, PrivateKeyDer::from_pem_file(key).unwrap())
                .unwrap()
        }
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Arc::new(config)
}
