//! RFC 8414 §2 `scopes_supported` with registration on: every scope a
//! client can be granted, the `[[clients]]`' and what each trusted
//! directory's roles let a registered client hold.

use super::super::support::*;
use super::*;
use serde_json::json;

/// The document lists the static clients' scopes and the registrable ones
/// (the UK roles' `fundsconfirmations` no static client has), and a
/// registered CBPII client is then granted a listed scope.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scopes_supported_lists_every_grantable_scope_rfc8414_s2() {
    let dcr = Dcr::start().await;
    let response = dcr.op.send(false, get("/.well-known/openid-configuration")).await;
    assert_status(&response, 200);
    let listed: Vec<String> = json(response.body())["scopes_supported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    for scope in [
        "openid",
        "offline_access",
        "accounts",
        "payments",
        "fundsconfirmations",
    ] {
        assert!(listed.iter().any(|s| s == scope), "{scope} missing: {listed:?}");
    }
    let unique: std::collections::BTreeSet<_> = listed.iter().collect();
    assert_eq!(unique.len(), listed.len(), "listed twice: {listed:?}");

    // Every scope a registration was granted is in the list.
    let response = dcr
        .register_json(json!({
            "software_statement": dcr.ssa(json!({"software_roles": ["CBPII"]})).await,
            "token_endpoint_auth_method": "tls_client_auth",
        }))
        .await;
    assert_status(&response, 201);
    let granted = json(response.body())["scope"].as_str().unwrap().to_string();
    assert!(granted.contains("fundsconfirmations"), "{granted}");
    for scope in granted.split(' ') {
        assert!(
            listed.iter().any(|s| s == scope),
            "{scope} granted but not listed"
        );
    }
}
