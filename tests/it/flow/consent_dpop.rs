//! DPoP server nonces at the consent API (RFC 9449 §9), over real mTLS: a
//! resource that requires a nonce says so with `use_dpop_nonce` and hands
//! the nonce over in `DPoP-Nonce`, as the token endpoint does (§8).

use super::super::support::json;
use super::consents::{ACCOUNTS, PAYMENTS, payment_request};
use super::harness::*;
use bytes::Bytes;
use http_body_util::Full;
use serde_json::Value;

/// A DPoP-bound client_credentials token of the mTLS client for `scope`,
/// after the token endpoint's own nonce challenge (RFC 9449 §8).
async fn dpop_cc_token(op: &Op, dpop: &DpopKey, scope: &str) -> String {
    let url = format!("{ISSUER}/token");
    let request = || {
        form(
            "/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", MTLS),
                ("scope", scope),
            ],
        )
    };
    let first = op
        .send(
            true,
            with_header(request(), "dpop", &dpop.proof("POST", &url, None).await),
        )
        .await;
    assert_eq!(json(first.body())["error"], "use_dpop_nonce");
    let nonce = first.headers()["dpop-nonce"].to_str().unwrap().to_string();
    let proof = dpop.proof_with_nonce("POST", &url, None, Some(&nonce)).await;
    let issued = op.send(true, with_header(request(), "dpop", &proof)).await;
    assert_status(&issued, 200);
    let tokens = json(issued.body());
    assert_eq!(tokens["token_type"], "DPoP");
    tokens["access_token"].as_str().unwrap().to_string()
}

/// A consent API request with a DPoP-bound token and `proof`.
fn consent_request(
    method: &str,
    path: &str,
    token: &str,
    proof: &str,
    body: Option<&Value>,
) -> http::Request<Full<Bytes>> {
    let mut builder = http::Request::builder()
        .method(method)
        .uri(format!("{ISSUER}{path}"))
        .header("authorization", format!("DPoP {token}"))
        .header("dpop", proof)
        .header("content-type", "application/json")
        .header("x-idempotency-key", "dpop-nonce-1");
    if body.is_none() {
        builder = builder.header("content-length", "0");
    }
    let body = body.map(|b| Bytes::from(b.to_string())).unwrap_or_default();
    builder.body(Full::new(body)).unwrap()
}

/// RFC 9449 §9 (and §7.1): with `tokens.dpop_nonce` a proof without the
/// nonce at the consent API is 401 with `WWW-Authenticate: DPoP
/// error="use_dpop_nonce"` and the nonce in `DPoP-Nonce`; the same request
/// with a proof carrying it is served, and every answer of the consent API
/// carries the current nonce, for payment and account access consents.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consent_api_hands_out_the_dpop_nonce_it_requires() {
    let op = Op::start_with("dpop_nonce = true").await;
    let dpop = DpopKey::new();
    let token = dpop_cc_token(&op, &dpop, "payments accounts").await;
    let url = format!("{ISSUER}{PAYMENTS}");
    let body = payment_request("12.50");
    let proof = dpop.proof("POST", &url, Some(&token)).await;
    let refused = op
        .send(
            true,
            consent_request("POST", PAYMENTS, &token, &proof, Some(&body)),
        )
        .await;
    assert_eq!(refused.status(), 401);
    let challenge = refused.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.starts_with("DPoP error=\"use_dpop_nonce\""),
        "{challenge}"
    );
    let nonce = refused
        .headers()
        .get("dpop-nonce")
        .expect("RFC 9449 §9: the challenge carries the nonce to use")
        .to_str()
        .unwrap()
        .to_string();
    let proof = dpop
        .proof_with_nonce("POST", &url, Some(&token), Some(&nonce))
        .await;
    let created = op
        .send(
            true,
            consent_request("POST", PAYMENTS, &token, &proof, Some(&body)),
        )
        .await;
    assert_status(&created, 201);
    assert!(created.headers().contains_key("dpop-nonce"));
    let consent_id = json(created.body())["Data"]["ConsentId"]
        .as_str()
        .unwrap()
        .to_string();

    // A read of it: the nonce again on the challenge, then served.
    let path = format!("{PAYMENTS}/{consent_id}");
    let url = format!("{ISSUER}{path}");
    let proof = dpop.proof("GET", &url, Some(&token)).await;
    let refused = op
        .send(true, consent_request("GET", &path, &token, &proof, None))
        .await;
    assert_eq!(refused.status(), 401);
    let nonce = refused.headers()["dpop-nonce"].to_str().unwrap().to_string();
    let proof = dpop
        .proof_with_nonce("GET", &url, Some(&token), Some(&nonce))
        .await;
    let read = op
        .send(true, consent_request("GET", &path, &token, &proof, None))
        .await;
    assert_status(&read, 200);

    // The account access consents likewise.
    let url = format!("{ISSUER}{ACCOUNTS}");
    let access = serde_json::json!({
        "Data": {"Permissions": ["ReadAccountsBasic"]},
        "Risk": {}
    });
    let proof = dpop.proof("POST", &url, Some(&token)).await;
    let refused = op
        .send(
            true,
            consent_request("POST", ACCOUNTS, &token, &proof, Some(&access)),
        )
        .await;
    assert_eq!(refused.status(), 401);
    assert_eq!(json(refused.body())["error"], "use_dpop_nonce");
    assert!(refused.headers().contains_key("dpop-nonce"));
    op.handle.shutdown().await;
}
