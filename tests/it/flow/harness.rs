//! A fintech and a customer's browser, played against a real OP over TLS:
//! PAR with client authentication and PKCE, the login and consent pages
//! fetched and posted as a browser would (cookie, CSRF), the code exchange
//! with DPoP or mTLS, and userinfo.

pub use super::super::support::assert_status;
use super::super::support::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use fiducia::config;
use fiducia::server::{self, ServerHandle};
use fiducia_hsm::{JoseAlg, Signer, SoftwareSigner, sign_jws};
use http::{Request, Response};
use http_body_util::Full;
use serde_json::{Map, Value, json};
use std::sync::Arc;

pub const ISSUER: &str = "https://localhost:8443";
pub const REDIRECT: &str = "https://fintech.example/cb";
pub const USER: &str = "alice";
pub const PASSWORD: &str = "wonderland-123";
pub const PKJWT: &str = "pkjwt-client";
pub const MTLS: &str = "mtls-client";
pub const SELF_SIGNED: &str = "selfsigned-client";
/// A private_key_jwt client that must send signed request objects (RFC 9101 §10.5).
pub const JAR: &str = "jar-client";
pub const PIN: &str = "flow-pin-1234";
/// A private_key_jwt client with RFC 9068 JWT access tokens.
pub const JWT_AT: &str = "jwt-at-client";
/// The API gateway's resource server id (`[[resource_servers]]`).
pub const GATEWAY: &str = "api-gateway";

/// Extra lines for the `[server]`, `[tokens]` and `[login]` sections.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sections<'a> {
    pub server: &'a str,
    pub tokens: &'a str,
    pub login: &'a str,
    /// Extra `[signing]` lines (e.g. `key_refresh_secs`).
    pub signing: &'a str,
    /// The `[login.totp]` lines. Empty: `danger_payments_without_sca =
    /// true`, so that the flows that test something else pay with the
    /// password alone; the SCA tests (`sca.rs`) set their own.
    pub totp: &'a str,
    /// `FIDUCIA_SECTION__FIELD` overrides (e.g. the issuer and port of an
    /// OP that another must reach at its issuer, `upstream/`).
    pub env: &'a [(&'a str, &'a str)],
    /// A wall clock to run on instead of the system's (clock steps).
    pub clock: Option<&'a Arc<fiducia::clock::SteppedClock>>,
    /// More lines of the API gateway's `[[resource_servers]]` entry (e.g.
    /// its `revocation_notice_url`).
    pub gateway_resource_server: &'a str,
}

/// The OP with two clients and one customer, signing in SoftHSM.
pub struct Op {
    pub pki: TestPki,
    pub handle: ServerHandle,
    pub client_key: Arc<SoftwareSigner>,
    /// A self-signed transport certificate (RFC 8705 §2.2) and its key, PEM.
    pub self_signed: (String, String),
    /// The API gateway's certificate (chain) and key, PEM, from the test CA.
    pub gateway: (String, String),
    /// The configuration it runs with (its store and token stay in the
    /// PKI's directory: [`Op::restart`] brings them back).
    pub config: config::ValidatedConfig,
}

impl Op {
    pub async fn start() -> Self {
        Self::start_with("").await
    }

    /// Starts with extra `[tokens]` settings.
    pub async fn start_with(tokens: &str) -> Self {
        Self::start_with_clients(tokens, |_| String::new()).await
    }

    /// Starts with extra `[tokens]` settings and the config text `more`
    /// makes from the clients' JWKS file (e.g. more `[[clients]]`).
    pub async fn start_with_clients(tokens: &str, more: impl FnOnce(&std::path::Path) -> String) -> Self {
        Self::start_in(TestPki::new(), tokens, more).await
    }

    /// Starts on `pki` with extra `[tokens]` settings and the TOML `more`
    /// makes from the clients' JWKS file, appended after the `[[clients]]`.
    pub async fn start_in(pki: TestPki, tokens: &str, more: impl FnOnce(&std::path::Path) -> String) -> Self {
        Self::start_with_sections(
            pki,
            Sections {
                tokens,
                ..Sections::default()
            },
            more,
        )
        .await
    }

    /// Starts with extra `[login]` settings.
    pub async fn start_with_login(login: &str) -> Self {
        let sections = Sections {
            login,
            ..Sections::default()
        };
        Self::start_with_sections(TestPki::new(), sections, |_| String::new()).await
    }

    /// [`Op::start_in`] with extra lines in several sections.
    pub async fn start_with_sections(
        pki: TestPki,
        sections: Sections<'_>,
        more: impl FnOnce(&std::path::Path) -> String,
    ) -> Self {
        let Sections {
            server,
            tokens,
            login,
            signing,
            totp,
            env,
            clock,
            gateway_resource_server,
        } = sections;
        let totp = match totp {
            "" => "danger_payments_without_sca = true",
            lines => lines,
        };
        let client_key = Arc::new(SoftwareSigner::generate(JoseAlg::Es256).unwrap());
        let jwks_file = pki.dir.path().join("client-jwks.json");
        std::fs::write(
            &jwks_file,
            json!({ "keys": [client_key.public_jwk()] }).to_string(),
        )
        .unwrap();
        // RFC 8705 §2.2: a self-signed certificate whose key is in the client's JWKS.
        let ss_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let ss_cert = rcgen::CertificateParams::new(vec!["selfsigned.fintech.example".to_string()])
            .unwrap()
            .self_signed(&ss_key)
            .unwrap();
        let ss_jwk = fiducia_hsm::PublicJwk::ec_p256_uncompressed(ss_key.public_key_raw()).unwrap();
        let ss_jwks = pki.dir.path().join("selfsigned-jwks.json");
        std::fs::write(&ss_jwks, json!({ "keys": [ss_jwk] }).to_string()).unwrap();
        let self_signed = (ss_cert.pem(), ss_key.serialize_pem());
        // The gateway's own certificate from the same CA, with its own subject.
        let spec =
            fiducia::pki::ClientCertSpec::parse(&format!("software_id={GATEWAY},org_id=bank-platform"))
                .unwrap();
        let gw = fiducia::pki::issue_client(&pki.path(""), &spec).unwrap();
        let gateway = (
            std::fs::read_to_string(&gw.cert).unwrap(),
            std::fs::read_to_string(&gw.key).unwrap(),
        );
        let token = fiducia_hsm::pkcs11::softhsm::new_token("flow", PIN).unwrap();
        let extra = format!(
            r#"
[signing]
backend = "pkcs11"
token_label = "{label}"
pin = "{PIN}"
{signing}

[tokens]
{tokens}

[login]
argon2_memory_kib = 7168
argon2_iterations = 5
{login}

[login.totp]
{totp}

[[login.seed_users]]
username = "{USER}"
password = "{PASSWORD}"
account_id = "acc-alice-1"
name = "Alice Liddell"
email = "alice@example.com"

[[clients]]
client_id = "{PKJWT}"
client_name = "Pay & Go Ltd"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "private_key_jwt"
jwks_file = "{jwks}"
authorization_details_types = ["payment_initiation", "account_information"]
# The flows' workhorse: tests of the budget use `limited-client`, so this
# one's budget is far above what a test sends on a fast machine.
requests_per_second = 2000
burst = 4000

[[clients]]
client_id = "{MTLS}"
client_name = "Cert Bank Apps"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "tls_client_auth"
tls_client_auth_subject_dn = "CN={FINTECH},OU=org-1,O=org-1,C=GB"
authorization_details_types = ["account_information"]
scopes = ["openid", "profile", "email", "offline_access", "payments", "accounts"]

[[clients]]
client_id = "{JWT_AT}"
client_name = "Offline Gateway Fintech"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "private_key_jwt"
jwks_file = "{jwks}"
authorization_details_types = ["payment_initiation"]
access_token_format = "jwt"

[[resource_servers]]
id = "{GATEWAY}"
tls_client_auth_subject_dn = "CN={GATEWAY},OU=bank-platform,O=bank-platform,C=GB"
{gateway_resource_server}

[[clients]]
client_id = "limited-client"
client_name = "Busy Fintech"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "tls_client_auth"
tls_client_auth_subject_dn = "CN={FINTECH},OU=org-1,O=org-1,C=GB"
requests_per_second = 1
burst = 2

[[clients]]
client_id = "{JAR}"
client_name = "Signed Requests Ltd"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "private_key_jwt"
jwks_file = "{jwks}"
require_signed_request_object = true
authorization_signed_response_alg = "ES256"

[[clients]]
client_id = "{SELF_SIGNED}"
client_name = "Self Signed Fintech"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "self_signed_tls_client_auth"
jwks_file = "{ss_jwks}"

{more}
"#,
            label = token.label,
            jwks = jwks_file.display(),
            ss_jwks = ss_jwks.display(),
            more = more(&jwks_file),
        );
        let server = format!("http3 = false\n{server}");
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        let raw = config::load_from_str(&pki.config_text(&server, &extra), env).unwrap();
        let validated = config::validate(raw, pki.dir.path()).unwrap();
        // The first ES256 key, active at once.
        let admin = fiducia_hsm::pkcs11::admin::KeyAdmin::new(
            fiducia_hsm::pkcs11::TokenConfig {
                module: token.module.clone(),
                token_label: token.label.clone(),
                pin: fiducia_hsm::pkcs11::Pin::new(PIN),
            },
            fiducia::signing::rotation_policy(&validated.get().signing),
        );
        admin.rotate(JoseAlg::Es256, 0, "test", now()).unwrap();
        let handle = match clock {
            Some(clock) => server::start_with_clock(validated.clone(), clock.clone()).await,
            None => server::start(validated.clone()).await,
        }
        .unwrap();
        Op {
            pki,
            handle,
            client_key,
            self_signed,
            gateway,
            config: validated,
        }
    }

    /// Another node of the same OP: a second server in this process with
    /// the same configuration (store, HSM token and keys, PKI, clients)
    /// and its own actors, caches and ports, as a second `fiducia serve`
    /// behind the same balancer would be. Only a store that several
    /// processes share (PostgreSQL) makes them one OP.
    pub async fn another_node(&self) -> Op {
        let handle = server::start(self.config.clone()).await.unwrap();
        Op {
            pki: self.pki.clone(),
            handle,
            client_key: self.client_key.clone(),
            self_signed: self.self_signed.clone(),
            gateway: self.gateway.clone(),
            config: self.config.clone(),
        }
    }

    /// Stops the OP (as SIGTERM does) and starts it again on the same
    /// store and HSM token; its listeners get new ports.
    pub async fn restart(self) -> Self {
        self.restart_after(|| ()).await
    }

    /// [`Op::restart`], running `while_stopped` (e.g. a `fiducia users`
    /// command on its store) between the stop and the start.
    pub async fn restart_after(self, while_stopped: impl FnOnce()) -> Self {
        let Op {
            pki,
            handle,
            client_key,
            self_signed,
            gateway,
            config,
        } = self;
        handle.shutdown().await;
        while_stopped();
        let handle = server::start(config.clone()).await.unwrap();
        Op {
            pki,
            handle,
            client_key,
            self_signed,
            gateway,
            config,
        }
    }

    /// Sends over a connection presenting the self-signed certificate.
    pub async fn send_self_signed(&self, request: Request<Full<Bytes>>) -> Response<Bytes> {
        self.send_with_identity(&self.self_signed, request).await
    }

    /// Sends over a connection presenting the API gateway's certificate.
    pub async fn send_as_gateway(&self, request: Request<Full<Bytes>>) -> Response<Bytes> {
        self.send_with_identity(&self.gateway, request).await
    }

    /// Sends over a connection presenting `identity` (certificate chain, key; PEM).
    pub async fn send_with_identity(
        &self,
        identity: &(String, String),
        request: Request<Full<Bytes>>,
    ) -> Response<Bytes> {
        self.send_with_identity_to(self.handle.main_addr, identity, request)
            .await
    }

    /// [`Op::send_with_identity`] to another of its listeners.
    pub async fn send_with_identity_to(
        &self,
        addr: std::net::SocketAddr,
        identity: &(String, String),
        request: Request<Full<Bytes>>,
    ) -> Response<Bytes> {
        use rustls::pki_types::pem::PemObject;
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls::pki_types::CertificateDer::pem_file_iter(self.pki.ca()).unwrap() {
            roots.add(cert.unwrap()).unwrap();
        }
        let chain: Vec<_> = rustls::pki_types::CertificateDer::pem_slice_iter(identity.0.as_bytes())
            .map(Result::unwrap)
            .collect();
        let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(identity.1.as_bytes()).unwrap();
        let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .unwrap();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        send(addr, Arc::new(config), Version::Http1, request).await
    }

    pub fn tls(&self, with_cert: bool) -> Arc<rustls::ClientConfig> {
        client_tls(&self.pki, with_cert, &[b"http/1.1"])
    }

    pub async fn send(&self, with_cert: bool, request: Request<Full<Bytes>>) -> Response<Bytes> {
        send(
            self.handle.main_addr,
            self.tls(with_cert),
            Version::Http1,
            request,
        )
        .await
    }

    /// A client assertion for `client_id` (RFC 7523 §3), with `claims` overriding.
    pub async fn assertion(&self, client_id: &str, overrides: Value) -> String {
        let now = now();
        let mut claims = json!({
            "iss": client_id, "sub": client_id, "aud": ISSUER,
            "iat": now, "exp": now + 60, "jti": uuid::Uuid::new_v4().to_string(),
        });
        merge(&mut claims, overrides);
        sign_jws(
            self.client_key.as_ref(),
            Map::new(),
            claims.to_string().as_bytes(),
        )
        .await
        .unwrap()
    }
}

impl Op {
    /// [`request_object`] signed with the clients' shared key.
    pub async fn request_object(&self, client_id: &str, challenge: &str, overrides: Value) -> String {
        request_object(self.client_key.as_ref(), client_id, challenge, overrides).await
    }

    /// PAR (RFC 9126 §3) of a private_key_jwt client with only client
    /// authentication and `request` in the form, plus `extra`.
    pub async fn push_request_object(
        &self,
        client_id: &str,
        request_object: &str,
        extra: &[(&str, &str)],
    ) -> Response<Bytes> {
        let assertion = self.assertion(client_id, json!({})).await;
        let mut params = vec![
            ("client_id", client_id),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", assertion.as_str()),
            ("request", request_object),
        ];
        params.extend_from_slice(extra);
        self.send(false, form("/par", &params)).await
    }
}

/// Serves JSON documents over TLS (the test PKI's server certificate) by
/// path, e.g. a client's or a directory's JWKS; an unknown path is 404.
/// Returns the port.
pub async fn document_host(
    pki: &TestPki,
    documents: Arc<std::sync::Mutex<std::collections::HashMap<String, String>>>,
) -> u16 {
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;
    let tls = fiducia::http::tls::server_config(
        &config::TlsConfig {
            cert: pki.path("server.pem"),
            key: pki.path("server.key"),
            client_ca: vec![],
            dev_generate: false,
            dev_sans: vec![],
        },
        fiducia::http::tls::ClientAuth::Optional,
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, documents) = (acceptor.clone(), documents.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
                    let body = documents.lock().unwrap().get(request.uri().path()).cloned();
                    async move {
                        let mut response =
                            Response::new(Full::new(Bytes::from(body.clone().unwrap_or_default())));
                        if body.is_none() {
                            *response.status_mut() = http::StatusCode::NOT_FOUND;
                        }
                        Ok::<_, std::convert::Infallible>(response)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    port
}

/// A request object (RFC 9101 §4) of `client_id` signed with `key`, `typ`
/// `oauth-authz-req+jwt`: code flow, PKCE `challenge`, state `st-jar`,
/// valid for 5 minutes; `overrides` change claims (`null` removes).
pub async fn request_object(
    key: &SoftwareSigner,
    client_id: &str,
    challenge: &str,
    overrides: Value,
) -> String {
    let now = now();
    let mut claims = json!({
        "iss": client_id, "aud": ISSUER, "client_id": client_id,
        "nbf": now, "exp": now + 300, "jti": uuid::Uuid::new_v4().to_string(),
        "response_type": "code", "redirect_uri": REDIRECT, "scope": "openid",
        "code_challenge": challenge, "code_challenge_method": "S256",
        "state": "st-jar", "nonce": "n-jar",
    });
    merge(&mut claims, overrides);
    let mut header = Map::new();
    header.insert("typ".into(), json!("oauth-authz-req+jwt"));
    sign_jws(key, header, claims.to_string().as_bytes())
        .await
        .unwrap()
}

/// The `request_uri` of a 201 PAR response.
pub fn pushed_request_uri(response: &Response<Bytes>) -> String {
    assert_status(response, 201);
    json(response.body())["request_uri"].as_str().unwrap().to_string()
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub fn merge(target: &mut Value, overrides: Value) {
    if let (Some(t), Value::Object(o)) = (target.as_object_mut(), overrides) {
        for (k, v) in o {
            if v.is_null() {
                t.remove(&k);
            } else {
                t.insert(k, v);
            }
        }
    }
}

/// A DPoP key and its proofs (RFC 9449 §4.2).
pub struct DpopKey {
    pub key: SoftwareSigner,
}

impl DpopKey {
    pub fn new() -> Self {
        Self {
            key: SoftwareSigner::generate(JoseAlg::Es256).unwrap(),
        }
    }

    pub async fn proof(&self, method: &str, url: &str, access_token: Option<&str>) -> String {
        self.proof_with_nonce(method, url, access_token, None).await
    }

    pub async fn proof_with_nonce(
        &self,
        method: &str,
        url: &str,
        access_token: Option<&str>,
        nonce: Option<&str>,
    ) -> String {
        let overrides = match nonce {
            Some(nonce) => json!({ "nonce": nonce }),
            None => json!({}),
        };
        self.proof_with_claims(method, url, access_token, overrides).await
    }

    /// A proof whose claims are `overrides` merged over the usual ones
    /// (e.g. a chosen `jti` or `nonce`).
    pub async fn proof_with_claims(
        &self,
        method: &str,
        url: &str,
        access_token: Option<&str>,
        overrides: Value,
    ) -> String {
        let mut claims = json!({
            "jti": uuid::Uuid::new_v4().to_string(), "htm": method, "htu": url, "iat": now(),
        });
        merge(&mut claims, overrides);
        if let Some(token) = access_token {
            let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
            merge(&mut claims, json!({ "ath": URL_SAFE_NO_PAD.encode(hash) }));
        }
        let mut header = Map::new();
        header.insert("typ".into(), json!("dpop+jwt"));
        header.insert("jwk".into(), serde_json::to_value(self.key.public_jwk()).unwrap());
        sign_jws(&self.key, header, claims.to_string().as_bytes())
            .await
            .unwrap()
    }
}

/// PKCE (RFC 7636 §4.1, §4.2).
pub fn pkce() -> (String, String) {
    let verifier = URL_SAFE_NO_PAD.encode(uuid::Uuid::new_v4().as_bytes()) + "-padding-to-43-characters";
    let challenge = URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        verifier.as_bytes(),
    ));
    (verifier, challenge)
}

pub fn form(path: &str, params: &[(&str, &str)]) -> Request<Full<Bytes>> {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    post_form(path, &body)
}

pub fn with_header(
    mut request: Request<Full<Bytes>>,
    name: &'static str,
    value: &str,
) -> Request<Full<Bytes>> {
    request.headers_mut().insert(name, value.parse().unwrap());
    request
}

pub fn location(response: &Response<Bytes>) -> String {
    response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_else(|| {
            panic!(
                "no Location ({}): {}",
                response.status(),
                String::from_utf8_lossy(response.body())
            )
        })
}

pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The value of `name="<field>" value="..."` in an HTML form.
pub fn hidden_field(html: &str, field: &str) -> String {
    let marker = format!("name=\"{field}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {field} field in: {html}"))
        + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_string()
}

/// A browser: keeps the OP's cookies, follows nothing by itself.
pub struct Browser {
    cookies: Vec<(String, String)>,
    /// The last consent page [`Browser::authorize`] saw.
    pub consent_html: Option<String>,
    /// The account to pick when the consent page asks which one pays
    /// (`debtor_account`); `None` keeps the preselected one.
    pub debtor_choice: Option<String>,
    /// Who signs in (username, password); `None`: [`USER`] with [`PASSWORD`].
    pub credentials: Option<(String, String)>,
}

impl Browser {
    pub fn new() -> Self {
        Self {
            cookies: Vec::new(),
            consent_html: None,
            debtor_choice: None,
            credentials: None,
        }
    }

    pub async fn get(&mut self, op: &Op, path: &str) -> Response<Bytes> {
        let request = self.with_cookies(get(path));
        let response = op.send(false, request).await;
        self.keep_cookies(&response);
        response
    }

    pub async fn post(&mut self, op: &Op, path: &str, params: &[(&str, &str)]) -> Response<Bytes> {
        let request = self.with_cookies(form(path, params));
        let response = op.send(false, request).await;
        self.keep_cookies(&response);
        response
    }

    /// [`Browser::post`] with one more header (e.g. what a proxy adds).
    pub async fn post_with_header(
        &mut self,
        op: &Op,
        path: &str,
        params: &[(&str, &str)],
        (name, value): (&'static str, &str),
    ) -> Response<Bytes> {
        let request = with_header(self.with_cookies(form(path, params)), name, value);
        let response = op.send(false, request).await;
        self.keep_cookies(&response);
        response
    }

    /// The value of cookie `name`, if the browser holds it.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    fn with_cookies(&self, mut request: Request<Full<Bytes>>) -> Request<Full<Bytes>> {
        if !self.cookies.is_empty() {
            let header = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            request.headers_mut().insert("cookie", header.parse().unwrap());
        }
        request
    }

    fn keep_cookies(&mut self, response: &Response<Bytes>) {
        for value in response.headers().get_all("set-cookie") {
            let pair = value.to_str().unwrap().split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            self.cookies.retain(|(name, _)| name != k);
            self.cookies.push((k.to_string(), v.to_string()));
        }
    }

    /// From `/authorize` to the redirect back: log in, then decide.
    pub async fn authorize(&mut self, op: &Op, client_id: &str, request_uri: &str, approve: bool) -> String {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", client_id)
            .append_pair("request_uri", request_uri)
            .finish();
        self.authorize_at(op, &format!("/authorize?{query}"), approve)
            .await
    }

    /// [`Browser::authorize`] from the authorization request `path` (with
    /// its query), e.g. a request object by value.
    pub async fn authorize_at(&mut self, op: &Op, path: &str, approve: bool) -> String {
        let (consent, html) = self.consent_page_at(op, path).await;
        let csrf = hidden_field(&html, "csrf");
        // A browser posts the checked radio button, or the one picked.
        let debtor = html
            .contains("name=\"debtor_account\"")
            .then(|| hidden_field(&html, "debtor_account"));
        let debtor = self.debtor_choice.clone().or(debtor);
        self.consent_html = Some(html);
        let decision = if approve { "approve" } else { "deny" };
        let mut fields = vec![("decision", decision), ("csrf", csrf.as_str())];
        if let Some(debtor) = &debtor {
            fields.push(("debtor_account", debtor));
        }
        let response = self.post(op, &consent, &fields).await;
        assert_status(&response, 303);
        location(&response)
    }

    /// On the consent page at `consent` (a URL or path on `op`): approve;
    /// the redirect back.
    pub async fn authorize_consent(&mut self, op: &Op, consent: &str) -> String {
        let path = consent.strip_prefix(ISSUER).unwrap_or(consent).to_string();
        let page = self.get(op, &path).await;
        assert_eq!(page.status(), 200);
        let html = String::from_utf8(page.body().to_vec()).unwrap();
        let csrf = hidden_field(&html, "csrf");
        let response = self
            .post(op, &path, &[("decision", "approve"), ("csrf", &csrf)])
            .await;
        assert_status(&response, 303);
        location(&response)
    }

    /// From `/authorize` through the login to the consent page: its path
    /// and its HTML.
    pub async fn consent_page(&mut self, op: &Op, client_id: &str, request_uri: &str) -> (String, String) {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", client_id)
            .append_pair("request_uri", request_uri)
            .finish();
        self.consent_page_at(op, &format!("/authorize?{query}")).await
    }

    /// [`Browser::consent_page`] from the authorization request `path`.
    pub async fn consent_page_at(&mut self, op: &Op, path: &str) -> (String, String) {
        let response = self.get(op, path).await;
        assert_status(&response, 303);
        let login = location(&response);
        let page = self.get(op, &login).await;
        assert_eq!(page.status(), 200);
        let html = String::from_utf8(page.body().to_vec()).unwrap();
        assert!(
            html.contains("name=\"username\"") && html.contains("name=\"password\""),
            "{html}"
        );
        let csrf = hidden_field(&html, "csrf");
        let (username, password) = self
            .credentials
            .clone()
            .unwrap_or_else(|| (USER.to_string(), PASSWORD.to_string()));
        let response = self
            .post(
                op,
                &login,
                &[("username", &username), ("password", &password), ("csrf", &csrf)],
            )
            .await;
        assert_status(&response, 303);
        let consent = location(&response);
        let page = self.get(op, &consent).await;
        assert_eq!(page.status(), 200);
        let html = String::from_utf8(page.body().to_vec()).unwrap();
        assert!(
            html.contains("value=\"approve\"") && html.contains("value=\"deny\""),
            "{html}"
        );
        (consent, html)
    }
}

/// What one PAR + authorization produced.
pub struct Authorized {
    pub code: String,
    pub verifier: String,
    pub redirect: String,
}

/// PAR with private_key_jwt (and a DPoP proof when `dpop` is given), then the browser part.
pub async fn authorize_pkjwt(op: &Op, dpop: Option<&DpopKey>) -> Authorized {
    authorize_pkjwt_scoped(op, dpop, "openid profile email").await
}

/// [`authorize_pkjwt`] asking for `scope`.
pub async fn authorize_pkjwt_scoped(op: &Op, dpop: Option<&DpopKey>, scope: &str) -> Authorized {
    let (verifier, challenge) = pkce();
    let assertion = op.assertion(PKJWT, json!({})).await;
    let mut request = form(
        "/par",
        &[
            ("client_id", PKJWT),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &assertion),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", scope),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("state", "st-123"),
            ("nonce", "n-456"),
        ],
    );
    if let Some(key) = dpop {
        request = with_header(
            request,
            "dpop",
            &key.proof("POST", &format!("{ISSUER}/par"), None).await,
        );
    }
    let response = op.send(false, request).await;
    assert_status(&response, 201);
    let request_uri = json(response.body())["request_uri"].as_str().unwrap().to_string();
    let redirect = Browser::new().authorize(op, PKJWT, &request_uri, true).await;
    let code = query_param(&redirect, "code").unwrap_or_else(|| panic!("no code: {redirect}"));
    Authorized {
        code,
        verifier,
        redirect,
    }
}

/// The token request for a code, with private_key_jwt.
pub async fn token_request(op: &Op, authorized: &Authorized, dpop: Option<&DpopKey>) -> Response<Bytes> {
    token_request_for(op, PKJWT, authorized, dpop).await
}

/// The token request for a code of the private_key_jwt client `client_id`.
pub async fn token_request_for(
    op: &Op,
    client_id: &str,
    authorized: &Authorized,
    dpop: Option<&DpopKey>,
) -> Response<Bytes> {
    let assertion = op.assertion(client_id, json!({})).await;
    let mut request = code_token_form(client_id, authorized, &assertion);
    if let Some(key) = dpop {
        request = with_header(
            request,
            "dpop",
            &key.proof("POST", &format!("{ISSUER}/token"), None).await,
        );
    }
    op.send(false, request).await
}

/// The token request (RFC 6749 §4.1.3) for `authorized`'s code of the
/// private_key_jwt client `client_id`, authenticated by `assertion`.
pub fn code_token_form(client_id: &str, authorized: &Authorized, assertion: &str) -> Request<Full<Bytes>> {
    form(
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &authorized.code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &authorized.verifier),
            ("client_id", client_id),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
        ],
    )
}

/// A refresh (RFC 6749 §6) of the private_key_jwt client's DPoP-bound
/// `refresh_token`, with a proof by `dpop`.
pub async fn refresh_dpop(op: &Op, refresh_token: &str, dpop: &DpopKey) -> Response<Bytes> {
    let assertion = op.assertion(PKJWT, json!({})).await;
    let request = form(
        "/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", PKJWT),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
        ],
    );
    let proof = dpop.proof("POST", &format!("{ISSUER}/token"), None).await;
    op.send(false, with_header(request, "dpop", &proof)).await
}

/// Userinfo with a DPoP-bound token.
pub async fn userinfo_dpop(op: &Op, token: &str, key: &DpopKey) -> Response<Bytes> {
    let proof = key.proof("GET", &format!("{ISSUER}/userinfo"), Some(token)).await;
    let request = with_header(
        with_header(get("/userinfo"), "authorization", &format!("DPoP {token}")),
        "dpop",
        &proof,
    );
    op.send(false, request).await
}

/// RFC 7523 §2.2 `client_assertion_type`.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A PAR request (RFC 9126 §2.1) of a client that authenticates with its
/// TLS certificate: code flow, PKCE S256, the shared redirect URI.
pub fn cert_par(client_id: &str, challenge: &str, scope: &str) -> Request<Full<Bytes>> {
    form(
        "/par",
        &[
            ("client_id", client_id),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", scope),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ],
    )
}

/// A PAR request of the private_key_jwt client with `assertion`, scope
/// `openid`, PKCE S256, plus `extra` parameters.
pub fn pkjwt_par(assertion: &str, challenge: &str, extra: &[(&str, &str)]) -> Request<Full<Bytes>> {
    pkjwt_par_for(PKJWT, assertion, challenge, "openid", extra)
}

/// [`pkjwt_par`] for the private_key_jwt client `client_id` asking for `scope`.
pub fn pkjwt_par_for(
    client_id: &str,
    assertion: &str,
    challenge: &str,
    scope: &str,
    extra: &[(&str, &str)],
) -> Request<Full<Bytes>> {
    let mut params = vec![
        ("client_id", client_id),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", assertion),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", scope),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ];
    params.extend_from_slice(extra);
    form("/par", &params)
}
