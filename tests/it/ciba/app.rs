//! CIBA through the bank's interaction app (issue 25) over real mTLS: a
//! poll client whose interactions the app runs has its backchannel
//! requests handed to the app (the real sandbox device never hears of
//! them); the app, presenting its CA-issued certificate (RFC 8705 §2.1),
//! lists, reads and decides them over the interaction API; the client's
//! poll (CIBA Core §10.1, §11) then gets tokens with the app's `acr`,
//! `amr` and `auth_time` in the ID token (OIDC Core §2), or
//! `access_denied` (CIBA Core §11, §13). Another app's call is 404, a
//! second decision 409, the device channel's decision on the app's request
//! 404, an approval without SCA of a request that needs it 400; a ping client stays the device channel's (its ping names the
//! `auth_req_id`, CIBA Core §10.2, which the OP does not store).

use super::super::flow::harness::*;
use super::super::support::*;
use super::poll::post_json;
use super::*;
use fiducia::protocol::jose::{PublicJwk, verify_jws};
use std::time::Duration;

/// The plain CIBA Core poll client handed to the app.
const APP_POLL: &str = "ciba-app-poll";
/// A ping client handed to the app too.
const APP_PING: &str = "ciba-app-ping";
const BANK_APP: &str = "bank-login";
const OTHER_APP: &str = "other-login";
const SCA: &str = "urn:openbanking:psd2:sca";

/// The apps and the two clients (after `[ciba]`).
fn extra() -> String {
    format!(
        r#"
[[resource_servers]]
id = "{BANK_APP}"
tls_client_auth_subject_dn = "CN={BANK_APP},OU=bank-platform,O=bank-platform,C=GB"
interaction_login_url = "https://login.bank.example/op"

[[resource_servers]]
id = "{OTHER_APP}"
tls_client_auth_subject_dn = "CN={OTHER_APP},OU=bank-platform,O=bank-platform,C=GB"
interaction_login_url = "https://other.bank.example/login"

[[clients]]
client_id = "{APP_POLL}"
client_name = "App Poll Ltd"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "private_key_jwt"
jwks_file = "{{JWKS}}"
scopes = ["openid", "accounts"]
ciba_fapi = false
backchannel_token_delivery_mode = "poll"
interaction_app = "{BANK_APP}"

[[clients]]
client_id = "{APP_PING}"
client_name = "App Ping Ltd"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "private_key_jwt"
jwks_file = "{{JWKS}}"
scopes = ["openid", "accounts"]
ciba_fapi = false
backchannel_token_delivery_mode = "ping"
backchannel_client_notification_endpoint = "https://localhost:1/ping"
interaction_app = "{BANK_APP}"
"#
    )
}

fn identity(pki: &TestPki, software_id: &str) -> (String, String) {
    let spec =
        fiducia::pki::ClientCertSpec::parse(&format!("software_id={software_id},org_id=bank-platform"))
            .unwrap();
    let issued = fiducia::pki::issue_client(&pki.path(""), &spec).unwrap();
    (
        std::fs::read_to_string(&issued.cert).unwrap(),
        std::fs::read_to_string(&issued.key).unwrap(),
    )
}

struct Bank {
    ciba: Ciba,
    app: (String, String),
    other: (String, String),
}

impl Bank {
    async fn start() -> Self {
        let ciba = Ciba::start_with(&extra()).await;
        let app = identity(&ciba.op.pki, BANK_APP);
        let other = identity(&ciba.op.pki, OTHER_APP);
        Bank { ciba, app, other }
    }

    async fn call(&self, identity: &(String, String), path: &str, body: Value) -> Response<Bytes> {
        self.ciba
            .op
            .send_with_identity(identity, post_json(path, &body))
            .await
    }

    /// An unsigned request of `client_id` for alice; its `auth_req_id`.
    async fn request(&self, client_id: &str, acr_values: &str) -> String {
        let mut params = vec![
            ("scope", "openid accounts"),
            ("login_hint", USER),
            ("binding_message", "K9TQ2"),
        ];
        if !acr_values.is_empty() {
            params.push(("acr_values", acr_values));
        }
        if client_id == APP_PING {
            params.push(("client_notification_token", "b7c1f0e2-ping-token"));
        }
        let response = self.ciba.backchannel(client_id, &params).await;
        assert_status(&response, 200);
        json(response.body())["auth_req_id"].as_str().unwrap().to_string()
    }

    /// The app's pending requests.
    async fn pending(&self) -> Vec<Value> {
        let response = self
            .call(&self.app, "/interaction-api/ciba/pending", json!({}))
            .await;
        assert_status(&response, 200);
        let page = json(response.body());
        assert_eq!(page["more"], false);
        page["requests"].as_array().unwrap().clone()
    }

    async fn decide(&self, identity: &(String, String), request_ref: &str, approve: bool) -> Response<Bytes> {
        let body = json!({
            "request_ref": request_ref, "approve": approve, "sub": "acc-alice-1",
            "acr": SCA, "amr": ["pwd", "otp"], "auth_time": now() - 2,
        });
        self.call(identity, "/interaction-api/ciba/decision", body).await
    }
}

fn problem_type(response: &Response<Bytes>) -> String {
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    json(response.body())["type"].as_str().unwrap().to_string()
}

/// CIBA Core §7, §10.1, §11 with the app as the authentication device:
/// handed over (nothing on the device), listed, read, approved once,
/// tokens with the app's `acr` and `amr`; every refusal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_lists_reads_and_approves_and_the_poll_gets_tokens() {
    let bank = Bank::start().await;
    let auth_req_id = bank.request(APP_POLL, SCA).await;
    // Not sent to the device channel: the backchannel answer waits for the
    // device's receipt, so one sent would be there now.
    assert!(bank.ciba.on_device().await.is_empty(), "the device heard of it");

    let pending = bank.pending().await;
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0]["client_id"], APP_POLL);
    assert_eq!(pending[0]["sub"], "acc-alice-1");
    let request_ref = pending[0]["request_ref"].as_str().unwrap().to_string();
    assert_ne!(
        request_ref, auth_req_id,
        "the app never gets the client's auth_req_id"
    );

    let response = bank
        .call(
            &bank.app,
            "/interaction-api/ciba/read",
            json!({"request_ref": request_ref}),
        )
        .await;
    assert_status(&response, 200);
    let asked = json(response.body());
    assert_eq!(asked["client"]["client_name"], "App Poll Ltd");
    assert_eq!(asked["sub"], "acc-alice-1", "the customer the login_hint named");
    assert_eq!(asked["scopes"], json!(["openid", "accounts"]));
    assert_eq!(asked["binding_message"], "K9TQ2");
    assert_eq!(asked["acr_values"], json!([SCA]));
    assert_eq!(asked["sca"], "required");
    assert_eq!(asked["status"], "pending");

    // Another app: as unknown as a missing request.
    let foreign = bank
        .call(
            &bank.other,
            "/interaction-api/ciba/read",
            json!({"request_ref": request_ref}),
        )
        .await;
    assert_status(&foreign, 404);
    assert_eq!(problem_type(&foreign), "urn:fiducia:problem:unknown-request");
    assert_status(&bank.decide(&bank.other, &request_ref, true).await, 404);
    let other_pending = bank
        .call(&bank.other, "/interaction-api/ciba/pending", json!({}))
        .await;
    assert_eq!(json(other_pending.body())["requests"], json!([]));
    // The client's auth_req_id is no request_ref; junk is 404 or 400.
    let response = bank
        .call(
            &bank.app,
            "/interaction-api/ciba/read",
            json!({"request_ref": auth_req_id}),
        )
        .await;
    assert_status(&response, 404);
    let response = bank
        .call(&bank.app, "/interaction-api/ciba/pending", json!({"limit": 0}))
        .await;
    assert_status(&response, 400);
    // CIBA Core §7.1: the customer is the one the hint identified.
    let mut wrong_sub = json!({
        "request_ref": request_ref, "approve": true, "sub": "acc-bob-1", "auth_time": now(),
    });
    let response = bank
        .call(&bank.app, "/interaction-api/ciba/decision", wrong_sub.take())
        .await;
    assert_status(&response, 400);
    assert_eq!(problem_type(&response), "urn:fiducia:problem:invalid-report");

    // The device channel may not decide a request handed to the app.
    let device = json!({
        "auth_req_id": auth_req_id, "decision": "approved", "sub": "acc-alice-1", "auth_time": now(),
    });
    let response = bank
        .ciba
        .op
        .send_with_identity(&bank.ciba.device_identity, post_json("/ciba/decision", &device))
        .await;
    assert_status(&response, 404);

    let response = bank.ciba.poll(APP_POLL, &auth_req_id).await;
    assert_status(&response, 400);
    assert_eq!(error_of(&response), "authorization_pending");

    // PSD2 RTS Art. 4: acr_values demanded SCA; a password login does not
    // approve it.
    let single = json!({
        "request_ref": request_ref, "approve": true, "sub": "acc-alice-1",
        "acr": "urn:openbanking:psd2:ca", "amr": ["pwd"], "auth_time": now() - 2,
    });
    let response = bank
        .call(&bank.app, "/interaction-api/ciba/decision", single)
        .await;
    assert_status(&response, 400);
    assert!(
        json(response.body())["detail"]
            .as_str()
            .unwrap()
            .contains("strong customer authentication")
    );
    let response = bank.decide(&bank.app, &request_ref, true).await;
    assert_status(&response, 200);
    assert_eq!(json(response.body())["status"], "approved");
    // One decision per request.
    let again = bank.decide(&bank.app, &request_ref, false).await;
    assert_status(&again, 409);
    assert_eq!(problem_type(&again), "urn:fiducia:problem:already-decided");
    assert!(bank.pending().await.is_empty(), "decided: no longer pending");

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let response = bank.ciba.poll(APP_POLL, &auth_req_id).await;
    assert_status(&response, 200);
    let tokens = json(response.body());
    let op_keys: Vec<PublicJwk> =
        serde_json::from_value(json(bank.ciba.op.send(false, get("/jwks")).await.body())["keys"].clone())
            .unwrap();
    let claims = verify_jws(tokens["id_token"].as_str().unwrap(), &op_keys, Some("JWT"))
        .unwrap()
        .claims;
    assert_eq!(claims["sub"], "acc-alice-1");
    assert_eq!(claims["aud"], APP_POLL);
    assert_eq!(claims["acr"], SCA);
    assert_eq!(claims["amr"], json!(["pwd", "otp"]));
    assert!(claims["auth_time"].as_u64().unwrap() <= now());
}

/// CIBA Core §11, §13: the app's denial is the client's `access_denied`;
/// the pending list is a bounded page; a ping client stays the device
/// channel's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denial_is_access_denied_and_a_ping_client_stays_on_the_device() {
    let bank = Bank::start().await;
    let auth_req_id = bank.request(APP_POLL, "").await;
    let pending = bank.pending().await;
    let request_ref = pending[0]["request_ref"].as_str().unwrap().to_string();
    let response = bank.decide(&bank.app, &request_ref, false).await;
    assert_status(&response, 200);
    assert_eq!(json(response.body())["status"], "denied");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let response = bank.ciba.poll(APP_POLL, &auth_req_id).await;
    assert_status(&response, 400);
    assert_eq!(error_of(&response), "access_denied");

    // A bounded page: two pending, one asked for, `more` says so.
    bank.request(APP_POLL, "").await;
    bank.request(APP_POLL, "").await;
    let response = bank
        .call(&bank.app, "/interaction-api/ciba/pending", json!({"limit": 1}))
        .await;
    assert_status(&response, 200);
    let page = json(response.body());
    assert_eq!(page["requests"].as_array().unwrap().len(), 1);
    assert_eq!(page["more"], true);
    assert_eq!(bank.pending().await.len(), 2);

    let ping = bank.request(APP_PING, "").await;
    let shown = bank.ciba.on_device().await;
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert_eq!(shown[0]["auth_req_id"], ping.as_str());
    assert_eq!(bank.pending().await.len(), 2, "the ping request is not the app's");
}
