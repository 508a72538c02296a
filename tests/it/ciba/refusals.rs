//! What the backchannel authentication endpoint refuses (CIBA Core §7.1,
//! §7.1.1, §13; FAPI CIBA §5.2.2) and who may decide (the device channel
//! only). Each refusal leaves nothing on the customer's device.

use super::super::flow::harness::*;
use super::super::support::*;
use super::poll::post_json;
use super::*;

/// The refusals of a FAPI CIBA client's requests, each with its §13 code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fapi_ciba_refusals_ciba_core_s13() {
    let ciba = Ciba::start().await;
    let refused = |response: Response<Bytes>, error: &str| {
        assert_eq!(
            error_of(&response),
            error,
            "{}",
            String::from_utf8_lossy(response.body())
        );
        assert!(
            response.status() == 400 || response.status() == 401,
            "{}",
            response.status()
        );
    };
    // FAPI CIBA §5.2.2: an unsigned request.
    let response = ciba
        .backchannel(
            POLL,
            &[
                ("scope", "openid"),
                ("login_hint", USER),
                ("binding_message", "X1"),
            ],
        )
        .await;
    refused(response, "invalid_request");
    // CIBA Core §7.1.1: wrong aud, expired, too long a life, no nbf.
    let now = now();
    for claims in [
        json!({"aud": "https://another-op.example"}),
        json!({"exp": now - 1, "iat": now - 120, "nbf": now - 120}),
        json!({"nbf": now, "exp": now + 3601}),
        json!({"nbf": null}),
    ] {
        let request = ciba.signed_request(POLL, claims.clone()).await;
        refused(
            ciba.backchannel(POLL, &[("request", &request)]).await,
            "invalid_request",
        );
    }
    // A replayed jti.
    let request = ciba.signed_request(POLL, json!({"jti": "once-only"})).await;
    assert_status(&ciba.backchannel(POLL, &[("request", &request)]).await, 200);
    let request = ciba.signed_request(POLL, json!({"jti": "once-only"})).await;
    refused(
        ciba.backchannel(POLL, &[("request", &request)]).await,
        "invalid_request",
    );
    // CIBA Core §7.1: two hints; no openid.
    let request = ciba.signed_request(POLL, json!({"id_token_hint": "x.y.z"})).await;
    refused(
        ciba.backchannel(POLL, &[("request", &request)]).await,
        "invalid_request",
    );
    let request = ciba.signed_request(POLL, json!({"scope": "accounts"})).await;
    refused(
        ciba.backchannel(POLL, &[("request", &request)]).await,
        "invalid_request",
    );
    // §13 unknown_user_id, invalid_binding_message.
    let request = ciba.signed_request(POLL, json!({"login_hint": "nobody"})).await;
    refused(
        ciba.backchannel(POLL, &[("request", &request)]).await,
        "unknown_user_id",
    );
    for message in ["line\nbreak", &"x".repeat(65)] {
        let request = ciba
            .signed_request(POLL, json!({"binding_message": message}))
            .await;
        refused(
            ciba.backchannel(POLL, &[("request", &request)]).await,
            "invalid_binding_message",
        );
    }
    // A client not registered for CIBA.
    let response = ciba
        .backchannel(PKJWT, &[("scope", "openid"), ("login_hint", USER)])
        .await;
    refused(response, "unauthorized_client");
    // Only the request that was accepted reached the device.
    assert_eq!(ciba.on_device().await.len(), 1);
}

/// CIBA Core §7.1 / §13: a client registered with
/// `backchannel_user_code_parameter` sends the customer's user code, which
/// must be theirs; an `id_token_hint` must be an ID token this OP issued.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_codes_and_hints_ciba_core_s7_1() {
    let ciba = Ciba::start().await;
    let base = [("scope", "openid"), ("login_hint", USER)];
    let response = ciba.backchannel(PLAIN, &base).await;
    assert_eq!(error_of(&response), "missing_user_code");
    let mut wrong = base.to_vec();
    wrong.push(("user_code", "not-the-password"));
    assert_eq!(
        error_of(&ciba.backchannel(PLAIN, &wrong).await),
        "invalid_user_code"
    );
    let mut right = base.to_vec();
    right.push(("user_code", PASSWORD));
    assert_status(&ciba.backchannel(PLAIN, &right).await, 200);
    // An id_token_hint the OP did not sign.
    let forged = [
        ("scope", "openid"),
        ("id_token_hint", "eyJhbGciOiJub25lIn0.e30."),
        ("user_code", PASSWORD),
    ];
    assert_eq!(
        error_of(&ciba.backchannel(PLAIN, &forged).await),
        "invalid_request"
    );
}

/// Only the device channel decides: the fintech's certificate (valid, same
/// CA) gets 401 and the request stays pending; a malformed body is 400; a
/// second decision is 409.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_device_channel_decides_once() {
    let ciba = Ciba::start().await;
    let auth_req_id = ciba.authenticate(POLL, json!({})).await;
    let decision = json!({
        "auth_req_id": auth_req_id, "decision": "approved", "sub": "acc-alice-1", "auth_time": now(),
    });
    let response = ciba.op.send(true, post_json("/ciba/decision", &decision)).await;
    assert_status(&response, 401);
    assert_eq!(
        error_of(&ciba.poll(POLL, &auth_req_id).await),
        "authorization_pending"
    );
    let device = |body: Value| {
        ciba.op
            .send_with_identity(&ciba.device_identity, post_json("/ciba/decision", &body))
    };
    assert_status(&device(json!({"auth_req_id": auth_req_id})).await, 400);
    let mut other = decision.clone();
    other["sub"] = json!("acc-bob-2");
    assert_status(&device(other).await, 404);
    assert_status(&device(decision.clone()).await, 204);
    assert_status(&device(decision).await, 409);
}

/// FAPI CIBA §5.2.2: a FAPI CIBA client may not use push; the
/// configuration that says so does not start.
#[test]
fn a_fapi_client_asking_for_push_is_refused_at_start_up() {
    let pki = TestPki::new();
    let extra = format!(
        r#"
[ciba]
enabled = true
push_enabled = true
device_notification_url = "https://device.bank.example/ciba/requests"
device_subject_dn = "{DEVICE_DN}"

[[clients]]
client_id = "fapi-push"
client_name = "FAPI Push"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "tls_client_auth"
tls_client_auth_subject_dn = "CN=x,O=y"
backchannel_token_delivery_mode = "push"
backchannel_client_notification_endpoint = "https://fintech.example/push"
"#
    );
    let raw = fiducia::config::load_from_str(&pki.config_text("", &extra), Vec::new()).unwrap();
    let error = fiducia::config::validate(raw, pki.dir.path()).unwrap_err();
    assert_eq!(error.field, "clients.fapi-push.backchannel_token_delivery_mode");
    assert!(error.message.contains("FAPI CIBA"), "{error}");
}
