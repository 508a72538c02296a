//! The API gateway between a real OP and a small bank API, all over real
//! mTLS on 127.0.0.1: the OP of the flow harness (with three more
//! clients), the recording bank API (`bank_api`), and `fiducia::gateway`
//! in front of it.

use super::super::flow::harness::*;
use super::super::flow::rar::payment_detail;
use super::super::support::*;
use super::bank_api::Upstream;
use bytes::Bytes;
use fiducia::config;
use fiducia::config::GatewayConfig;
use fiducia::gateway::{self, GatewayHandle};
use http::{Request, Response};
use http_body_util::Full;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A tls_client_auth fintech (certificate-bound tokens) with account and payment scopes.
pub const AISP: &str = "gw-aisp";
/// A private_key_jwt fintech with DPoP-bound tokens and payment consents.
pub const PISP: &str = "gw-pisp";
/// Like [`PISP`] with RFC 9068 JWT access tokens.
pub const JWT_PISP: &str = "gw-jwt-pisp";
/// The URL fintechs address the gateway by (DPoP `htu`).
pub const PUBLIC_URL: &str = "https://api.bank.example";
/// The account-information route.
pub const ACCOUNTS: &str = "/open-banking/v3.1/aisp/accounts";
/// The payment submission route.
pub const PAYMENTS: &str = "/open-banking/v3.1/pisp/domestic-payments";

/// The gateway's fintechs, as more `[[clients]]`.
pub fn clients(jwks: &Path) -> String {
    format!(
        r#"
[[clients]]
client_id = "{AISP}"
client_name = "Account Reader Ltd"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "tls_client_auth"
tls_client_auth_subject_dn = "CN={FINTECH},OU=org-1,O=org-1,C=GB"
scopes = ["openid", "accounts", "payments"]

[[clients]]
client_id = "{PISP}"
client_name = "Pay Now Ltd"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "private_key_jwt"
jwks_file = "{jwks}"
scopes = ["openid", "payments"]
authorization_details_types = ["payment_initiation"]

[[clients]]
client_id = "{JWT_PISP}"
client_name = "Pay Offline Ltd"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "private_key_jwt"
jwks_file = "{jwks}"
scopes = ["openid", "payments", "offline_access"]
authorization_details_types = ["payment_initiation"]
access_token_format = "jwt"
"#,
        jwks = jwks.display()
    )
}

/// OP + bank API + gateway.
pub struct Rig {
    pub op: Op,
    pub upstream: Upstream,
    pub gateway: GatewayHandle,
}

impl Rig {
    /// Starts all three; `gateway` and `op` are more TOML lines for the
    /// `[gateway]` and `[gateway.op]` sections.
    pub async fn start(gateway: &str, op: &str) -> Self {
        Self::start_on(Op::start_with_clients("", clients).await, gateway, op).await
    }

    /// [`Rig::start`] in front of the OP `op_server` (started with [`clients`]).
    pub async fn start_on(op_server: Op, gateway: &str, op: &str) -> Self {
        let upstream = Upstream::start(&op_server.pki).await;
        let base = format!("https://localhost:{}/bank", upstream.addr.port());
        let gateway = gateway::start(gateway_config(&op_server, &base, gateway, op, ""))
            .await
            .unwrap();
        Rig {
            op: op_server,
            upstream,
            gateway,
        }
    }

    /// Sends to the gateway presenting the test fintech's certificate.
    pub async fn call(&self, request: Request<Full<Bytes>>) -> Response<Bytes> {
        let pki = &self.op.pki;
        self.call_as(&pki.client_cert(), &pki.client_key(), request).await
    }

    /// Sends to the gateway presenting the certificate `cert` with `key` (PEM files).
    pub async fn call_as(&self, cert: &Path, key: &Path, request: Request<Full<Bytes>>) -> Response<Bytes> {
        call_with_cert(&self.op.pki, self.gateway.addr, cert, key, request).await
    }

    /// Another fintech's certificate from the same CA: (cert, key) paths.
    pub fn other_fintech(&self) -> (PathBuf, PathBuf) {
        let spec = fiducia::pki::ClientCertSpec::parse("software_id=other-fintech,org_id=org-2").unwrap();
        let paths = fiducia::pki::issue_client(&self.op.pki.path(""), &spec).unwrap();
        (paths.cert, paths.key)
    }

    /// A certificate-bound access token of [`AISP`] (client_credentials, RFC 8705 §3).
    pub async fn aisp_token(&self, scope: &str) -> String {
        let request = form(
            "/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", AISP),
                ("scope", scope),
            ],
        );
        let response = self.op.send(true, request).await;
        assert_status(&response, 200);
        json(response.body())["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The gateway's `x5t#S256` (what the bank API sees calling it).
    pub fn gateway_x5t(&self) -> String {
        gateway_cert_x5t(&self.op.pki)
    }

    pub async fn shutdown(self) {
        self.gateway.shutdown().await;
        self.upstream.stop();
        self.op.handle.shutdown().await;
    }
}

/// The `[gateway]` of the tests in front of `upstream_base`: `gateway` and `op` are more
/// TOML lines for the `[gateway]` and `[gateway.op]` sections, `routes` more
/// `[[gateway.routes]]` after the accounts and payment-submission routes.
pub fn gateway_config(
    op_server: &Op,
    upstream_base: &str,
    gateway: &str,
    op: &str,
    routes: &str,
) -> GatewayConfig {
    let pki = op_server.pki.path("");
    let op_port = op_server.handle.main_addr.port();
    let text = format!(
        r#"
[gateway]
listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
public_url = "{PUBLIC_URL}"
cert = "server.pem"
key = "server.key"
client_ca = ["ca.pem"]
{gateway}

[gateway.op]
introspection_endpoint = "https://localhost:{op_port}/introspect"
grant_reservation_endpoint = "https://localhost:{op_port}/grants/reserve"
grant_consumption_endpoint = "https://localhost:{op_port}/grants/consume"
jwks_uri = "https://localhost:{op_port}/jwks"
client_id = "{GATEWAY}"
client_cert = "clients/{GATEWAY}.pem"
client_key = "clients/{GATEWAY}.key"
ca = ["ca.pem"]
{op}

[gateway.upstream]
base_url = "{upstream_base}"
client_cert = "clients/{GATEWAY}.pem"
client_key = "clients/{GATEWAY}.key"
ca = ["ca.pem"]

[[gateway.routes]]
name = "accounts"
methods = ["GET"]
path_prefix = "/open-banking/v3.1/aisp"
scopes = ["accounts"]

[[gateway.routes]]
name = "domestic-payments"
methods = ["POST"]
path_prefix = "{PAYMENTS}"
scopes = ["payments"]
payment_consent = true
{routes}
"#
    );
    let raw = config::load_from_str(&text, Vec::new()).unwrap();
    raw.gateway.unwrap().validate(&pki).unwrap()
}

/// Sends `request` to the gateway at `addr` over HTTP/1.1, trusting the CA of
/// `pki` and presenting the certificate `cert` with `key` (PEM files).
pub async fn call_with_cert(
    pki: &TestPki,
    addr: SocketAddr,
    cert: &Path,
    key: &Path,
    request: Request<Full<Bytes>>,
) -> Response<Bytes> {
    let mut roots = rustls::RootCertStore::empty();
    for ca in CertificateDer::pem_file_iter(pki.ca()).unwrap() {
        roots.add(ca.unwrap()).unwrap();
    }
    let chain: Vec<_> = CertificateDer::pem_file_iter(cert)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(key).unwrap();
    let mut tls =
        rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_client_auth_cert(chain, key)
            .unwrap();
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    send(addr, Arc::new(tls), Version::Http1, request).await
}

/// The `x5t#S256` of the gateway's certificate in `pki`.
pub fn gateway_cert_x5t(pki: &TestPki) -> String {
    let der = CertificateDer::pem_file_iter(pki.path(&format!("clients/{GATEWAY}.pem")))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    fiducia::protocol::client_cert::x5t_s256(&der)
}

/// A GET to the gateway with `Authorization: <authorization>`.
pub fn gw_get(path: &str, authorization: &str) -> Request<Full<Bytes>> {
    with_header(get(path), "authorization", authorization)
}

/// An Open Banking domestic payment (`OBWriteDomestic2`) of `amount` EUR to `iban`.
pub fn payment_request(amount: &str, iban: &str) -> Value {
    json!({"Data": {"ConsentId": "pc-1", "Initiation": {
        "InstructionIdentification": "i-1", "EndToEndIdentification": "e-1",
        "InstructedAmount": {"Amount": amount, "Currency": "EUR"},
        "CreditorAccount": {"SchemeName": "UK.OBIE.IBAN", "Identification": iban, "Name": "Merchant A"}}},
        "Risk": {}})
}

/// A POST of `body` to the payment route with `authorization` and, when given, a DPoP proof.
pub fn payment_post(body: &Value, authorization: &str, proof: Option<&str>) -> Request<Full<Bytes>> {
    let mut request = Request::post(format!("https://localhost{PAYMENTS}"))
        .header("content-type", "application/json")
        .header("authorization", authorization)
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    if let Some(proof) = proof {
        request.headers_mut().insert("dpop", proof.parse().unwrap());
    }
    request
}

/// The consented payment (RFC 9396 §2's example).
pub fn consented_payment() -> Value {
    json!([payment_detail()])
}

/// A plain-HTTP JSON POST to an admin listener; the status.
pub async fn admin_post(addr: std::net::SocketAddr, path: &str, body: &Value) -> u16 {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let request = Request::post(path)
        .header("host", "localhost")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    sender.send_request(request).await.unwrap().status().as_u16()
}

/// A plain-HTTP POST of `body` (a notice JWT) to an admin listener; the status.
pub async fn admin_post_text(addr: std::net::SocketAddr, path: &str, body: &str) -> u16 {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let request = Request::post(path)
        .header("host", "localhost")
        .header("content-type", fiducia::protocol::revocation_notice::CONTENT_TYPE)
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    sender.send_request(request).await.unwrap().status().as_u16()
}
