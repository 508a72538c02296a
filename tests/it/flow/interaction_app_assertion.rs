//! Issue 25: an interaction app authenticated by `private_key_jwt` instead
//! of its certificate. The app's `[[resource_servers]]` entry carries
//! `jwks_file`; each call of the interaction API carries
//! `client_assertion_type` and `client_assertion` as JSON members (RFC 7521
//! §4.2's names) and no client certificate. Shown, each refusal an RFC
//! 9457 problem: accepted (the whole login, consent and return to a code;
//! `aud` the issuer or the endpoint's URL, RFC 7523 §3 item 3), a replayed
//! `jti` (§3 item 7), another key (§3 item 9), an expired assertion (§3
//! item 4), a foreign `aud`, a lifetime beyond 60 s, an app without keys
//! naming itself, and half an assertion.

use super::super::support::{assert_status, json};
use super::harness::*;
use bytes::Bytes;
use fiducia_hsm::{JoseAlg, SoftwareSigner, sign_jws};
use http::{Request, Response};
use http_body_util::Full;
use serde_json::{Map, Value, json};

const KEY_APP: &str = "key-login";
const CERT_APP: &str = "cert-login";
const KEY_CLIENT: &str = "key-app-client";
const LOGIN_URL: &str = "https://login.bank.example/key";

async fn op() -> Op {
    let pki = super::super::support::TestPki::new();
    Op::start_with_sections(pki, Sections::default(), |jwks| {
        format!(
            r#"
[[resource_servers]]
id = "{KEY_APP}"
tls_client_auth_subject_dn = "CN={KEY_APP},OU=bank-platform,O=bank-platform,C=GB"
interaction_login_url = "{LOGIN_URL}"
jwks_file = "{jwks}"

[[resource_servers]]
id = "{CERT_APP}"
tls_client_auth_subject_dn = "CN={CERT_APP},OU=bank-platform,O=bank-platform,C=GB"
interaction_login_url = "https://cert.bank.example/login"

[[clients]]
client_id = "{KEY_CLIENT}"
client_name = "Key App Fintech"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "private_key_jwt"
jwks_file = "{jwks}"
interaction_app = "{KEY_APP}"
"#,
            jwks = jwks.display()
        )
    })
    .await
}

/// A call without a certificate, `body` plus the assertion `jwt`.
async fn call(op: &Op, path: &str, mut body: Value, jwt: &str) -> Response<Bytes> {
    body["client_assertion_type"] = json!(JWT_BEARER);
    body["client_assertion"] = json!(jwt);
    let request = Request::post(format!("https://localhost{path}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    op.send(false, request).await
}

fn problem_type(response: &Response<Bytes>) -> String {
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    json(response.body())["type"].as_str().unwrap().to_string()
}

/// PAR and `/authorize` for the key app's client: the interaction id.
async fn start(op: &Op, browser: &mut Browser) -> String {
    let (_, challenge) = pkce();
    let assertion = op.assertion(KEY_CLIENT, json!({})).await;
    let extra = [("state", "st-key"), ("nonce", "n-key")];
    let response = op
        .send(
            false,
            pkjwt_par_for(KEY_CLIENT, &assertion, &challenge, "openid", &extra),
        )
        .await;
    assert_status(&response, 201);
    let request_uri = json(response.body())["request_uri"].as_str().unwrap().to_string();
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", KEY_CLIENT)
        .append_pair("request_uri", &request_uri)
        .finish();
    let response = browser.get(op, &format!("/authorize?{query}")).await;
    assert_status(&response, 303);
    query_param(&location(&response), "interaction_id").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interaction_app_authenticates_each_call_with_a_client_assertion() {
    let op = op().await;
    let mut browser = Browser::new();
    let id = start(&op, &mut browser).await;
    let read = "/interaction-api/read";
    let body = json!({"interaction_id": id});

    // Accepted: aud the issuer (RFC 7523 §3 item 3), no certificate.
    let jwt = op.assertion(KEY_APP, json!({})).await;
    let response = call(&op, read, body.clone(), &jwt).await;
    assert_status(&response, 200);
    assert_eq!(json(response.body())["stage"], "login");
    // RFC 7523 §3 item 7: the same jti again is refused.
    let replayed = call(&op, read, body.clone(), &jwt).await;
    assert_status(&replayed, 401);
    assert_eq!(
        problem_type(&replayed),
        "urn:fiducia:problem:client-assertion-replayed"
    );
    // aud may be the URL of the endpoint called.
    let to_endpoint = op
        .assertion(KEY_APP, json!({"aud": format!("{ISSUER}{read}")}))
        .await;
    assert_status(&call(&op, read, body.clone(), &to_endpoint).await, 200);

    // Refused, each an invalid-client-assertion problem (401).
    let now = now();
    let other_key = SoftwareSigner::generate(JoseAlg::Es256).unwrap();
    let claims = json!({
        "iss": KEY_APP, "sub": KEY_APP, "aud": ISSUER, "iat": now, "exp": now + 30,
        "jti": uuid::Uuid::new_v4().to_string(),
    });
    let wrong_key = sign_jws(&other_key, Map::new(), claims.to_string().as_bytes())
        .await
        .unwrap();
    let refusals = [
        ("another key (RFC 7523 §3 item 9)", wrong_key),
        (
            "expired (§3 item 4)",
            op.assertion(KEY_APP, json!({"iat": now - 120, "exp": now - 60}))
                .await,
        ),
        (
            "a foreign aud (§3 item 3)",
            op.assertion(KEY_APP, json!({"aud": "https://other-op.example"}))
                .await,
        ),
        (
            "a lifetime beyond 60 s",
            op.assertion(KEY_APP, json!({"exp": now + 600})).await,
        ),
        ("an app without keys", op.assertion(CERT_APP, json!({})).await),
        ("not a JWT", "not-a-jwt".to_string()),
    ];
    for (what, jwt) in refusals {
        let response = call(&op, read, body.clone(), &jwt).await;
        assert_status(&response, 401);
        assert_eq!(
            problem_type(&response),
            "urn:fiducia:problem:invalid-client-assertion",
            "{what}"
        );
    }
    // Half an assertion is a bad body (400), not an anonymous call.
    let half = Request::post(format!("https://localhost{read}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(
            json!({"interaction_id": id, "client_assertion": "x"}).to_string(),
        )))
        .unwrap();
    let response = op.send(false, half).await;
    assert_status(&response, 400);
    assert_eq!(problem_type(&response), "urn:fiducia:problem:invalid-report");
    // Without an assertion or a certificate: 401 unauthenticated, as before.
    let anonymous = Request::post(format!("https://localhost{read}"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let response = op.send(false, anonymous).await;
    assert_status(&response, 401);
    assert_eq!(problem_type(&response), "urn:fiducia:problem:unauthenticated");

    // The whole interaction with assertions: login, consent, return; the
    // browser comes back with the code.
    let login = json!({
        "interaction_id": id, "sub": "acc-alice-1", "acr": "urn:openbanking:psd2:ca",
        "amr": ["pwd"], "auth_time": now,
    });
    let jwt = op.assertion(KEY_APP, json!({})).await;
    assert_status(&call(&op, "/interaction-api/login", login, &jwt).await, 200);
    let jwt = op.assertion(KEY_APP, json!({})).await;
    let consent = json!({"interaction_id": id, "approve": true});
    let response = call(&op, "/interaction-api/consent", consent, &jwt).await;
    assert_status(&response, 200);
    let return_to = json(response.body())["return_to"].as_str().unwrap().to_string();
    let response = browser.get(&op, return_to.strip_prefix(ISSUER).unwrap()).await;
    assert_status(&response, 303);
    let redirect = location(&response);
    assert!(redirect.starts_with(REDIRECT), "{redirect}");
    assert!(query_param(&redirect, "code").is_some(), "{redirect}");
}
