//! Clients managed live (`oauth::managed_clients`) against a running OP
//! over real TLS: a client disabled through the service fails at `/token`
//! on its next request (RFC 6749 §5.2 `invalid_client`), at PAR,
//! introspection and revocation too, and its tokens no longer introspect
//! active (RFC 7662 §2.2); enabled again, it gets new tokens while the old
//! ones stay refused. The service is called on the running OP's state
//! (`ServerHandle::op_state`), as the Config API's routes will.

use super::super::support::{get, json};
use super::gateway::gateway_introspection_of;
use super::harness::*;
use super::introspection::introspect_pkjwt;
use super::revocation::revoke_pkjwt;
use fiducia::oauth::managed_clients::{ClientState, ManagedClients};
use fiducia::store::audit::{EventType, read};
use serde_json::json;

const OPERATOR: &str = "config-api:ops-automation";

async fn cc_mtls(op: &Op) -> http::Response<bytes::Bytes> {
    let request = form(
        "/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", MTLS),
            ("scope", "accounts"),
        ],
    );
    op.send(true, request).await
}

fn assert_invalid_client(response: &http::Response<bytes::Bytes>) {
    assert_status(response, 401);
    assert_eq!(json(response.body())["error"], "invalid_client", "RFC 6749 §5.2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_disabled_through_the_service_is_refused_on_its_next_request() {
    let op = Op::start().await;
    // A certificate-bound client_credentials token of the mTLS client and
    // a DPoP-bound code-flow token (with a refresh token) of the
    // private_key_jwt client.
    let response = cc_mtls(&op).await;
    assert_status(&response, 200);
    let cc_token = json(response.body())["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let dpop = DpopKey::new();
    let authorized = authorize_pkjwt_scoped(&op, Some(&dpop), "openid offline_access").await;
    let tokens = json(token_request(&op, &authorized, Some(&dpop)).await.body());
    let code_token = tokens["access_token"].as_str().unwrap().to_string();
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(gateway_introspection_of(&op, &cc_token).await["active"], true);
    assert_eq!(gateway_introspection_of(&op, &code_token).await["active"], true);

    let state = op.handle.op_state().unwrap();
    let service = ManagedClients::of(&state);
    let etag = service.get(PKJWT).await.unwrap().etag;
    let disabled = service.disable(OPERATOR, PKJWT, Some(&etag)).await.unwrap();
    assert_eq!(disabled.state, ClientState::Disabled);
    service.disable(OPERATOR, MTLS, None).await.unwrap();

    // The very next request of each: refused as an unknown client.
    assert_invalid_client(&cc_mtls(&op).await);
    assert_invalid_client(&refresh_dpop(&op, &refresh_token, &dpop).await);
    assert_invalid_client(&introspect_pkjwt(&op, &code_token, None).await);
    assert_invalid_client(&revoke_pkjwt(&op, &code_token, None).await);
    let assertion = op.assertion(PKJWT, json!({})).await;
    let par = form(
        "/par",
        &[
            ("client_id", PKJWT),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", "openid"),
            ("code_challenge", &pkce().1),
            ("code_challenge_method", "S256"),
        ],
    );
    assert_invalid_client(&op.send(false, par).await);
    // Its tokens, revoked with their grant or refused with their client,
    // no longer introspect active at the gateway's introspection.
    assert_eq!(gateway_introspection_of(&op, &cc_token).await["active"], false);
    assert_eq!(gateway_introspection_of(&op, &code_token).await["active"], false);

    // The trail: who disabled which client, and the grant revoked with it.
    let trail = read::since(state.services.repo.store(), 0, 0).await.unwrap();
    let changes: Vec<_> = trail
        .iter()
        .filter(|r| r.record.event == EventType::ConfigChanged)
        .map(|r| (r.record.targets[0].id.as_str(), r.record.changed[0].to.as_deref()))
        .collect();
    assert_eq!(changes.len(), 2);
    assert!(changes.contains(&(PKJWT, Some("disabled"))));
    assert!(changes.contains(&(MTLS, Some("disabled"))));
    assert!(trail.iter().any(|r| r.record.event == EventType::GrantRevoked
        && r.record.targets.iter().any(|t| t.id == PKJWT)
        && r.record.changed[0].to.as_deref() == Some("client_disabled")));
    for record in &trail {
        let text = String::from_utf8_lossy(&record.bytes);
        assert!(!text.contains(&cc_token) && !text.contains(&refresh_token));
    }

    // Enabled again: new tokens, while the old one stays refused
    // (`trusted_since`: a client_credentials token has no grant to revoke).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    service.enable(OPERATOR, MTLS, None).await.unwrap();
    let response = cc_mtls(&op).await;
    assert_status(&response, 200);
    let fresh = json(response.body())["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(gateway_introspection_of(&op, &fresh).await["active"], true);
    assert_eq!(gateway_introspection_of(&op, &cc_token).await["active"], false);
    drop(state);
    op.handle.shutdown().await;
}

/// A static client's metadata changed through the service is what the
/// next request is checked against: scopes narrowed, a scope no longer
/// granted is refused (RFC 6749 §5.2 `invalid_scope`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_override_applies_to_the_next_request() {
    let op = Op::start().await;
    assert_status(&cc_mtls(&op).await, 200);
    let state = op.handle.op_state().unwrap();
    let service = ManagedClients::of(&state);
    let current = service.get(MTLS).await.unwrap();
    let mut body = current.metadata.clone();
    body["scopes"] = json!(["openid", "payments"]);
    service
        .update(OPERATOR, MTLS, Some(&current.etag), &body)
        .await
        .unwrap();
    let response = cc_mtls(&op).await;
    assert_status(&response, 400);
    assert_eq!(json(response.body())["error"], "invalid_scope");
    drop(state);
    op.handle.shutdown().await;
}

/// OIDC Discovery §3 / RFC 8414 §2: the metadata document describes the
/// clients served now. A client created through the service with a FAPI
/// 1.0 Advanced profile and a scope no other client has adds the hybrid
/// response type (FAPI 1.0 Part 2 §5.2.2-2) and the scope at once; once
/// it is deleted they are gone again, without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_describes_the_clients_served_now() {
    let op = Op::start().await;
    let discovery = || async {
        json(
            op.send(false, get("/.well-known/openid-configuration"))
                .await
                .body(),
        )
    };
    let offers = |document: &serde_json::Value, member: &str, value: &str| {
        document[member]
            .as_array()
            .is_some_and(|values| values.iter().any(|v| v == value))
    };
    let before = discovery().await;
    assert!(!offers(&before, "response_types_supported", "code id_token"));
    assert!(!offers(&before, "scopes_supported", "insurance"));

    let state = op.handle.op_state().unwrap();
    let service = ManagedClients::of(&state);
    let created = service
        .create(
            OPERATOR,
            &json!({
                "client_id": "fapi1-shop",
                "client_name": "FAPI 1 shop",
                "redirect_uris": ["https://shop.example/cb"],
                "token_endpoint_auth_method": "tls_client_auth",
                "tls_client_auth_subject_dn": "CN=fapi1-shop",
                "fapi_profile": "fapi1-advanced",
                "scopes": ["openid", "insurance"],
            }),
        )
        .await
        .unwrap();
    let after = discovery().await;
    assert!(
        offers(&after, "response_types_supported", "code id_token"),
        "{after}"
    );
    assert!(offers(&after, "response_modes_supported", "fragment"));
    assert!(offers(&after, "scopes_supported", "insurance"));

    service
        .delete(OPERATOR, "fapi1-shop", Some(&created.etag))
        .await
        .unwrap();
    let gone = discovery().await;
    assert!(!offers(&gone, "response_types_supported", "code id_token"));
    assert!(!offers(&gone, "scopes_supported", "insurance"));
    drop(state);
    op.handle.shutdown().await;
}
