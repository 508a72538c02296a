//! A stand-in OP for the load tester's browser: a small hyper + rustls
//! server on 127.0.0.1 (an ephemeral port, a test CA made with rcgen) that
//! serves two host names, `op.test` and `login.op.test` (the load tester
//! dials 127.0.0.1 for both with `--target`), so that cookie domains can be
//! told apart. Its pages are unlike Fiducia's on purpose: other field
//! names, redirect chains of two, cookies that must come back only where
//! RFC 6265 sends them (`pages.rs`). It checks PKCE (RFC 7636 §4.6) and
//! single-use codes, but not the client assertions' or DPoP proofs'
//! signatures: it stands in for the browser's side of an OP.
//!
//! Whatever it finds wrong it answers 400 and writes into `violations`.

mod pages;
mod routes;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::RootCertStore;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The issuer's host and the login host (a sibling under `op.test`).
pub const OP_HOST: &str = "op.test";
pub const LOGIN_HOST: &str = "login.op.test";
pub const PKJWT_CLIENT: &str = "stand-in-pkjwt";
pub const MTLS_CLIENT: &str = "stand-in-mtls";
pub const REDIRECT_URI: &str = "https://fintech.example/cb";
pub const USER: (&str, &str) = ("alice", "s3cret & more");

/// How the stand-in behaves.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Behaviour {
    /// The flow as described in `pages.rs`.
    Normal,
    /// `/authorize` redirects to `/spin`, which redirects to itself.
    RedirectLoop,
    /// The consent ends at the redirect_uri with `error=access_denied`.
    DenyConsent,
    /// No consent page: after the login, straight back to the client.
    SkipConsent,
}

/// One authorization in progress (keyed by its `rid`, the request_uri's id).
#[derive(Clone, Debug)]
pub struct Authorization {
    pub client_id: String,
    pub state: String,
    pub challenge: String,
    pub login_token: String,
    pub consent_token: String,
}

#[derive(Default)]
pub struct State {
    pub authorizations: HashMap<String, Authorization>,
    /// Issued codes: the authorization they came from.
    pub codes: HashMap<String, Authorization>,
    pub tokens: HashMap<String, String>,
    pub violations: Vec<String>,
}

/// The running stand-in; stopped when dropped.
pub struct StandIn {
    pub port: u16,
    pub state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
    pub dir: PathBuf,
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What the handlers share.
pub struct Shared {
    pub port: u16,
    pub behaviour: Behaviour,
    pub state: Arc<Mutex<State>>,
    next: AtomicUsize,
}

impl Shared {
    pub fn next_id(&self) -> String {
        format!("{}-{}", self.next.fetch_add(1, Ordering::Relaxed), random())
    }

    pub fn issuer(&self) -> String {
        format!("https://{OP_HOST}:{}", self.port)
    }

    /// Records a broken expectation (each once).
    pub fn violation(&self, what: String) {
        if let Ok(mut state) = self.state.lock()
            && state.violations.len() < 100
            && !state.violations.contains(&what)
        {
            state.violations.push(what);
        }
    }
}

/// 16 random bytes, hex.
pub fn random() -> String {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).expect("rng");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl StandIn {
    /// Starts the stand-in and writes its CA, the two clients' keys and
    /// certificate into a fresh directory.
    pub async fn start(behaviour: Behaviour) -> Self {
        let dir = fresh_dir();
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "stand-in CA");
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        std::fs::write(dir.join("ca.pem"), ca_cert.pem()).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);

        let server_key = KeyPair::generate().unwrap();
        let server_params =
            CertificateParams::new(vec![OP_HOST.to_string(), LOGIN_HOST.to_string()]).unwrap();
        let server_cert = server_params.signed_by(&server_key, &issuer).unwrap();

        let client_key = KeyPair::generate().unwrap();
        let mut client_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        client_params
            .distinguished_name
            .push(DnType::CommonName, MTLS_CLIENT);
        let client_cert = client_params.signed_by(&client_key, &issuer).unwrap();
        std::fs::write(dir.join("mtls.pem"), client_cert.pem()).unwrap();
        std::fs::write(dir.join("mtls.key"), client_key.serialize_pem()).unwrap();
        std::fs::write(
            dir.join("pkjwt.key"),
            KeyPair::generate().unwrap().serialize_pem(),
        )
        .unwrap();

        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut roots = RootCertStore::empty();
        roots.add(ca_cert.der().clone()).unwrap();
        // The client certificate is asked for, not required: the browser has none.
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .allow_unauthenticated()
            .build()
            .unwrap();
        let mut tls = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(
                vec![server_cert.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
            )
            .unwrap();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::new(Shared {
            port,
            behaviour,
            state: state.clone(),
            next: AtomicUsize::new(0),
        });
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let shared = shared.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let cert = tls.get_ref().1.peer_certificates().is_some_and(|c| !c.is_empty());
                    let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                        let shared = shared.clone();
                        async move {
                            let (parts, body) = request.into_parts();
                            let body = match Limited::new(body, 64 * 1024).collect().await {
                                Ok(b) => b.to_bytes(),
                                Err(_) => Bytes::new(),
                            };
                            let response = routes::route(&shared, cert, &parts, &body);
                            Ok::<_, std::convert::Infallible>(response)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        Self {
            port,
            state,
            task,
            dir,
        }
    }

    pub fn issuer(&self) -> String {
        format!("https://{OP_HOST}:{}", self.port)
    }

    /// Writes a setup file naming both clients, the user and `browser`
    /// (a `[browser]` table, or nothing).
    pub fn setup_file(&self, name: &str, browser: &str) -> PathBuf {
        let text = format!(
            r#"issuer = "{issuer}"
ca = "ca.pem"
scope = "openid"

[mtls]
client_id = "{MTLS_CLIENT}"
cert = "mtls.pem"
key = "mtls.key"
redirect_uri = "{REDIRECT_URI}"

[pkjwt]
client_id = "{PKJWT_CLIENT}"
key = "pkjwt.key"
redirect_uri = "{REDIRECT_URI}"

[[users]]
username = "{user}"
password = "{password}"

{browser}
"#,
            issuer = self.issuer(),
            user = USER.0,
            password = USER.1,
        );
        let path = self.dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    pub fn violations(&self) -> Vec<String> {
        self.state.lock().unwrap().violations.clone()
    }
}

/// A new directory under the tests' scratch space.
fn fresh_dir() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "stand-in-op-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A response with `status`, `headers` and `body`.
pub fn respond(
    status: u16,
    headers: &[(&str, String)],
    body: impl Into<Bytes>,
) -> hyper::Response<Full<Bytes>> {
    let mut builder = hyper::Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, value.as_str());
    }
    builder.body(Full::new(body.into())).unwrap()
}
