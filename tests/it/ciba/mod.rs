//! CIBA (OpenID Connect CIBA Core 1.0, FAPI CIBA) end to end over real TLS
//! and SoftHSM: the OP sends each backchannel authentication request to the
//! real sandbox customer device (`fiducia device`, in process), the test
//! decides as the customer through the device's JSON API, and the device
//! posts the decision to the OP over mTLS with its own certificate. A
//! client's notification endpoint (ping, push) is a small HTTPS server
//! that records what reaches it.

pub mod app;
pub mod batch;
pub mod browser;
pub mod disabled_client;
pub mod notify;
pub mod poll;
pub mod refusals;
pub mod webdriver;

use super::flow::harness::*;
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
use fiducia::sandbox::device::{self, DeviceServer};
use fiducia_hsm::sign_jws;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use serde_json::{Map, Value, json};
use std::sync::{Arc, Mutex};

/// A FAPI CIBA poll client (signed requests, ES256).
pub const POLL: &str = "ciba-poll";
/// A FAPI CIBA ping client.
pub const PING: &str = "ciba-ping";
/// A plain CIBA Core push client (outside FAPI CIBA).
pub const PUSH: &str = "ciba-push";
/// A plain CIBA Core poll client: unsigned requests are fine.
pub const PLAIN: &str = "ciba-plain";
/// The device channel's audience.
pub const AUDIENCE: &str = "urn:fiducia:sandbox:device";
/// The device channel's certificate subject (issued from the test CA).
pub const DEVICE_DN: &str = "CN=customer-device,OU=fiducia-sandbox-bank,O=fiducia-sandbox-bank,C=GB";
/// The grant type (CIBA Core §10.1).
pub const CIBA_GRANT: &str = "urn:openid:params:grant-type:ciba";

/// What reached the client's notification endpoint.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub path: String,
    pub authorization: Option<String>,
    pub body: Value,
}

/// The client's notification endpoint: records each POST and answers the
/// next status of `answers` (then 204).
#[derive(Default)]
pub struct Receiver {
    pub delivered: Mutex<Vec<Delivered>>,
    pub answers: Mutex<Vec<u16>>,
}

impl Handler for Receiver {
    fn handle<'a>(&'a self, request: Request<Bytes>, _context: &'a RequestContext) -> HandlerFuture<'a> {
        Box::pin(async move {
            self.delivered.lock().unwrap().push(Delivered {
                path: request.uri().path().to_string(),
                authorization: request
                    .headers()
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string),
                body: serde_json::from_slice(request.body()).unwrap_or(Value::Null),
            });
            let status = {
                let mut answers = self.answers.lock().unwrap();
                if answers.is_empty() {
                    204
                } else {
                    answers.remove(0)
                }
            };
            let mut response = Response::new(Bytes::new());
            *response.status_mut() = StatusCode::from_u16(status).unwrap();
            response
        })
    }
}

/// The OP with CIBA on, the device and the client's endpoint.
pub struct Ciba {
    pub op: Op,
    pub device: DeviceServer,
    pub receiver: Arc<Receiver>,
    pub _receiver_server: StandaloneServer,
    /// The device's certificate and key (PEM): what the channel presents.
    pub device_identity: (String, String),
}

impl Ciba {
    pub async fn start() -> Self {
        Self::start_with("").await
    }

    /// [`Ciba::start`] with extra `[ciba]` lines.
    pub async fn start_with(ciba_extra: &str) -> Self {
        Self::start_with_channel(ciba_extra, None).await
    }

    /// [`Ciba::start_with`], the OP's device channel at
    /// `https://localhost:{channel_port}/ciba/requests` when given (a
    /// stand-in the test serves there) instead of the sandbox device.
    /// `{JWKS}` in `ciba_extra` becomes the path of the clients' key set
    /// (for a client it adds after `[ciba]`).
    pub async fn start_with_channel(ciba_extra: &str, channel_port: Option<u16>) -> Self {
        let pki = TestPki::new();
        let device_paths = fiducia::pki::issue_client(
            &pki.path(""),
            &ClientCertSpec::parse("software_id=customer-device,org_id=fiducia-sandbox-bank").unwrap(),
        )
        .unwrap();
        let device_identity = (
            std::fs::read_to_string(&device_paths.cert).unwrap(),
            std::fs::read_to_string(&device_paths.key).unwrap(),
        );
        let tls = TlsConfig {
            cert: pki.path("server.pem"),
            key: pki.path("server.key"),
            client_ca: vec![pki.ca()],
            ..TlsConfig::default()
        };
        let receiver = Arc::new(Receiver::default());
        let receiver_server = Standalone {
            name: "client notification endpoint",
            listen: "127.0.0.1:0".parse().unwrap(),
            tls: tls.clone(),
            client_auth: ClientAuth::Optional,
            kind: ListenerKind::Main,
            max_body_bytes: 64 * 1024,
        }
        .serve(receiver.clone())
        .await
        .unwrap();
        let endpoint = format!("https://localhost:{}", receiver_server.addr.port());
        let device_port = free_port();
        let channel_port = channel_port.unwrap_or(device_port);
        let more = move |jwks: &std::path::Path| {
            let jwks = jwks.display();
            let ciba_extra = ciba_extra.replace("{JWKS}", &jwks.to_string());
            format!(
                r#"
[[clients]]
client_id = "{POLL}"
client_name = "Till Payments Ltd"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "private_key_jwt"
jwks_file = "{jwks}"
scopes = ["openid", "accounts", "payments", "offline_access"]
authorization_details_types = ["payment_initiation"]
backchannel_token_delivery_mode = "poll"
backchannel_authentication_request_signing_alg = "ES256"

[[clients]]
client_id = "{PING}"
client_name = "Call Centre Ltd"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "private_key_jwt"
jwks_file = "{jwks}"
scopes = ["openid", "accounts"]
backchannel_token_delivery_mode = "ping"
backchannel_client_notification_endpoint = "{endpoint}/ping"

[[clients]]
client_id = "{PUSH}"
client_name = "Smart Speaker Co"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "private_key_jwt"
jwks_file = "{jwks}"
scopes = ["openid", "accounts", "offline_access"]
ciba_fapi = false
backchannel_token_delivery_mode = "push"
backchannel_client_notification_endpoint = "{endpoint}/push"

[[clients]]
client_id = "{PLAIN}"
client_name = "Plain CIBA Ltd"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "private_key_jwt"
jwks_file = "{jwks}"
ciba_fapi = false
backchannel_token_delivery_mode = "poll"
backchannel_user_code_parameter = true

[ciba]
enabled = true
device_notification_url = "https://localhost:{channel_port}{path}"
device_audience = "{AUDIENCE}"
device_subject_dn = "{DEVICE_DN}"
{interval}
push_enabled = true
danger_allow_private_notification_endpoints = true
delivery_attempts = 3
delivery_first_backoff_ms = 50
delivery_timeout_ms = 3000
{ciba_extra}
"#,
                path = device::NOTIFICATION_PATH,
                // 1 s unless the test sets its own.
                interval = if ciba_extra.contains("interval_secs") {
                    ""
                } else {
                    "interval_secs = 1"
                },
            )
        };
        let op = Op::start_in(pki, "", more).await;
        let op_port = op.handle.main_addr.port();
        let customer = toml::from_str::<DeviceCustomer>(&format!(
            "username = \"{USER}\"\npassword = \"{PASSWORD}\"\naccount_id = \"acc-alice-1\"\nname = \"Alice Liddell\""
        ))
        .unwrap();
        let config = DeviceConfig {
            listen: format!("127.0.0.1:{device_port}").parse().unwrap(),
            cert: op.pki.path("server.pem"),
            key: op.pki.path("server.key"),
            op: DeviceOpConfig {
                issuer: ISSUER.into(),
                jwks_uri: format!("https://localhost:{op_port}/jwks"),
                audience: AUDIENCE.into(),
                decision_endpoint: format!("https://localhost:{op_port}/ciba/decision"),
                ca: vec![op.pki.ca()],
                ..DeviceOpConfig::default()
            },
            customers: vec![customer],
            ..DeviceConfig::default()
        }
        .validate(op.pki.dir.path())
        .unwrap();
        let device = device::start(config).await.unwrap();
        Ciba {
            op,
            device,
            receiver,
            _receiver_server: receiver_server,
            device_identity,
        }
    }

    /// A signed authentication request (CIBA Core §7.1.1) of `client_id`
    /// with `claims` over the defaults, `null` removing one.
    pub async fn signed_request(&self, client_id: &str, claims: Value) -> String {
        let now = now();
        let mut all = json!({
            "iss": client_id, "aud": ISSUER, "iat": now, "nbf": now, "exp": now + 300,
            "jti": uuid::Uuid::new_v4().to_string(),
            "scope": "openid accounts", "login_hint": USER, "binding_message": "W4SCT",
        });
        merge(&mut all, claims);
        sign_jws(
            self.op.client_key.as_ref(),
            Map::new(),
            all.to_string().as_bytes(),
        )
        .await
        .unwrap()
    }

    /// `POST /bc-authorize` by `client_id` (private_key_jwt) over mTLS with
    /// `params`.
    pub async fn backchannel(&self, client_id: &str, params: &[(&str, &str)]) -> Response<Bytes> {
        let assertion = self.op.assertion(client_id, json!({})).await;
        let mut all = vec![
            ("client_id", client_id),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", assertion.as_str()),
        ];
        all.extend_from_slice(params);
        self.op.send(true, form("/bc-authorize", &all)).await
    }

    /// A signed request of `client_id` sent; the `auth_req_id` answered.
    pub async fn authenticate(&self, client_id: &str, claims: Value) -> String {
        let request = self.signed_request(client_id, claims).await;
        let response = self.backchannel(client_id, &[("request", &request)]).await;
        assert_status(&response, 200);
        json(response.body())["auth_req_id"].as_str().unwrap().to_string()
    }

    /// A CIBA token request (CIBA Core §10.1) by `client_id` over mTLS.
    pub async fn poll(&self, client_id: &str, auth_req_id: &str) -> Response<Bytes> {
        let assertion = self.op.assertion(client_id, json!({})).await;
        let token = form(
            "/token",
            &[
                ("grant_type", CIBA_GRANT),
                ("auth_req_id", auth_req_id),
                ("client_id", client_id),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &assertion),
            ],
        );
        self.op.send(true, token).await
    }

    /// The device's JSON API, as the customer.
    pub async fn device_api(&self, method: &str, path: &str) -> Response<Bytes> {
        let basic = STANDARD.encode(format!("{USER}:{PASSWORD}"));
        let request = Request::builder()
            .method(method)
            .uri(format!("https://localhost{path}"))
            .header("authorization", format!("Basic {basic}"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        send(
            self.device.addr,
            client_tls(&self.op.pki, false, &[b"http/1.1"]),
            Version::Http1,
            request,
        )
        .await
    }

    /// The customer's pending requests on the device.
    pub async fn on_device(&self) -> Vec<Value> {
        let response = self
            .device_api("GET", &format!("/api/customers/{USER}/requests"))
            .await;
        assert_status(&response, 200);
        json(response.body())["requests"].as_array().unwrap().clone()
    }

    /// The customer approves (or denies) `auth_req_id` on the device.
    pub async fn decide(&self, auth_req_id: &str, approve: bool) -> Response<Bytes> {
        let verb = if approve { "approve" } else { "deny" };
        self.device_api("POST", &format!("/api/requests/{auth_req_id}/{verb}"))
            .await
    }

    /// Waits until `count` deliveries reached the client's endpoint.
    pub async fn delivered(&self, count: usize) -> Vec<Delivered> {
        for _ in 0..100 {
            let delivered = self.receiver.delivered.lock().unwrap().clone();
            if delivered.len() >= count {
                return delivered;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!(
            "{count} deliveries did not arrive: {:?}",
            self.receiver.delivered.lock().unwrap()
        );
    }
}

/// The `error` of an error response.
pub fn error_of(response: &Response<Bytes>) -> String {
    json(response.body())["error"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}
