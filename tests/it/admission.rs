//! Admission control under a full gate (`http::admission`, docs/RELIABILITY.md
//! "Overload"): a request the OP cannot start within
//! `admission_queue_wait_ms` is answered 503 with `Retry-After` (RFC 9110
//! §15.6.4, §10.2.3) in its endpoint's error format — OAuth
//! `temporarily_unavailable` (RFC 6749 §5.2) at the token and discovery
//! endpoints, an HTML page at the authorization endpoint (RFC 6749
//! §4.1.2.1: nothing is redirected to an unchecked client) — while health
//! and readiness are served, and requests are admitted again once the gate
//! has room.
//!
//! The gate is made full with one slot (`admission_max_in_flight = 1`) held
//! by a PAR request whose client's `jwks_uri` host accepts the connection
//! and never answers: the OP's key fetch, inside the handler, waits.

use super::flow::harness::{JWT_BEARER, REDIRECT, now, pkce};
use super::support::*;
use fiducia::config;
use fiducia::server::{self, ServerHandle};
use fiducia_hsm::{JoseAlg, SoftwareSigner, sign_jws};
use serde_json::{Map, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};

const QUEUE_WAIT_MS: u64 = 300;

/// A TCP listener that accepts connections and holds them, silent, until
/// `release` fires; `accepted` is notified at each connection.
async fn silent_host(accepted: Arc<Notify>, release: oneshot::Receiver<()>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        let mut release = release;
        loop {
            tokio::select! {
                Ok((socket, _)) = listener.accept() => {
                    held.push(socket);
                    accepted.notify_one();
                }
                _ = &mut release => return,
            }
        }
    });
    port
}

/// An OP with a one-slot gate and a client `slow-keys` whose keys are at
/// the silent host on `port`.
async fn start_with_one_slot(pki: &TestPki, port: u16) -> ServerHandle {
    let server = format!(
        "http3 = false\nadmission_max_in_flight = 1\nadmission_max_waiting = 8\nadmission_queue_wait_ms = {QUEUE_WAIT_MS}"
    );
    let clients = format!(
        r#"
[[clients]]
client_id = "slow-keys"
client_name = "Fintech with a slow key server"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "private_key_jwt"
jwks_uri = "https://localhost:{port}/jwks.json"
"#
    );
    let raw = config::load_from_str(&pki.config_text(&server, &clients), Vec::new()).unwrap();
    server::start(config::validate(raw, pki.dir.path()).unwrap())
        .await
        .unwrap()
}

/// A PAR request of `slow-keys`: its client assertion makes the OP fetch
/// the client's keys.
async fn held_par(
    addr: std::net::SocketAddr,
    tls: Arc<rustls::ClientConfig>,
) -> http::Response<bytes::Bytes> {
    let key = SoftwareSigner::generate(JoseAlg::Es256).unwrap();
    let now = now();
    let claims = json!({
        "iss": "slow-keys", "sub": "slow-keys", "aud": "https://localhost:8443",
        "iat": now, "exp": now + 60, "jti": uuid::Uuid::new_v4().to_string(),
    });
    let assertion = sign_jws(&key, Map::new(), claims.to_string().as_bytes())
        .await
        .unwrap();
    let (_, challenge) = pkce();
    let body = form_body(&[
        ("client_id", "slow-keys"),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", &assertion),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ]);
    send(addr, tls, Version::Http1, post_form("/par", &body)).await
}

fn form_body(params: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish()
}

/// RFC 9110 §15.6.4 and §10.2.3: 503 with `Retry-After` in seconds.
fn assert_shed(response: &http::Response<bytes::Bytes>) {
    assert_status(response, 503);
    let retry_after = response.headers()[http::header::RETRY_AFTER].to_str().unwrap();
    assert!(
        retry_after.parse::<u32>().is_ok_and(|s| (1..=60).contains(&s)),
        "{retry_after}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_gate_answers_503_with_retry_after_at_once_and_health_is_served() {
    let pki = TestPki::new();
    let accepted = Arc::new(Notify::new());
    let (release, released) = oneshot::channel();
    let port = silent_host(accepted.clone(), released).await;
    let handle = start_with_one_slot(&pki, port).await;
    let tls = client_tls(&pki, false, &[b"http/1.1"]);
    let discovery = || {
        send(
            handle.main_addr,
            tls.clone(),
            Version::Http1,
            get("/.well-known/openid-configuration"),
        )
    };
    assert_status(&discovery().await, 200);

    // The PAR request takes the one slot and waits for the silent key host.
    let held = tokio::spawn(held_par(handle.main_addr, tls.clone()));
    tokio::time::timeout(Duration::from_secs(4), accepted.notified())
        .await
        .expect("the OP fetches the client's keys");
    // Until the slot is taken a request is admitted; then it is shed once
    // it has waited the queue-wait bound.
    let deadline = Instant::now() + Duration::from_secs(4);
    let (shed, waited) = loop {
        let asked = Instant::now();
        let response = discovery().await;
        if response.status() == 503 {
            break (response, asked.elapsed());
        }
        assert_status(&response, 200);
        assert!(Instant::now() < deadline, "the gate never filled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // OAuth JSON (RFC 6749 §5.2), after the queue-wait bound and not after
    // the seconds the held request waits.
    assert_shed(&shed);
    assert_eq!(json(shed.body())["error"], "temporarily_unavailable");
    assert!(waited >= Duration::from_millis(QUEUE_WAIT_MS - 50), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    // The token endpoint: OAuth JSON, the body never parsed (it is not
    // even a valid request).
    let token = send(
        handle.main_addr,
        tls.clone(),
        Version::Http1,
        post_form("/token", "x"),
    )
    .await;
    assert_shed(&token);
    assert_eq!(json(token.body())["error"], "temporarily_unavailable");
    // The authorization endpoint: an HTML page for the customer's browser.
    let page = send(
        handle.main_addr,
        tls.clone(),
        Version::Http1,
        get("/authorize?client_id=x"),
    )
    .await;
    assert_shed(&page);
    let content_type = page.headers()[http::header::CONTENT_TYPE].to_str().unwrap();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    // Health and readiness are never shed: the admin listener has no gate.
    assert_eq!(admin_get(handle.admin_addr, "/healthz").await.0, 200);
    assert_eq!(admin_get(handle.admin_addr, "/readyz").await.0, 200);
    let (status, metrics) = admin_get(handle.admin_addr, "/metrics").await;
    if status == 200 {
        // This process's recorder (another test's server may have installed it).
        assert!(
            metrics.contains("fiducia_http_requests_shed_total{reason=\"queue_wait\"}"),
            "{metrics}"
        );
    }

    // The key host lets go: the held request is answered (served, not
    // shed) and the gate admits again.
    let _ = release.send(());
    let held = tokio::time::timeout(Duration::from_secs(10), held)
        .await
        .expect("the held request is answered")
        .unwrap();
    assert_ne!(held.status(), 503);
    assert_status(&discovery().await, 200);
    handle.shutdown().await;
}
