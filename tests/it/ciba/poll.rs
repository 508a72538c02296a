//! Poll mode (CIBA Core §10.1, §11) with the real device deciding: tokens
//! once, `authorization_pending`, `slow_down` raising the interval for
//! good, `access_denied`, `expired_token`, and a restart of the OP between
//! the request and the approval.

use super::super::flow::harness::*;
use super::super::support::*;
use super::*;
use fiducia::protocol::jose::{PublicJwk, verify_jws};
use std::time::Duration;

/// CIBA Core §7.3, §10.1, §11: the answer names the request; the device
/// shows it; pending until the customer approves; then tokens once
/// (certificate-bound, RFC 8705 §3; the ID token with the device's `acr`,
/// `amr` and `auth_time`, OIDC Core §2) and `invalid_grant` after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_mode_tokens_once_after_the_customer_approves_on_the_device() {
    let ciba = Ciba::start().await;
    let request = ciba
        .signed_request(POLL, json!({"scope": "openid accounts offline_access"}))
        .await;
    let response = ciba.backchannel(POLL, &[("request", &request)]).await;
    assert_status(&response, 200);
    let answer = json(response.body());
    let auth_req_id = answer["auth_req_id"].as_str().unwrap().to_string();
    assert!(auth_req_id.len() >= 43, "256 bits: {auth_req_id}");
    assert_eq!(answer["expires_in"], 300);
    assert_eq!(answer["interval"], 1);

    let shown = ciba.on_device().await;
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0]["auth_req_id"], auth_req_id.as_str());
    assert_eq!(shown[0]["binding_message"], "W4SCT");
    assert_eq!(shown[0]["client_name"], "Till Payments Ltd");

    let response = ciba.poll(POLL, &auth_req_id).await;
    assert_status(&response, 400);
    assert_eq!(error_of(&response), "authorization_pending");

    assert_status(&ciba.decide(&auth_req_id, true).await, 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let response = ciba.poll(POLL, &auth_req_id).await;
    assert_status(&response, 200);
    let tokens = json(response.body());
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "openid accounts offline_access");
    assert!(tokens["refresh_token"].is_string());
    let op_keys: Vec<PublicJwk> =
        serde_json::from_value(json(ciba.op.send(false, get("/jwks")).await.body())["keys"].clone()).unwrap();
    let claims = verify_jws(tokens["id_token"].as_str().unwrap(), &op_keys, Some("JWT"))
        .unwrap()
        .claims;
    assert_eq!(claims["sub"], "acc-alice-1");
    assert_eq!(claims["aud"], POLL);
    assert_eq!(claims["acr"], "urn:fiducia:acr:device");
    assert_eq!(claims["amr"], json!(["pwd", "hwk"]));
    assert!(claims["auth_time"].as_u64().unwrap() <= now());
    assert!(
        claims.get("urn:openid:params:jwt:claim:auth_req_id").is_none(),
        "poll: no push claim"
    );
    let access_token = tokens["access_token"].as_str().unwrap();
    let userinfo = with_header(
        get("/userinfo"),
        "authorization",
        &format!("Bearer {access_token}"),
    );
    assert_status(&ciba.op.send(true, userinfo).await, 200);

    // Redeemed: a second redemption is invalid_grant, and the device no
    // longer shows it.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let response = ciba.poll(POLL, &auth_req_id).await;
    assert_status(&response, 400);
    assert_eq!(error_of(&response), "invalid_grant");
    assert!(ciba.on_device().await.is_empty());
}

/// CIBA Core §11: polling faster than the interval is `slow_down`, and the
/// interval stays 5 s longer for the rest of the request (a poll a second
/// later is still too fast). An interval of 3 s: the second poll comes
/// well within it even on a loaded machine (with 1 s a CI run saw it late).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_too_fast_is_slow_down_and_the_interval_stays_raised() {
    let ciba = Ciba::start_with("interval_secs = 3").await;
    let auth_req_id = ciba.authenticate(POLL, json!({})).await;
    assert_eq!(
        error_of(&ciba.poll(POLL, &auth_req_id).await),
        "authorization_pending"
    );
    assert_eq!(error_of(&ciba.poll(POLL, &auth_req_id).await), "slow_down");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        error_of(&ciba.poll(POLL, &auth_req_id).await),
        "slow_down",
        "the interval is 8 s now"
    );
    // Another client's poll of this request learns nothing and changes nothing.
    let response = ciba.poll(PING, &auth_req_id).await;
    assert_eq!(error_of(&response), "invalid_grant");
}

/// CIBA Core §11: a denial is `access_denied` at the token endpoint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denial_on_the_device_is_access_denied() {
    let ciba = Ciba::start().await;
    let auth_req_id = ciba.authenticate(POLL, json!({})).await;
    assert_status(&ciba.decide(&auth_req_id, false).await, 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let response = ciba.poll(POLL, &auth_req_id).await;
    assert_status(&response, 400);
    assert_eq!(error_of(&response), "access_denied");
}

/// CIBA Core §7.1 `requested_expiry`, §11 `expired_token`: an expired
/// request is never approved (the OP answers the device 404) and polls
/// hear `expired_token`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_request_is_expired_token_and_cannot_be_approved() {
    let ciba = Ciba::start().await;
    let request = ciba.signed_request(POLL, json!({"requested_expiry": 1})).await;
    let response = ciba.backchannel(POLL, &[("request", &request)]).await;
    assert_status(&response, 200);
    assert_eq!(json(response.body())["expires_in"], 1);
    let auth_req_id = json(response.body())["auth_req_id"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let response = ciba.poll(POLL, &auth_req_id).await;
    assert_status(&response, 400);
    assert_eq!(error_of(&response), "expired_token");
    // The channel's late approval is refused by the OP.
    let decision = json!({
        "auth_req_id": auth_req_id, "decision": "approved", "sub": "acc-alice-1",
        "amr": ["pwd"], "auth_time": now(),
    });
    let request = post_json("/ciba/decision", &decision);
    let response = ciba.op.send_with_identity(&ciba.device_identity, request).await;
    assert_status(&response, 404);
}

/// The requests live in the store: the OP stops after answering a
/// request and starts again; the device channel's approval reaches the
/// new process and the client gets its tokens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_between_the_request_and_the_approval_loses_nothing() {
    let mut ciba = Ciba::start().await;
    let auth_req_id = ciba.authenticate(POLL, json!({})).await;
    let op = ciba.op;
    ciba.op = op.restart().await;
    assert_eq!(
        error_of(&ciba.poll(POLL, &auth_req_id).await),
        "authorization_pending"
    );
    // The device channel answers the restarted OP (its configured port is
    // the first process's, so the test posts what the device posts).
    let decision = json!({
        "auth_req_id": auth_req_id, "decision": "approved", "sub": "acc-alice-1",
        "acr": "urn:fiducia:acr:device", "amr": ["pwd", "hwk"], "auth_time": now(),
    });
    let request = post_json("/ciba/decision", &decision);
    assert_status(
        &ciba.op.send_with_identity(&ciba.device_identity, request).await,
        204,
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_status(&ciba.poll(POLL, &auth_req_id).await, 200);
}

/// A JSON POST.
pub fn post_json(path: &str, body: &Value) -> http::Request<http_body_util::Full<bytes::Bytes>> {
    http::Request::post(format!("https://localhost{path}"))
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(bytes::Bytes::from(body.to_string())))
        .unwrap()
}
