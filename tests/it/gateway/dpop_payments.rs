//! DPoP-bound tokens (RFC 9449 §7.1) and payment submission against the
//! consent the token carries (RFC 9396 `payment_initiation`).

use super::super::flow::gateway::gateway_introspection_of;
use super::super::flow::harness::*;
use super::super::flow::rar::{IBAN, authorize_with_details, tokens_for};
use super::super::support::json;
use super::rig::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// A DPoP-bound token of `client_id` carrying the consented payment.
async fn payment_token(rig: &Rig, client_id: &str, dpop: &DpopKey) -> String {
    let (authorized, _) =
        authorize_with_details(&rig.op, client_id, dpop, "openid payments", &consented_payment()).await;
    let tokens = tokens_for(&rig.op, client_id, &authorized, dpop).await;
    assert_eq!(tokens["token_type"], "DPoP");
    tokens["access_token"].as_str().unwrap().to_string()
}

/// A payment submission with `x-idempotency-key: key-1` (OBIE Read/Write
/// API v3.1 "Idempotency").
fn keyed_post(
    body: &Value,
    authorization: &str,
    proof: Option<&str>,
) -> http::Request<http_body_util::Full<bytes::Bytes>> {
    with_header(
        payment_post(body, authorization, proof),
        "x-idempotency-key",
        "key-1",
    )
}

/// A proof for a payment submission at the gateway's public URL.
async fn payment_proof(dpop: &DpopKey, token: &str) -> String {
    dpop.proof("POST", &format!("{PUBLIC_URL}{PAYMENTS}"), Some(token))
        .await
}

fn error_code(response: &http::Response<bytes::Bytes>) -> Value {
    json(response.body())["Errors"][0]["ErrorCode"].clone()
}

/// RFC 9449 §7.1 and §4.3: without a proof, with a proof for another token
/// (wrong `ath`) or by another key, or with the Bearer scheme: 401; another
/// amount or creditor than consented: 403. Then the consented payment with
/// a proof by the token's key (`htm`, `htu`, `ath`) passes, and the bank API
/// learns the customer and the consent; the token is spent after it (a
/// replayed proof and a fresh one are both 401), and the OP consumed the
/// grant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dpop_bound_payment_needs_its_proof_and_the_consented_payment() {
    let rig = Rig::start("", "").await;
    let dpop = DpopKey::new();
    let token = payment_token(&rig, PISP, &dpop).await;
    let authorization = format!("DPoP {token}");
    let consented = payment_request("123.50", IBAN);

    // RFC 9449 §7.1: no proof; the challenge uses the DPoP scheme.
    let response = rig.call(payment_post(&consented, &authorization, None)).await;
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.starts_with("DPoP ") && challenge.contains("invalid_dpop_proof"),
        "{challenge}"
    );

    // RFC 9449 §4.3 item 12: `ath` of another token.
    let wrong_ath = dpop
        .proof("POST", &format!("{PUBLIC_URL}{PAYMENTS}"), Some("another-token"))
        .await;
    let response = rig
        .call(payment_post(&consented, &authorization, Some(&wrong_ath)))
        .await;
    assert_eq!(response.status(), 401);
    assert!(String::from_utf8_lossy(response.body()).contains("ath"));

    // A proof by another key (RFC 9449 §6.1: cnf.jkt).
    let other = payment_proof(&DpopKey::new(), &token).await;
    let response = rig
        .call(payment_post(&consented, &authorization, Some(&other)))
        .await;
    assert_eq!(response.status(), 401);

    // RFC 9449 §7.1: a DPoP-bound token is no Bearer token.
    let response = rig
        .call(payment_post(&consented, &format!("Bearer {token}"), None))
        .await;
    assert_eq!(response.status(), 401);
    assert_eq!(error_code(&response), "UK.OBIE.Header.Invalid");

    // RFC 9396: the consent says 123.50 EUR to IBAN; anything else is refused.
    for (case, body) in [
        ("amount", payment_request("999.00", IBAN)),
        ("creditor", payment_request("123.50", "GB33BUKB20201555555555")),
    ] {
        let proof = payment_proof(&dpop, &token).await;
        let response = rig.call(payment_post(&body, &authorization, Some(&proof))).await;
        assert_eq!(response.status(), 403, "{case}");
        assert_eq!(
            error_code(&response),
            "UK.OBIE.Resource.ConsentMismatch",
            "{case}"
        );
    }
    assert!(rig.upstream.received().is_empty(), "nothing passed yet");

    let proof = payment_proof(&dpop, &token).await;
    let response = rig
        .call(keyed_post(&consented, &authorization, Some(&proof)))
        .await;
    assert_status(&response, 201);
    let received = rig.upstream.received();
    assert_eq!(received.len(), 1);
    let call = &received[0];
    assert_eq!(call.headers["x-fiducia-customer"], "acc-alice-1");
    assert_eq!(call.headers["x-fiducia-client-id"], PISP);
    let details = URL_SAFE_NO_PAD
        .decode(call.headers["x-fiducia-authorization-details"].as_bytes())
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&details).unwrap(),
        consented_payment()
    );
    // The consent the payment uses up: the grant (RFC 9396: the grant is
    // the consent).
    assert!(!call.headers["x-fiducia-consent-id"].is_empty());
    assert!(
        call.headers.get("dpop").is_none(),
        "the proof stops at the gateway"
    );
    assert_eq!(serde_json::from_slice::<Value>(&call.body).unwrap(), consented);

    // The token paid: the same proof again (RFC 9449 §11.1) and a fresh one
    // are refused, and the OP consumed the grant.
    let response = rig
        .call(keyed_post(&consented, &authorization, Some(&proof)))
        .await;
    assert_eq!(response.status(), 401);
    let fresh = payment_proof(&dpop, &token).await;
    let response = rig
        .call(keyed_post(&consented, &authorization, Some(&fresh)))
        .await;
    assert_eq!(response.status(), 401);
    assert_eq!(gateway_introspection_of(&rig.op, &token).await["active"], false);
    assert_eq!(rig.upstream.received().len(), 1, "one payment passed");
    rig.shutdown().await;
}

/// RFC 9068 §4: with `token_validation = "jwt"` the gateway verifies JWT
/// access tokens against the OP's JWKS without calling introspection; a
/// token whose signature does not verify is 401.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_access_tokens_are_verified_offline() {
    let rig = Rig::start("", "token_validation = \"jwt\"").await;
    let dpop = DpopKey::new();
    let token = payment_token(&rig, JWT_PISP, &dpop).await;
    assert_eq!(token.split('.').count(), 3, "a JWT access token");
    let consented = payment_request("123.50", IBAN);
    let proof = payment_proof(&dpop, &token).await;
    let response = rig
        .call(keyed_post(&consented, &format!("DPoP {token}"), Some(&proof)))
        .await;
    assert_status(&response, 201);
    assert_eq!(
        rig.upstream.received()[0].headers["x-fiducia-client-id"],
        JWT_PISP
    );

    // Another signature on the same header and claims.
    let (signed, _) = token.rsplit_once('.').unwrap();
    let forged = format!("{signed}.{}", URL_SAFE_NO_PAD.encode([7u8; 64]));
    let proof = payment_proof(&dpop, &forged).await;
    let response = rig
        .call(keyed_post(&consented, &format!("DPoP {forged}"), Some(&proof)))
        .await;
    assert_eq!(response.status(), 401);
    assert_eq!(rig.upstream.received().len(), 1);
    rig.shutdown().await;
}
