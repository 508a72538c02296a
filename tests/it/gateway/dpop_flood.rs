//! One fintech cannot switch DPoP or the gateway off for another: proofs
//! are recorded only once verified and bound to the token (RFC 9449 §7.1,
//! §11.1), by (key, `jti`) in a share per client, and the budget of the
//! transport certificate is charged before the OP is asked (RFC 6585 §4).

use super::super::flow::harness::*;
use super::super::flow::rar::IBAN;
use super::dpop_payments::payment_token;
use super::rig::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use fiducia_hsm::{Signer, sign_jws};
use http::Request;
use http_body_util::Full;
use serde_json::{Map, json};

/// A proof by `key` for `token` with the chosen `jti` (RFC 9449 §4.2).
async fn proof_with_jti(key: &DpopKey, method: &str, path: &str, token: &str, jti: &str) -> String {
    let ath = URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        token.as_bytes(),
    ));
    let iat = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({"jti": jti, "htm": method, "htu": format!("{PUBLIC_URL}{path}"),
        "iat": iat, "ath": ath});
    let mut header = Map::new();
    header.insert("typ".into(), json!("dpop+jwt"));
    header.insert("jwk".into(), serde_json::to_value(key.key.public_jwk()).unwrap());
    sign_jws(&key.key, header, claims.to_string().as_bytes())
        .await
        .unwrap()
}

/// A GET of the accounts route with `DPoP <token>` and `proof`.
fn accounts_call(token: &str, proof: &str) -> Request<Full<Bytes>> {
    let mut request = gw_get(ACCOUNTS, &format!("DPoP {token}"));
    request.headers_mut().insert("dpop", proof.parse().unwrap());
    request
}

/// The consented payment of `token` with a proof by `key` carrying `jti`.
async fn payment_with_jti(key: &DpopKey, token: &str, jti: &str) -> Request<Full<Bytes>> {
    let proof = proof_with_jti(key, "POST", PAYMENTS, token, jti).await;
    // OBIE Read/Write API v3.1 "Idempotency": the gateway reserves the
    // consent at the OP for this key.
    with_header(
        payment_post(
            &payment_request("123.50", IBAN),
            &format!("DPoP {token}"),
            Some(&proof),
        ),
        "x-idempotency-key",
        "key-1",
    )
}

/// RFC 9449 §11.1 and §7.1: a flood from one client — proofs by a key that
/// is not its token's and proofs for another token (both carrying the
/// `jti`s another client is about to use), valid proofs until its share of
/// the replay state is full, replays — gets 401 and then 429, and leaves
/// nothing that refuses another client's proof: that client's payment,
/// whose proof reuses those `jti`s, is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dpop_flood_from_one_client_leaves_another_client_served() {
    let rig = Rig::start("dpop_jtis_per_client = 4", "").await;
    let flooder = DpopKey::new();
    let flood_token = payment_token(&rig, PISP, &flooder).await;
    let victim = DpopKey::new();
    let victim_token = payment_token(&rig, JWT_PISP, &victim).await;
    let (victim_cert, victim_key) = rig.other_fintech();

    // Garbage: a stranger's key (RFC 9449 §4.3 item 12, cnf.jkt) and
    // another token's `ath` (§7.1), with the victim's jtis.
    let stranger = DpopKey::new();
    for jti in ["victim-1", "victim-2"] {
        let proof = proof_with_jti(&stranger, "GET", ACCOUNTS, &flood_token, jti).await;
        assert_status(&rig.call(accounts_call(&flood_token, &proof)).await, 401);
        let proof = proof_with_jti(&flooder, "GET", ACCOUNTS, "another-token", jti).await;
        assert_status(&rig.call(accounts_call(&flood_token, &proof)).await, 401);
    }
    // Valid proofs fill the flooder's share (4): each passes the DPoP
    // checks and stops at the route's scope (403: its token has no
    // `accounts`); one of them reuses the victim's jti.
    let mut accepted = Vec::new();
    for jti in ["victim-1", "flood-2", "flood-3", "flood-4"] {
        let proof = proof_with_jti(&flooder, "GET", ACCOUNTS, &flood_token, jti).await;
        assert_status(&rig.call(accounts_call(&flood_token, &proof)).await, 403);
        accepted.push(proof);
    }
    // A replay is a replay (§11.1) ...
    let replay = rig.call(accounts_call(&flood_token, &accepted[0])).await;
    assert_status(&replay, 401);
    assert!(String::from_utf8_lossy(replay.body()).contains("jti"));
    // ... and a fresh proof beyond the share is refused for this client.
    for jti in ["flood-5", "flood-6"] {
        let proof = proof_with_jti(&flooder, "GET", ACCOUNTS, &flood_token, jti).await;
        let full = rig.call(accounts_call(&flood_token, &proof)).await;
        assert_status(&full, 429);
        assert!(full.headers().contains_key("retry-after"));
    }

    // The other client: its proof carries the jti the flood used, with its
    // own key, and its payment passes.
    let payment = payment_with_jti(&victim, &victim_token, "victim-1").await;
    let response = rig.call_as(&victim_cert, &victim_key, payment).await;
    assert_status(&response, 201);
    let received = rig.upstream.received();
    assert_eq!(received.len(), 1, "only the other client's payment passed");
    assert_eq!(received[0].headers["x-fiducia-client-id"], JWT_PISP);
    rig.shutdown().await;
}

/// RFC 9449 §11.1: single use is a proof's, and a proof is its key's: the
/// same `jti` in proofs by two keys (two clients) is accepted for both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_jti_from_two_keys_is_accepted_for_both() {
    let rig = Rig::start("", "").await;
    let first = DpopKey::new();
    let first_token = payment_token(&rig, PISP, &first).await;
    let second = DpopKey::new();
    let second_token = payment_token(&rig, JWT_PISP, &second).await;
    let (second_cert, second_key) = rig.other_fintech();

    let response = rig
        .call(payment_with_jti(&first, &first_token, "same-jti").await)
        .await;
    assert_status(&response, 201);
    let payment = payment_with_jti(&second, &second_token, "same-jti").await;
    let response = rig.call_as(&second_cert, &second_key, payment).await;
    assert_status(&response, 201);
    assert_eq!(rig.upstream.received().len(), 2);
    rig.shutdown().await;
}

/// RFC 6585 §4: garbage tokens from one certificate spend that
/// certificate's budget before the OP is asked — beyond the burst they get
/// 429, not an introspection each — while another fintech's certificate
/// has its own budget and its payment passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_tokens_spend_their_certificates_budget_before_the_op_is_asked() {
    let rig = Rig::start("requests_per_second = 1\nburst = 3", "").await;
    let victim = DpopKey::new();
    let victim_token = payment_token(&rig, JWT_PISP, &victim).await;
    let (victim_cert, victim_key) = rig.other_fintech();

    let mut statuses = Vec::new();
    for i in 0..8 {
        let call = gw_get(ACCOUNTS, &format!("Bearer garbage-token-{i}"));
        statuses.push(rig.call(call).await.status().as_u16());
    }
    assert_eq!(statuses[..3], [401, 401, 401], "{statuses:?}");
    assert!(
        statuses.iter().filter(|s| **s == 429).count() >= 4,
        "the certificate's budget is spent: {statuses:?}"
    );

    let payment = payment_with_jti(&victim, &victim_token, "victim-1").await;
    let response = rig.call_as(&victim_cert, &victim_key, payment).await;
    assert_status(&response, 201);
    rig.shutdown().await;
}
