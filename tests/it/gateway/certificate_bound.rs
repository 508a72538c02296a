//! Certificate-bound tokens (RFC 8705 §3) through the gateway: what the
//! bank API receives, and what is refused before it.

use super::super::support::{admin_get, assert_status, json};
use super::rig::*;

const INTERACTION: &str = "c770aef3-6784-41f7-8e0e-ff5f97bddb3a";

/// RFC 8705 §3: the token with its certificate passes; the bank API sees
/// the gateway's certificate (mTLS upstream), the trusted headers set by
/// the gateway and not the spoofed ones; `x-fapi-interaction-id` is echoed
/// (FAPI 1.0 Part 1 §6.2.1-11) and passed on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_bound_token_reaches_the_bank_api_with_trusted_headers() {
    let rig = Rig::start("", "").await;
    let token = rig.aisp_token("accounts").await;
    let mut request = gw_get(&format!("{ACCOUNTS}?page=2"), &format!("Bearer {token}"));
    for (name, value) in [
        ("x-fapi-interaction-id", INTERACTION),
        ("x-fiducia-customer", "acc-mallory"),
        ("x-fiducia-client-id", "someone-else"),
        ("x-fiducia-authorization-details", "e30"),
    ] {
        request.headers_mut().insert(name, value.parse().unwrap());
    }
    let response = rig.call(request).await;
    assert_status(&response, 200);
    assert_eq!(response.headers()["x-fapi-interaction-id"], INTERACTION);
    assert_eq!(response.headers()["x-bank"], "sample");
    assert_eq!(json(response.body())["Data"]["Status"], "ok");

    let received = rig.upstream.received();
    assert_eq!(received.len(), 1);
    let call = &received[0];
    assert_eq!(call.method, "GET");
    assert_eq!(call.path_and_query, format!("/bank{ACCOUNTS}?page=2"));
    assert_eq!(call.caller_x5t.as_deref(), Some(rig.gateway_x5t().as_str()));
    let header = |name: &str| call.headers.get(name).map(|v| v.to_str().unwrap().to_string());
    assert_eq!(header("x-fiducia-client-id").as_deref(), Some(AISP));
    assert_eq!(header("x-fiducia-scope").as_deref(), Some("accounts"));
    // client_credentials: no customer, and the spoofed ones are gone.
    assert_eq!(header("x-fiducia-customer"), None);
    assert_eq!(header("x-fiducia-authorization-details"), None);
    assert_eq!(header("x-fapi-interaction-id").as_deref(), Some(INTERACTION));
    assert_eq!(header("authorization"), None, "the token stops at the gateway");
    let fintech_x5t = fiducia::protocol::client_cert::x5t_s256(&rig.op.pki.client_leaf_der());
    assert_eq!(header("x-fiducia-client-cert-x5t-s256"), Some(fintech_x5t));

    // FAPI 1.0 Part 1 §6.2.1-12: without one, the gateway makes one up and
    // the bank API sees the same.
    let response = rig.call(gw_get(ACCOUNTS, &format!("Bearer {token}"))).await;
    assert_eq!(response.status(), 200);
    let made = response.headers()["x-fapi-interaction-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(made).is_ok(), "{made}");
    assert_eq!(rig.upstream.received()[1].headers["x-fapi-interaction-id"], made);

    // Metrics: requests by route, upstream latency, introspection cache.
    let (status, metrics) = admin_get(rig.gateway.admin_addr, "/metrics").await;
    assert_eq!(status, 200);
    for expected in [
        "route=\"accounts\"",
        "fiducia_gateway_upstream_duration_seconds",
        "fiducia_gateway_introspection_cache_total{result=\"hit\"}",
    ] {
        assert!(metrics.contains(expected), "metrics lack {expected}");
    }
    rig.shutdown().await;
}

/// RFC 8705 §3: the same token over another fintech's certificate is
/// refused with 401 `invalid_token` and a Bearer challenge (RFC 6750 §3),
/// in the Open Banking error shape; so is a certificate outside the CA, no
/// token, an unknown token; a missing scope is 403, an unknown path 404;
/// nothing reaches the bank API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_with_another_certificate_or_without_scope_is_refused() {
    let rig = Rig::start("", "").await;
    let token = rig.aisp_token("accounts").await;
    let (cert, key) = rig.other_fintech();
    let mut request = gw_get(ACCOUNTS, &format!("Bearer {token}"));
    request
        .headers_mut()
        .insert("x-fapi-interaction-id", INTERACTION.parse().unwrap());
    let response = rig.call_as(&cert, &key, request).await;
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.starts_with("Bearer ") && challenge.contains("error=\"invalid_token\""),
        "{challenge}"
    );
    let body = json(response.body());
    assert_eq!(body["Code"], "401 Unauthorized");
    assert_eq!(body["Id"], INTERACTION);
    assert_eq!(body["Errors"][0]["ErrorCode"], "UK.OBIE.Header.Invalid");
    assert!(
        body["Errors"][0]["Message"]
            .as_str()
            .unwrap()
            .contains("another certificate")
    );

    // RFC 8705 §2.1: a certificate that does not chain to the CA is no
    // client certificate at all, whatever the token.
    let dir = rig.op.pki.dir.path();
    std::fs::write(dir.join("ss.pem"), &rig.op.self_signed.0).unwrap();
    std::fs::write(dir.join("ss.key"), &rig.op.self_signed.1).unwrap();
    let response = rig
        .call_as(
            &dir.join("ss.pem"),
            &dir.join("ss.key"),
            gw_get(ACCOUNTS, &format!("Bearer {token}")),
        )
        .await;
    assert_eq!(response.status(), 401);
    assert!(String::from_utf8_lossy(response.body()).contains("client certificate"));

    // RFC 6750 §3.1: no token at all: a challenge without an error code.
    let response = rig.call(super::super::support::get(ACCOUNTS)).await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer realm=\"bank-api\""
    );
    assert_eq!(
        json(response.body())["Errors"][0]["ErrorCode"],
        "UK.OBIE.Header.Missing"
    );

    // RFC 6750 §3.1: a token without the route's scope is 403 insufficient_scope.
    let body = payment_request("1.00", "DE02100100109307118603");
    let response = rig
        .call(payment_post(&body, &format!("Bearer {token}"), None))
        .await;
    assert_eq!(response.status(), 403);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.contains("error=\"insufficient_scope\"") && challenge.contains("scope=\"payments\""),
        "{challenge}"
    );

    // No route: 404 in the same shape.
    let response = rig
        .call(gw_get("/internal/admin", &format!("Bearer {token}")))
        .await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        json(response.body())["Errors"][0]["ErrorCode"],
        "UK.OBIE.Resource.NotFound"
    );

    // An unknown token: the OP says inactive.
    let response = rig.call(gw_get(ACCOUNTS, "Bearer not-a-token")).await;
    assert_eq!(response.status(), 401);
    assert!(
        rig.upstream.received().is_empty(),
        "nothing may reach the bank API"
    );
    rig.shutdown().await;
}
