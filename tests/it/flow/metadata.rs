//! The token lifecycle in the published metadata (RFC 8414 §2, RFC 9701 §7).

use super::super::support::{get, json};
use super::harness::*;

/// RFC 8414 §2: `revocation_endpoint`, `introspection_endpoint`, their
/// auth methods, the grants served and `offline_access`; RFC 9701 §7
/// `introspection_signing_alg_values_supported`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_advertises_the_token_lifecycle() {
    let op = Op::start().await;
    let response = op.send(false, get("/.well-known/openid-configuration")).await;
    assert_eq!(response.status(), 200);
    let m = json(response.body());
    assert_eq!(m["revocation_endpoint"], format!("{ISSUER}/revoke"));
    assert_eq!(m["introspection_endpoint"], format!("{ISSUER}/introspect"));
    let grants: Vec<&str> = m["grant_types_supported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_str().unwrap())
        .collect();
    assert_eq!(
        grants,
        ["authorization_code", "refresh_token", "client_credentials"]
    );
    assert!(
        m["scopes_supported"]
            .as_array()
            .unwrap()
            .contains(&"offline_access".into())
    );
    assert_eq!(
        m["introspection_signing_alg_values_supported"],
        serde_json::json!(["ES256"])
    );
    for member in [
        "revocation_endpoint_auth_methods_supported",
        "introspection_endpoint_auth_methods_supported",
    ] {
        assert_eq!(m[member], m["token_endpoint_auth_methods_supported"], "{member}");
    }
    // RFC 9396 §10.
    assert_eq!(
        m["authorization_details_types_supported"],
        serde_json::json!(["payment_initiation", "account_information"])
    );
    op.handle.shutdown().await;
}
