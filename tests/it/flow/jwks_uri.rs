//! A client whose keys are at a `jwks_uri` (RFC 7591 §2): fetched over
//! HTTPS, and fetched again when an assertion names a `kid` the cached set
//! lacks (the client rotated its keys).

use super::super::support::*;
use super::harness::*;
use fiducia::config;
use fiducia::server::{self, ServerHandle};
use fiducia_hsm::{JoseAlg, Signer, SoftwareSigner, sign_jws};
use serde_json::{Map, json};
use std::sync::{Arc, Mutex};

type Documents = Arc<Mutex<std::collections::HashMap<String, String>>>;

/// Serves `GET /jwks.json` with `jwks`; [`set_jwks`] changes it.
async fn jwks_host(pki: &TestPki, jwks: String) -> (u16, Documents) {
    let documents = Documents::default();
    set_jwks(&documents, jwks);
    (document_host(pki, documents.clone()).await, documents)
}

fn set_jwks(documents: &Documents, jwks: String) {
    documents.lock().unwrap().insert("/jwks.json".to_string(), jwks);
}

/// An OP whose client `uri-client` (private_key_jwt) has its keys at the
/// `jwks_uri` served on `port`.
async fn start_with_jwks_uri_client(pki: &TestPki, port: u16) -> ServerHandle {
    let extra = format!(
        r#"
[[clients]]
client_id = "uri-client"
client_name = "Rotating Fintech"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "private_key_jwt"
jwks_uri = "https://localhost:{port}/jwks.json"
"#
    );
    let raw = config::load_from_str(&pki.config_text("http3 = false", &extra), Vec::new()).unwrap();
    server::start(config::validate(raw, pki.dir.path()).unwrap())
        .await
        .unwrap()
}

async fn assertion(key: &SoftwareSigner) -> String {
    let now = now();
    let claims = json!({
        "iss": "uri-client", "sub": "uri-client", "aud": ISSUER,
        "iat": now, "exp": now + 60, "jti": uuid::Uuid::new_v4().to_string(),
    });
    sign_jws(key, Map::new(), claims.to_string().as_bytes())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_come_from_jwks_uri_and_are_refetched_on_an_unknown_kid() {
    let pki = TestPki::new();
    let old_key = SoftwareSigner::generate(JoseAlg::Es256).unwrap();
    let new_key = SoftwareSigner::generate(JoseAlg::Es256).unwrap();
    let (port, jwks) = jwks_host(&pki, json!({ "keys": [old_key.public_jwk()] }).to_string()).await;
    let handle = start_with_jwks_uri_client(&pki, port).await;
    let (_, challenge) = pkce();
    let par = |assertion: String| {
        form(
            "/par",
            &[
                ("client_id", "uri-client"),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", &assertion),
                ("response_type", "code"),
                ("redirect_uri", REDIRECT),
                ("scope", "openid"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ],
        )
    };
    let tls = client_tls(&pki, false, &[b"http/1.1"]);
    let response = send(
        handle.main_addr,
        tls.clone(),
        Version::Http1,
        par(assertion(&old_key).await),
    )
    .await;
    assert_status(&response, 201);

    // The client rotates: its jwks_uri now has only the new key.
    set_jwks(&jwks, json!({ "keys": [new_key.public_jwk()] }).to_string());
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let response = send(
        handle.main_addr,
        tls.clone(),
        Version::Http1,
        par(assertion(&new_key).await),
    )
    .await;
    assert_status(&response, 201);
    // The old key is gone from the refetched set.
    let response = send(
        handle.main_addr,
        tls,
        Version::Http1,
        par(assertion(&old_key).await),
    )
    .await;
    assert_eq!(response.status(), 401);
    handle.shutdown().await;
}

/// RFC 9101 §6.2 with a `jwks_uri` client: a request object signed by a key
/// the cached set lacks makes the OP fetch the set again, once, as client
/// assertions do; a key never published stays refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_object_keys_are_refetched_on_an_unknown_kid() {
    let pki = TestPki::new();
    let auth_key = SoftwareSigner::generate(JoseAlg::Es256).unwrap();
    let new_key = SoftwareSigner::generate(JoseAlg::Es256).unwrap();
    let (port, jwks) = jwks_host(&pki, json!({ "keys": [auth_key.public_jwk()] }).to_string()).await;
    let handle = start_with_jwks_uri_client(&pki, port).await;
    let (_, challenge) = pkce();
    let tls = client_tls(&pki, false, &[b"http/1.1"]);
    let push = |object: String| {
        let (tls, auth_key) = (tls.clone(), &auth_key);
        async move {
            let assertion = assertion(auth_key).await;
            let request = form(
                "/par",
                &[
                    ("client_id", "uri-client"),
                    ("client_assertion_type", JWT_BEARER),
                    ("client_assertion", &assertion),
                    ("request", &object),
                ],
            );
            send(handle.main_addr, tls, Version::Http1, request).await
        }
    };
    let object = request_object(&auth_key, "uri-client", &challenge, json!({})).await;
    pushed_request_uri(&push(object).await);

    // The client publishes a second key and signs its request objects with it.
    set_jwks(
        &jwks,
        json!({ "keys": [auth_key.public_jwk(), new_key.public_jwk()] }).to_string(),
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let object = request_object(&new_key, "uri-client", &challenge, json!({})).await;
    pushed_request_uri(&push(object).await);

    let never_published = SoftwareSigner::generate(JoseAlg::Es256).unwrap();
    let object = request_object(&never_published, "uri-client", &challenge, json!({})).await;
    let response = push(object).await;
    assert_eq!(response.status(), 400);
    assert_eq!(json(response.body())["error"], "invalid_request_object");
    handle.shutdown().await;
}
