//! Ping and push (CIBA Core §10.2, §10.3, §12): the client's endpoint is
//! called with the request's `client_notification_token` as Bearer token,
//! a failed call is retried, pushed tokens are bound to the key the
//! request came with and their ID token binds them (`at_hash`, `rt_hash`,
//! the `auth_req_id` claim).

use super::super::flow::harness::*;
use super::super::support::*;
use super::*;
use fiducia::protocol::jose::{PublicJwk, verify_jws};
use std::time::Duration;

/// CIBA Core §10.2: after the approval the client's endpoint gets
/// `{"auth_req_id"}` with `Authorization: Bearer <client_notification_token>`;
/// it failed once (503) and the OP tried again; then the client redeems at
/// the token endpoint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_calls_the_client_with_its_token_and_retries_once_it_failed() {
    let ciba = Ciba::start().await;
    ciba.receiver.answers.lock().unwrap().push(503);
    let auth_req_id = ciba
        .authenticate(PING, json!({"client_notification_token": "ping-token-8d67dc78"}))
        .await;
    assert!(
        ciba.receiver.delivered.lock().unwrap().is_empty(),
        "nothing before the decision"
    );
    assert_status(&ciba.decide(&auth_req_id, true).await, 200);
    let delivered = ciba.delivered(2).await;
    for call in &delivered {
        assert_eq!(call.path, "/ping");
        assert_eq!(call.authorization.as_deref(), Some("Bearer ping-token-8d67dc78"));
        assert_eq!(call.body, json!({"auth_req_id": auth_req_id}));
    }
    let response = ciba.poll(PING, &auth_req_id).await;
    assert_status(&response, 200);
    assert!(json(response.body())["access_token"].is_string());
}

/// CIBA Core §7.1: a ping client must send a `client_notification_token`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ping_request_without_a_notification_token_is_refused() {
    let ciba = Ciba::start().await;
    let request = ciba.signed_request(PING, json!({})).await;
    let response = ciba.backchannel(PING, &[("request", &request)]).await;
    assert_status(&response, 400);
    assert_eq!(error_of(&response), "invalid_request");
}

/// CIBA Core §10.3 / §10.3.1: a plain CIBA client in push mode receives
/// its tokens with the `auth_req_id`; the ID token carries `at_hash`,
/// `rt_hash` and the `auth_req_id` claim; the access token is bound to the
/// certificate the request came over (RFC 8705 §3) and works at userinfo;
/// a push client cannot poll (§10.1); a denial is pushed as `access_denied`
/// (§12).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_delivers_bound_tokens_and_denials() {
    let ciba = Ciba::start().await;
    let notification = ("client_notification_token", "push-token-1f2e");
    let response = ciba
        .backchannel(
            PUSH,
            &[
                ("scope", "openid accounts offline_access"),
                ("login_hint", USER),
                ("binding_message", "PUSH-1"),
                notification,
            ],
        )
        .await;
    assert_status(&response, 200);
    let answer = json(response.body());
    assert!(
        answer.get("interval").is_none(),
        "no polling in push mode (CIBA Core §7.3)"
    );
    let auth_req_id = answer["auth_req_id"].as_str().unwrap().to_string();
    assert_status(&ciba.decide(&auth_req_id, true).await, 200);
    let pushed = ciba.delivered(1).await.remove(0);
    assert_eq!(pushed.path, "/push");
    assert_eq!(pushed.authorization.as_deref(), Some("Bearer push-token-1f2e"));
    let body = pushed.body;
    assert_eq!(body["auth_req_id"], auth_req_id.as_str());
    assert_eq!(body["token_type"], "Bearer");
    let op_keys: Vec<PublicJwk> =
        serde_json::from_value(json(ciba.op.send(false, get("/jwks")).await.body())["keys"].clone()).unwrap();
    let claims = verify_jws(body["id_token"].as_str().unwrap(), &op_keys, Some("JWT"))
        .unwrap()
        .claims;
    assert_eq!(
        claims["urn:openid:params:jwt:claim:auth_req_id"],
        auth_req_id.as_str()
    );
    assert!(
        claims["at_hash"].is_string() && claims["rt_hash"].is_string(),
        "{claims:?}"
    );
    let access_token = body["access_token"].as_str().unwrap();
    let userinfo = |mtls| {
        let request = with_header(
            get("/userinfo"),
            "authorization",
            &format!("Bearer {access_token}"),
        );
        ciba.op.send(mtls, request)
    };
    assert_status(&userinfo(true).await, 200);
    assert_status(&userinfo(false).await, 401);
    // CIBA Core §10.1: push clients do not use the token endpoint.
    let response = ciba.poll(PUSH, &auth_req_id).await;
    assert_eq!(error_of(&response), "unauthorized_client");

    // A denial is pushed as an error (§12).
    let response = ciba
        .backchannel(PUSH, &[("scope", "openid"), ("login_hint", USER), notification])
        .await;
    let denied = json(response.body())["auth_req_id"].as_str().unwrap().to_string();
    assert_status(&ciba.decide(&denied, false).await, 200);
    let error = ciba.delivered(2).await.remove(1).body;
    assert_eq!(error["auth_req_id"], denied.as_str());
    assert_eq!(error["error"], "access_denied");
    tokio::time::sleep(Duration::from_millis(10)).await;
}
