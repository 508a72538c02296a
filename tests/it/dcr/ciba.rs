//! CIBA Core §4 client metadata through registration (RFC 7591): a
//! registered client follows FAPI CIBA (§5.2.2: poll or ping, signed
//! requests); its metadata is answered under the §4 names with the CIBA
//! grant; push and a ping without an endpoint are refused; the registered
//! client's signed backchannel request passes every check (here the
//! device channel is down, so it is withdrawn with 503, never answered).

use super::super::flow::harness::*;
use super::super::support::*;
use super::generic::{assertion, client_key, library_request};
use super::*;
use fiducia_hsm::sign_jws;
use serde_json::{Map, json};

fn with_ciba(config: String) -> String {
    let dead = free_port();
    format!(
        r#"{config}
[ciba]
enabled = true
device_notification_url = "https://localhost:{dead}/ciba/requests"
device_subject_dn = "CN=customer-device,O=Bank"
delivery_attempts = 1
delivery_timeout_ms = 1000
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registered_client_registers_fapi_ciba_metadata_ciba_core_s4() {
    let dcr = Dcr::start_with(with_ciba).await;
    let key = client_key();
    let ciba = json!({
        "backchannel_token_delivery_mode": "poll",
        "backchannel_authentication_request_signing_alg": "ES256",
        "grant_types": ["authorization_code", "urn:openid:params:grant-type:ciba"],
    });
    // FAPI CIBA §5.2.2: no push for a registered client; CIBA Core §4: a
    // ping client names its endpoint.
    for refused in [
        json!({"backchannel_token_delivery_mode": "push", "backchannel_client_notification_endpoint": "https://fintech.example/cb"}),
        json!({"backchannel_token_delivery_mode": "ping"}),
        json!({"backchannel_token_delivery_mode": "ping", "backchannel_client_notification_endpoint": "http://fintech.example/cb"}),
        json!({"backchannel_authentication_request_signing_alg": "ES256"}),
    ] {
        let statement = dcr.generic_ssa(&key, json!({"grant_types": null})).await;
        let mut request = library_request(&statement, &key);
        merge(&mut request, refused.clone());
        let response = dcr.register_json(request).await;
        assert_error(&response, 400, "invalid_client_metadata");
    }
    let statement = dcr.generic_ssa(&key, json!({"grant_types": null})).await;
    let mut request = library_request(&statement, &key);
    merge(&mut request, ciba);
    let response = dcr.register_json(request).await;
    assert_status(&response, 201);
    let registered = json(response.body());
    assert_eq!(registered["backchannel_token_delivery_mode"], "poll");
    assert_eq!(
        registered["backchannel_authentication_request_signing_alg"],
        "ES256"
    );
    assert!(registered.get("ciba").is_none(), "{registered}");
    assert!(
        registered["grant_types"]
            .as_array()
            .unwrap()
            .contains(&json!("urn:openid:params:grant-type:ciba")),
        "{registered}"
    );
    let client_id = registered["client_id"].as_str().unwrap();

    // Unsigned: refused (FAPI CIBA §5.2.2).
    let client_assertion = assertion(&key, client_id).await;
    let unsigned = form(
        "/bc-authorize",
        &[
            ("client_id", client_id),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &client_assertion),
            ("scope", "openid"),
            ("login_hint", USER),
            ("binding_message", "REG-1"),
        ],
    );
    assert_error(&dcr.op.send(true, unsigned).await, 400, "invalid_request");
    // Signed with the registered keys: every check passes; the device
    // channel is down, so the request is withdrawn (503), never answered.
    let now = now();
    let claims = json!({
        "iss": client_id, "aud": ISSUER, "iat": now, "nbf": now, "exp": now + 300,
        "jti": uuid::Uuid::new_v4().to_string(), "scope": "openid",
        "login_hint": USER, "binding_message": "REG-1",
    });
    let request = sign_jws(&key, Map::new(), claims.to_string().as_bytes())
        .await
        .unwrap();
    let client_assertion = assertion(&key, client_id).await;
    let signed = form(
        "/bc-authorize",
        &[
            ("client_id", client_id),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &client_assertion),
            ("request", &request),
        ],
    );
    assert_error(&dcr.op.send(true, signed).await, 503, "temporarily_unavailable");
}
