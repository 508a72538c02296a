//! The DPoP `jti` replay window at the OP (RFC 9449 §11.1), over real TLS:
//! kept per proof key, so one client's `jti` neither collides with nor uses
//! up another's, while a replay by the same key is still refused.

use super::super::support::json;
use super::harness::*;
use serde_json::json;

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A client_credentials request of the private_key_jwt client.
async fn pkjwt_cc(op: &Op) -> http::Request<http_body_util::Full<bytes::Bytes>> {
    let assertion = op.assertion(PKJWT, json!({})).await;
    form(
        "/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", PKJWT),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", &assertion),
        ],
    )
}

/// A proof for the token endpoint by `key` with the `jti` both clients use.
async fn proof(key: &DpopKey) -> String {
    let shared = json!({ "jti": "the-same-jti-0001" });
    key.proof_with_claims("POST", &format!("{ISSUER}/token"), None, shared)
        .await
}

/// A client_credentials request of the mTLS client (sent with its certificate).
fn mtls_cc() -> http::Request<http_body_util::Full<bytes::Bytes>> {
    form(
        "/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", MTLS),
            ("scope", "accounts"),
        ],
    )
}

/// RFC 9449 §11.1: two clients whose proofs, by their own keys, carry the
/// same `jti` are both served; the same `jti` again in a fresh proof by the
/// same key is a replay (`invalid_dpop_proof`, §7.1 / RFC 6749 §5.2), for
/// either client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_dpop_jti_from_two_clients_is_accepted_and_a_replay_is_not() {
    let op = Op::start().await;
    let (first_key, second_key) = (DpopKey::new(), DpopKey::new());

    let first = op
        .send(
            false,
            with_header(pkjwt_cc(&op).await, "dpop", &proof(&first_key).await),
        )
        .await;
    assert_status(&first, 200);
    assert_eq!(json(first.body())["token_type"], "DPoP");
    // Another client, its own key, the same jti: accepted.
    let second = op
        .send(true, with_header(mtls_cc(), "dpop", &proof(&second_key).await))
        .await;
    assert_status(&second, 200);
    assert_eq!(json(second.body())["token_type"], "DPoP");

    // The same key and jti again, in freshly signed proofs: replays.
    let replay = op
        .send(true, with_header(mtls_cc(), "dpop", &proof(&second_key).await))
        .await;
    assert_eq!(replay.status(), 400);
    assert_eq!(json(replay.body())["error"], "invalid_dpop_proof");
    let replay = op
        .send(
            false,
            with_header(pkjwt_cc(&op).await, "dpop", &proof(&first_key).await),
        )
        .await;
    assert_eq!(replay.status(), 400);
    assert_eq!(json(replay.body())["error"], "invalid_dpop_proof");
    op.handle.shutdown().await;
}
