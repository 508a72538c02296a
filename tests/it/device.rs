//! The sandbox customer device (`fiducia device`) over real TLS: a stand-in
//! OP signs CIBA requests (ES256, its JWKS served over HTTPS) and records
//! the decisions that reach its decision endpoint over mTLS with the
//! certificate they came with (RFC 8705 §2); a customer lists, approves and
//! denies through the JSON API (HTTP Basic, RFC 7617) and the web page
//! (CSRF, RFC 6749 §10.12).

use super::dcr::sign_with_header;
use super::support::*;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use fiducia::config::{DeviceConfig, DeviceCustomer, DeviceOpConfig, TlsConfig};
use fiducia::http::ListenerKind;
use fiducia::http::context::{Handler, HandlerFuture, RequestContext};
use fiducia::http::standalone::{Standalone, StandaloneServer};
use fiducia::http::tls::ClientAuth;
use fiducia::pki::ClientCertSpec;
use fiducia::protocol::ciba::device_batch::BATCH_TYP;
use fiducia::sandbox::device::{self, DeviceServer};
use fiducia_hsm::{JoseAlg, Signer, SoftwareSigner, sign_jws};
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde_json::{Map, Value, json};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ISSUER: &str = "https://op.test";
const AUDIENCE: &str = "urn:fiducia:sandbox:device";
const ALICE: (&str, &str, &str) = ("alice", "alice-pw-1", "acc-alice");
const BOB: (&str, &str, &str) = ("bob", "bob-pw-2", "acc-bob");

/// One decision that reached the stand-in OP.
#[derive(Debug, Clone)]
struct Recorded {
    body: Value,
    cert: Option<Vec<u8>>,
    chain_verified: bool,
}

/// The OP's side of the channel: `/jwks` on its main listener, `/ciba/decision` on a
/// listener that requires a client certificate.
struct StandInOp {
    jwks: Mutex<String>,
    decisions: Mutex<Vec<Recorded>>,
    /// The status the decision endpoint answers.
    answer: AtomicU16,
    /// Calls to the decision endpoint.
    calls: std::sync::atomic::AtomicUsize,
}

fn json_response(status: u16, body: Value) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(body.to_string()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap();
    response
}

impl Handler for StandInOp {
    fn handle<'a>(&'a self, request: Request<Bytes>, context: &'a RequestContext) -> HandlerFuture<'a> {
        Box::pin(async move {
            let (status, body) = match (request.method().as_str(), request.uri().path()) {
                ("GET", "/jwks") => (200, self.jwks.lock().unwrap().clone()),
                ("POST", "/ciba/decision") => {
                    assert_eq!(
                        request.headers()["content-type"],
                        "application/json",
                        "the decision is JSON"
                    );
                    self.calls.fetch_add(1, Ordering::SeqCst);
                    let body: Value = serde_json::from_slice(request.body()).unwrap();
                    // Several at once: each recorded, each answered.
                    let batch = body.get("decisions").and_then(Value::as_array).cloned();
                    for body in batch.clone().unwrap_or_else(|| vec![body]) {
                        self.decisions.lock().unwrap().push(Recorded {
                            body,
                            cert: context.client_cert.as_ref().map(|c| c.leaf().to_vec()),
                            chain_verified: context.client_cert.as_ref().is_some_and(|c| c.chain_verified()),
                        });
                    }
                    let status = self.answer.load(Ordering::SeqCst);
                    if let (Some(batch), 204) = (batch, status) {
                        let results: Vec<Value> = batch
                            .iter()
                            .map(|d| json!({"auth_req_id": d["auth_req_id"]}))
                            .collect();
                        return json_response(200, json!({ "results": results }));
                    }
                    let error = match status {
                        404 => r#"{"error":"not_found"}"#,
                        409 => r#"{"error":"already_decided"}"#,
                        _ => "",
                    };
                    (status, error.to_string())
                }
                _ => (404, String::new()),
            };
            let mut response = Response::new(Bytes::from(body));
            *response.status_mut() = StatusCode::from_u16(status).unwrap();
            response
        })
    }
}

struct Rig {
    pki: TestPki,
    signer: SoftwareSigner,
    op: Arc<StandInOp>,
    device: DeviceServer,
    _servers: (StandaloneServer, StandaloneServer),
}

impl Rig {
    async fn start(auto_approve: bool) -> Self {
        Self::start_with(|config| config.auto_approve = auto_approve).await
    }

    /// [`Rig::start`] with the device config edited by `edit`.
    async fn start_with(edit: impl FnOnce(&mut DeviceConfig)) -> Self {
        let pki = TestPki::new();
        fiducia::pki::issue_client(
            &pki.path(""),
            &ClientCertSpec::parse("software_id=customer-device,org_id=fiducia-sandbox-bank").unwrap(),
        )
        .unwrap();
        let signer = SoftwareSigner::generate(JoseAlg::Es256).unwrap();
        let op = Arc::new(StandInOp {
            jwks: Mutex::new(json!({ "keys": [signer.public_jwk()] }).to_string()),
            decisions: Mutex::default(),
            answer: AtomicU16::new(204),
            calls: Default::default(),
        });
        let tls = TlsConfig {
            cert: pki.path("server.pem"),
            key: pki.path("server.key"),
            client_ca: vec![pki.ca()],
            ..TlsConfig::default()
        };
        let serve = |client_auth, kind| Standalone {
            name: "stand-in OP",
            listen: "127.0.0.1:0".parse().unwrap(),
            tls: tls.clone(),
            client_auth,
            kind,
            max_body_bytes: 64 * 1024,
        };
        let main = serve(ClientAuth::Optional, ListenerKind::Main)
            .serve(op.clone())
            .await
            .unwrap();
        let alias = serve(ClientAuth::Required, ListenerKind::MtlsAlias)
            .serve(op.clone())
            .await
            .unwrap();
        let customer = |(username, password, account_id): (&str, &str, &str), name: &str| {
            toml::from_str::<DeviceCustomer>(&format!(
                "username = \"{username}\"\npassword = \"{password}\"\naccount_id = \"{account_id}\"\nname = \"{name}\""
            ))
            .unwrap()
        };
        let mut config = DeviceConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            op: DeviceOpConfig {
                issuer: ISSUER.into(),
                jwks_uri: format!("https://localhost:{}/jwks", main.addr.port()),
                audience: AUDIENCE.into(),
                decision_endpoint: format!("https://localhost:{}/ciba/decision", alias.addr.port()),
                ..DeviceOpConfig::default()
            },
            customers: vec![customer(ALICE, "Alice Doe"), customer(BOB, "Bob Roe")],
            ..DeviceConfig::default()
        };
        edit(&mut config);
        let config = config.validate(pki.dir.path()).unwrap();
        let device = device::start(config).await.unwrap();
        Rig {
            pki,
            signer,
            op,
            device,
            _servers: (main, alias),
        }
    }

    fn claims(&self, auth_req_id: &str, sub: &str, overrides: Value) -> Value {
        let now = now();
        let mut claims = json!({
            "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 120,
            "jti": uuid::Uuid::new_v4().to_string(), "auth_req_id": auth_req_id, "sub": sub,
            "client_id": "pos-terminal", "client_name": "Corner Shop", "scope": "openid payments",
            "binding_message": "W4SCT",
            "authorization_details": [{
                "type": "payment_initiation",
                "instructedAmount": {"amount": "12.50", "currency": "EUR"},
                "creditorName": "Corner Shop Ltd",
                "creditorAccount": {"iban": "DE02100100109307118603"},
            }],
        });
        for (k, v) in overrides.as_object().unwrap() {
            match v {
                Value::Null => claims.as_object_mut().unwrap().remove(k),
                v => claims.as_object_mut().unwrap().insert(k.clone(), v.clone()),
            };
        }
        claims
    }

    /// A notification as the OP signs it (`typ` ciba-request+jwt, `kid` its key).
    async fn signed(&self, claims: &Value) -> String {
        let mut header = Map::new();
        header.insert("typ".into(), json!(device::NOTIFICATION_TYP));
        sign_jws(&self.signer, header, claims.to_string().as_bytes())
            .await
            .unwrap()
    }

    async fn notify_raw(&self, content_type: &str, body: &str) -> Response<Bytes> {
        let request = Request::post(format!("https://localhost{}", device::NOTIFICATION_PATH))
            .header("content-type", content_type)
            .body(Full::new(Bytes::from(body.to_string())))
            .unwrap();
        self.send(request).await
    }

    async fn notify(&self, auth_req_id: &str, sub: &str, overrides: Value) -> Response<Bytes> {
        let jws = self.signed(&self.claims(auth_req_id, sub, overrides)).await;
        self.notify_raw("application/jwt", &jws).await
    }

    async fn send(&self, request: Request<Full<Bytes>>) -> Response<Bytes> {
        send(
            self.device.addr,
            client_tls(&self.pki, false, &[b"http/1.1"]),
            Version::Http1,
            request,
        )
        .await
    }

    async fn api(&self, method: &str, path: &str, who: (&str, &str)) -> Response<Bytes> {
        let basic = STANDARD.encode(format!("{}:{}", who.0, who.1));
        let request = Request::builder()
            .method(method)
            .uri(format!("https://localhost{path}"))
            .header("authorization", format!("Basic {basic}"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        self.send(request).await
    }

    async fn list(&self, who: (&str, &str, &str)) -> Vec<Value> {
        let response = self
            .api(
                "GET",
                &format!("/api/customers/{}/requests", who.0),
                (who.0, who.1),
            )
            .await;
        assert_status(&response, 200);
        json(response.body())["requests"].as_array().unwrap().clone()
    }

    fn decisions(&self) -> Vec<Recorded> {
        self.op.decisions.lock().unwrap().clone()
    }

    /// The DER of the device's client certificate.
    fn device_cert(&self) -> Vec<u8> {
        CertificateDer::pem_file_iter(self.pki.path("clients/customer-device.pem"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .to_vec()
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn assert_error(response: &Response<Bytes>, status: u16, error: &str) {
    assert_status(response, status);
    assert_eq!(json(response.body())["error"], error);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_approves_through_the_api_and_the_op_gets_it_over_mtls() {
    let rig = Rig::start(false).await;
    assert_status(&rig.notify("req-1", ALICE.2, json!({})).await, 202);
    // The OP retrying a notification it saw no answer to changes nothing.
    assert_status(&rig.notify("req-1", ALICE.2, json!({})).await, 202);

    let listed = rig.list(ALICE).await;
    assert_eq!(listed.len(), 1);
    let request = &listed[0];
    assert_eq!(request["auth_req_id"], "req-1");
    assert_eq!(request["client_name"], "Corner Shop");
    assert_eq!(request["binding_message"], "W4SCT");
    assert_eq!(request["scopes"], json!(["openid", "payments"]));
    assert_eq!(request["summary"]["Amount"], "12.50 EUR");
    assert_eq!(request["summary"]["Payee"], "Corner Shop Ltd");
    assert!(request["expires_in"].as_u64().unwrap() <= 120);
    assert!(rig.list(BOB).await.is_empty());

    let before = now();
    let response = rig
        .api("POST", "/api/requests/req-1/approve", (ALICE.0, ALICE.1))
        .await;
    assert_status(&response, 200);
    assert_eq!(json(response.body())["decision"], "approved");

    let decisions = rig.decisions();
    assert_eq!(decisions.len(), 1);
    let decision = &decisions[0];
    assert_eq!(decision.body["auth_req_id"], "req-1");
    assert_eq!(decision.body["decision"], "approved");
    assert_eq!(decision.body["sub"], ALICE.2);
    assert_eq!(decision.body["acr"], "urn:fiducia:acr:device");
    assert_eq!(decision.body["amr"], json!(["pwd", "hwk"]));
    let auth_time = decision.body["auth_time"].as_u64().unwrap();
    assert!((before..=now()).contains(&auth_time), "{auth_time}");
    // RFC 8705 §2: the decision came with the device's own certificate.
    assert_eq!(decision.cert.as_deref(), Some(rig.device_cert().as_slice()));
    assert!(decision.chain_verified);

    // Decided once: gone from the list, a second approval finds nothing.
    assert!(rig.list(ALICE).await.is_empty());
    let again = rig
        .api("POST", "/api/requests/req-1/approve", (ALICE.0, ALICE.1))
        .await;
    assert_error(&again, 404, "not_found");
    assert_eq!(rig.decisions().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denial_and_a_customer_never_reaches_another_customers_request() {
    let rig = Rig::start(false).await;
    assert_status(&rig.notify("req-a", ALICE.2, json!({})).await, 202);

    // Wrong or missing credentials: 401 with a Basic challenge (RFC 7617 §2).
    let wrong = rig
        .api("GET", "/api/customers/alice/requests", ("alice", "nope"))
        .await;
    assert_error(&wrong, 401, "invalid_client");
    assert!(
        wrong.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic ")
    );
    let unknown = rig
        .api("POST", "/api/requests/req-a/approve", ("mallory", "x"))
        .await;
    assert_status(&unknown, 401);

    // Bob cannot list Alice's requests nor decide one of them.
    let listing = rig
        .api("GET", "/api/customers/alice/requests", (BOB.0, BOB.1))
        .await;
    assert_error(&listing, 403, "forbidden");
    let taking = rig
        .api("POST", "/api/requests/req-a/approve", (BOB.0, BOB.1))
        .await;
    assert_error(&taking, 404, "not_found");
    assert!(rig.decisions().is_empty());

    let denied = rig
        .api("POST", "/api/requests/req-a/deny", (ALICE.0, ALICE.1))
        .await;
    assert_status(&denied, 200);
    let decisions = rig.decisions();
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0].body["decision"], "denied");
    assert_eq!(decisions[0].body["sub"], ALICE.2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_op_s_answers_pass_through_and_an_unreachable_op_keeps_the_request() {
    let rig = Rig::start(false).await;
    assert_status(&rig.notify("req-x", ALICE.2, json!({})).await, 202);
    // A 5xx: still pending at the OP, so still on the device.
    rig.op.answer.store(503, Ordering::SeqCst);
    let failed = rig
        .api("POST", "/api/requests/req-x/approve", (ALICE.0, ALICE.1))
        .await;
    assert_error(&failed, 502, "temporarily_unavailable");
    assert_eq!(rig.list(ALICE).await.len(), 1);
    // 409 already_decided from the OP is passed on.
    rig.op.answer.store(409, Ordering::SeqCst);
    let conflict = rig
        .api("POST", "/api/requests/req-x/approve", (ALICE.0, ALICE.1))
        .await;
    assert_error(&conflict, 409, "already_decided");
    assert!(rig.list(ALICE).await.is_empty());
    assert_eq!(rig.decisions().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_expired_and_misaddressed_notifications_are_refused() {
    let rig = Rig::start(false).await;
    // Signed by another key under the OP's kid (RFC 7515 §4.1.4 / RFC 8725 §3.1).
    let forger = SoftwareSigner::generate(JoseAlg::Es256).unwrap();
    let header = json!({"alg": "ES256", "kid": rig.signer.key_id(), "typ": device::NOTIFICATION_TYP});
    let forged = sign_with_header(&forger, &header, &rig.claims("f1", ALICE.2, json!({}))).await;
    assert_error(
        &rig.notify_raw("application/jwt", &forged).await,
        401,
        "invalid_token",
    );
    // A key the OP's JWKS does not have (refetched once, still unknown).
    let stranger = sign_jws(
        &forger,
        Map::new(),
        rig.claims("f2", ALICE.2, json!({})).to_string().as_bytes(),
    )
    .await
    .unwrap();
    assert_error(
        &rig.notify_raw("application/jwt", &stranger).await,
        401,
        "invalid_token",
    );
    // Unsigned (RFC 8725 §3.1: `alg: none` never).
    let unsigned = format!(
        "{}.{}.",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(rig.claims("f3", ALICE.2, json!({})).to_string())
    );
    assert_error(
        &rig.notify_raw("application/jwt", &unsigned).await,
        401,
        "invalid_token",
    );
    // Another typ (RFC 8725 §3.11).
    let header = json!({"alg": "ES256", "kid": rig.signer.key_id(), "typ": "JWT"});
    let typed = sign_with_header(&rig.signer, &header, &rig.claims("f4", ALICE.2, json!({}))).await;
    assert_error(
        &rig.notify_raw("application/jwt", &typed).await,
        401,
        "invalid_token",
    );
    // Expired, another audience, another issuer.
    let expired = json!({"iat": now() - 600, "exp": now() - 1});
    assert_error(&rig.notify("f5", ALICE.2, expired).await, 401, "invalid_token");
    let aud = json!({"aud": "some-other-bank-app"});
    assert_error(&rig.notify("f6", ALICE.2, aud).await, 401, "invalid_token");
    let iss = json!({"iss": "https://evil.test"});
    assert_error(&rig.notify("f7", ALICE.2, iss).await, 401, "invalid_token");
    // Not a request: no auth_req_id; an unknown customer; not a JWS at all.
    let no_id = json!({"auth_req_id": null});
    assert_error(&rig.notify("f8", ALICE.2, no_id).await, 400, "invalid_request");
    assert_error(
        &rig.notify("f9", "acc-nobody", json!({})).await,
        400,
        "unknown_user_id",
    );
    assert_error(
        &rig.notify_raw("application/jwt", "garbage").await,
        400,
        "invalid_request",
    );
    assert_error(
        &rig.notify_raw("application/json", "{}").await,
        400,
        "invalid_request",
    );

    assert!(rig.list(ALICE).await.is_empty());
    assert!(rig.decisions().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_device_answers_503_so_the_op_retries() {
    let rig = Rig::start_with(|config| config.max_pending = 1).await;
    assert_status(&rig.notify("one", ALICE.2, json!({})).await, 202);
    let full = rig.notify("two", BOB.2, json!({})).await;
    assert_error(&full, 503, "temporarily_unavailable");
    assert_eq!(full.headers()["retry-after"], "1");
    // Deciding the first makes room.
    let approved = rig
        .api("POST", "/api/requests/one/approve", (ALICE.0, ALICE.1))
        .await;
    assert_status(&approved, 200);
    assert_status(&rig.notify("two", BOB.2, json!({})).await, 202);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_op_key_is_fetched_once_on_its_unknown_kid() {
    let rig = Rig::start(false).await;
    assert_status(&rig.notify("k1", ALICE.2, json!({})).await, 202);
    // The OP rotates: its JWKS now has only the new key.
    let rotated = SoftwareSigner::generate(JoseAlg::Es256).unwrap();
    *rig.op.jwks.lock().unwrap() = json!({ "keys": [rotated.public_jwk()] }).to_string();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let mut header = Map::new();
    header.insert("typ".into(), json!(device::NOTIFICATION_TYP));
    let claims = rig.claims("k2", ALICE.2, json!({}));
    let jws = sign_jws(&rotated, header, claims.to_string().as_bytes())
        .await
        .unwrap();
    assert_status(&rig.notify_raw("application/jwt", &jws).await, 202);
    assert_eq!(rig.list(ALICE).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_approve_decides_every_request_as_its_customer() {
    let rig = Rig::start(true).await;
    assert_status(&rig.notify("auto-1", BOB.2, json!({})).await, 202);
    let mut decisions = Vec::new();
    for _ in 0..50 {
        decisions = rig.decisions();
        if !decisions.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(decisions.len(), 1, "the auto-approval reached the OP");
    let body = &decisions[0].body;
    assert_eq!(body["auth_req_id"], "auto-1");
    assert_eq!(body["decision"], "approved");
    assert_eq!(body["sub"], BOB.2);
    assert_eq!(body["amr"], json!(["pwd", "hwk"]));
    assert!(body["auth_time"].as_u64().unwrap() <= now());
    assert_eq!(decisions[0].cert.as_deref(), Some(rig.device_cert().as_slice()));
    assert!(rig.list(BOB).await.is_empty(), "nothing waits for a person");
}

/// `name=value` pairs of a response's `Set-Cookie` headers, checking their attributes.
fn cookies(response: &Response<Bytes>) -> Vec<(String, String)> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| {
            let v = v.to_str().unwrap();
            assert!(v.contains("; Path=/; Secure; HttpOnly; SameSite=Strict"), "{v}");
            let (pair, _) = v.split_once(';').unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            (name.to_string(), value.to_string())
        })
        .collect()
}

fn cookie_header(jar: &[(String, String)]) -> String {
    jar.iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The value of the first hidden `csrf` field of a page.
fn csrf_field(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().unwrap().to_string()
}

fn page_request(method: &str, path: &str, jar: &[(String, String)], form: &str) -> Request<Full<Bytes>> {
    Request::builder()
        .method(method)
        .uri(format!("https://localhost{path}"))
        .header("cookie", cookie_header(jar))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(form.to_string())))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_on_the_page_and_approves_with_csrf() {
    let rig = Rig::start(false).await;
    let hostile = "<script>alert('pwn')</script>";
    assert_status(
        &rig.notify("page-1", ALICE.2, json!({"binding_message": hostile}))
            .await,
        202,
    );

    // The sign-in page: a form with a CSRF token, also set as a cookie.
    let page = rig.send(get("/")).await;
    assert_status(&page, 200);
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let jar = cookies(&page);
    let token = csrf_field(std::str::from_utf8(page.body()).unwrap());
    assert_eq!(jar[0], ("__Host-fiducia-device-csrf".to_string(), token.clone()));

    // Posting the form without the cookie (another site's form) is refused.
    let form = format!("csrf={token}&username=alice&password={}", ALICE.1);
    let forged = rig.send(page_request("POST", "/signin", &[], &form)).await;
    assert_status(&forged, 403);
    let wrong = format!("csrf={token}&username=alice&password=nope");
    assert_status(
        &rig.send(page_request("POST", "/signin", &jar, &wrong)).await,
        401,
    );

    let before = now();
    let signed_in = rig.send(page_request("POST", "/signin", &jar, &form)).await;
    assert_status(&signed_in, 303);
    let jar = cookies(&signed_in);
    assert_eq!(jar.len(), 2);
    assert_eq!(jar[0].0, "__Host-fiducia-device");

    // The list escapes what the fintech sent.
    let inbox = rig.send(page_request("GET", "/", &jar, "")).await;
    assert_status(&inbox, 200);
    let html = std::str::from_utf8(inbox.body()).unwrap();
    assert!(html.contains("Hello, Alice Doe"));
    assert!(!html.contains(hostile));
    assert!(html.contains("&lt;script&gt;alert(&#39;pwn&#39;)&lt;/script&gt;"));
    assert!(html.contains("Corner Shop") && html.contains("12.50 EUR"));
    assert!(html.contains("value=\"page-1\""));
    let session_token = csrf_field(html);

    // A decision without the session's token is refused and sent nowhere.
    let bad = "csrf=not-the-token&auth_req_id=page-1&decision=approve";
    assert_status(&rig.send(page_request("POST", "/decide", &jar, bad)).await, 403);
    assert!(rig.decisions().is_empty());

    let approve = format!("csrf={session_token}&auth_req_id=page-1&decision=approve");
    let done = rig.send(page_request("POST", "/decide", &jar, &approve)).await;
    assert_status(&done, 200);
    assert!(std::str::from_utf8(done.body()).unwrap().contains("Approved"));
    let decisions = rig.decisions();
    assert_eq!(decisions.len(), 1);
    let body = &decisions[0].body;
    assert_eq!(
        (body["auth_req_id"].as_str(), body["decision"].as_str()),
        (Some("page-1"), Some("approved"))
    );
    assert_eq!(body["sub"], ALICE.2);
    // auth_time is when the customer signed in.
    assert!((before..=now()).contains(&body["auth_time"].as_u64().unwrap()));
    assert_eq!(decisions[0].cert.as_deref(), Some(rig.device_cert().as_slice()));
}

/// A batch as the OP signs it (`typ` ciba-requests+jwt): the envelope's
/// claims with `requests`, each of them a request's claims.
async fn signed_batch(rig: &Rig, envelope: Value, requests: Vec<Value>) -> String {
    let now = now();
    let mut claims = json!({
        "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 120,
        "jti": uuid::Uuid::new_v4().to_string(), "requests": requests,
    });
    for (k, v) in envelope.as_object().unwrap() {
        claims[k] = v.clone();
    }
    let mut header = Map::new();
    header.insert("typ".into(), json!(BATCH_TYP));
    sign_jws(&rig.signer, header, claims.to_string().as_bytes())
        .await
        .unwrap()
}

/// One request of a batch: a single notification's request claims.
fn batch_item(rig: &Rig, auth_req_id: &str, sub: &str, overrides: Value) -> Value {
    let mut claims = rig.claims(auth_req_id, sub, overrides);
    for envelope_only in ["iss", "aud", "iat", "jti"] {
        claims.as_object_mut().unwrap().remove(envelope_only);
    }
    claims
}

/// The batched form of the device channel (docs/ARCHITECTURE.md, the
/// device contract): one signature verified for several requests, each
/// answered on its own — taken, `unknown_user_id`, `invalid_token`
/// (expired) or `invalid_request` (CIBA Core §13) — and the taken ones
/// shown to their customers; the envelope checked as a single
/// notification's, for the whole batch (RFC 8725 §3.11: its own `typ`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_verified_once_and_each_request_answered_on_its_own() {
    let rig = Rig::start(false).await;
    let requests = vec![
        batch_item(&rig, "b1", ALICE.2, json!({})),
        batch_item(&rig, "b2", BOB.2, json!({"binding_message": "BOB42"})),
        batch_item(&rig, "b3", "acc-nobody", json!({})),
        batch_item(&rig, "b4", ALICE.2, json!({"exp": now() - 1})),
        batch_item(&rig, "b5", ALICE.2, json!({"scope": null})),
        json!("not an object"),
    ];
    let jws = signed_batch(&rig, json!({}), requests).await;
    let response = rig.notify_raw("application/jwt", &jws).await;
    assert_status(&response, 200);
    let answer = json(response.body());
    let results = answer["results"].as_array().unwrap();
    let outcome = |id: &str| {
        results
            .iter()
            .find(|r| r["auth_req_id"] == id)
            .map(|r| r.get("error").cloned().unwrap_or(Value::Null))
    };
    assert_eq!(results.len(), 6, "{answer}");
    assert_eq!(outcome("b1"), Some(Value::Null));
    assert_eq!(outcome("b2"), Some(Value::Null));
    assert_eq!(outcome("b3"), Some(json!("unknown_user_id")));
    assert_eq!(outcome("b4"), Some(json!("invalid_token")));
    assert_eq!(outcome("b5"), Some(json!("invalid_request")));
    assert_eq!(outcome(""), Some(json!("invalid_request")));
    let alice: Vec<Value> = rig.list(ALICE).await;
    assert_eq!(alice.len(), 1);
    assert_eq!(alice[0]["auth_req_id"], "b1");
    let bob = rig.list(BOB).await;
    assert_eq!(bob.len(), 1);
    assert_eq!(bob[0]["binding_message"], "BOB42");
    // The OP retrying the batch: 200 again, nothing doubled.
    assert_status(&rig.notify_raw("application/jwt", &jws).await, 200);
    assert_eq!(rig.list(ALICE).await.len(), 1);

    // The whole batch refused: the envelope's issuer, audience or expiry,
    // a forged signature, `requests` missing, empty or too long.
    let item = || vec![batch_item(&rig, "x1", ALICE.2, json!({}))];
    for envelope in [
        json!({"iss": "https://evil.test"}),
        json!({"aud": "some-other-bank-app"}),
        json!({"iat": now() - 600, "exp": now() - 1}),
    ] {
        let jws = signed_batch(&rig, envelope.clone(), item()).await;
        let refused = rig.notify_raw("application/jwt", &jws).await;
        assert_error(&refused, 401, "invalid_token");
    }
    let forger = SoftwareSigner::generate(JoseAlg::Es256).unwrap();
    let header = json!({"alg": "ES256", "kid": rig.signer.key_id(), "typ": BATCH_TYP});
    let claims = json!({"iss": ISSUER, "aud": AUDIENCE, "iat": now(), "exp": now() + 60,
        "jti": "j", "requests": item()});
    let forged = sign_with_header(&forger, &header, &claims).await;
    assert_error(
        &rig.notify_raw("application/jwt", &forged).await,
        401,
        "invalid_token",
    );
    let many: Vec<Value> = (0..129)
        .map(|n| batch_item(&rig, &format!("m{n}"), ALICE.2, json!({})))
        .collect();
    for requests in [json!(null), json!([]), json!({"a": 1}), json!(many)] {
        let jws = signed_batch(&rig, json!({"requests": requests}), Vec::new()).await;
        let refused = rig.notify_raw("application/jwt", &jws).await;
        assert_error(&refused, 400, "invalid_request");
    }
    assert_eq!(
        rig.list(ALICE).await.len(),
        1,
        "nothing of a refused batch is kept"
    );
    assert!(rig.decisions().is_empty());
}

/// A batch goes into the inbox whole or not at all: without room for all
/// of its requests the device answers 503 and keeps none (the OP retries
/// the batch).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_device_refuses_a_whole_batch() {
    let rig = Rig::start_with(|config| config.max_pending = 2).await;
    assert_status(&rig.notify("one", ALICE.2, json!({})).await, 202);
    let two = vec![
        batch_item(&rig, "two", BOB.2, json!({})),
        batch_item(&rig, "three", BOB.2, json!({})),
    ];
    let jws = signed_batch(&rig, json!({}), two).await;
    let full = rig.notify_raw("application/jwt", &jws).await;
    assert_error(&full, 503, "temporarily_unavailable");
    assert!(rig.list(BOB).await.is_empty());
    let one = vec![batch_item(&rig, "two", BOB.2, json!({}))];
    let jws = signed_batch(&rig, json!({}), one).await;
    assert_status(&rig.notify_raw("application/jwt", &jws).await, 200);
    assert_eq!(rig.list(BOB).await.len(), 1);
}

/// `auto_approve` approves each request of a batch as its customer, the
/// decisions sent to the OP together in one call (over mTLS with the
/// device's certificate, RFC 8705 §2).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_approve_decides_each_request_of_a_batch() {
    let rig = Rig::start(true).await;
    let requests = vec![
        batch_item(&rig, "ab1", ALICE.2, json!({})),
        batch_item(&rig, "ab2", BOB.2, json!({})),
    ];
    let jws = signed_batch(&rig, json!({}), requests).await;
    assert_status(&rig.notify_raw("application/jwt", &jws).await, 200);
    let mut decisions = Vec::new();
    for _ in 0..50 {
        decisions = rig.decisions();
        if decisions.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut decided: Vec<(String, String)> = decisions
        .iter()
        .map(|d| {
            assert_eq!(d.body["decision"], "approved");
            (
                d.body["auth_req_id"].as_str().unwrap().to_string(),
                d.body["sub"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    decided.sort();
    assert_eq!(
        decided,
        [
            ("ab1".to_string(), ALICE.2.to_string()),
            ("ab2".to_string(), BOB.2.to_string())
        ]
    );
    assert_eq!(rig.op.calls.load(Ordering::SeqCst), 1, "one call for both");
    assert!(decisions.iter().all(|d| d.chain_verified));
}
