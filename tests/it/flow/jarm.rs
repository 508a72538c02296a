//! JWT authorization responses (JARM §2.3.1 `query.jwt`, `jwt`) over real
//! TLS, signed in SoftHSM: verified against the published JWKS, success
//! and error (the customer declines) alike.

use super::super::support::{get, json};
use super::harness::*;
use fiducia::protocol::jose::{PublicJwk, verify_jws};
use serde_json::{Map, Value, json};

/// JARM §2.3.1: the redirect carries `response` only; its JWT verifies
/// against `/jwks` (JARM §2.4 step 4) and is for this client (§2.4 step 3).
async fn verify_response(op: &Op, redirect: &str, client_id: &str) -> Map<String, Value> {
    assert!(redirect.starts_with(REDIRECT), "{redirect}");
    for plain in ["code", "state", "iss", "error"] {
        assert!(
            query_param(redirect, plain).is_none(),
            "{plain} outside the JWT: {redirect}"
        );
    }
    let jwt = query_param(redirect, "response").unwrap_or_else(|| panic!("no response: {redirect}"));
    let jwks = json(op.send(false, get("/jwks")).await.body());
    let keys: Vec<PublicJwk> = serde_json::from_value(jwks["keys"].clone()).unwrap();
    let claims = verify_jws(&jwt, &keys, None).unwrap().claims;
    // JARM §2.1: iss, aud, exp.
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], client_id);
    let exp = claims["exp"].as_u64().unwrap();
    let now = now();
    assert!(
        exp > now && exp <= now + 600 + 5,
        "JARM §4.1: short-lived, exp {exp}"
    );
    claims
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_response_verifies_against_the_jwks_jarm_s2_1() {
    let op = Op::start().await;
    let (verifier, challenge) = pkce();
    let assertion = op.assertion(PKJWT, json!({})).await;
    // JARM §2.3.4: `jwt` is `query.jwt` for response_type=code.
    let par = pkjwt_par(
        &assertion,
        &challenge,
        &[("response_mode", "jwt"), ("state", "st-jarm")],
    );
    let request_uri = pushed_request_uri(&op.send(false, par).await);
    let redirect = Browser::new().authorize(&op, PKJWT, &request_uri, true).await;
    let claims = verify_response(&op, &redirect, PKJWT).await;
    assert_eq!(claims["state"], "st-jarm");
    let code = claims["code"].as_str().unwrap().to_string();
    // The code in the JWT is the real one.
    let authorized = Authorized {
        code,
        verifier,
        redirect,
    };
    let dpop = DpopKey::new();
    let response = token_request(&op, &authorized, Some(&dpop)).await;
    assert_status(&response, 200);
    op.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declined_consent_comes_back_as_a_signed_error_jarm_s2_2() {
    let op = Op::start().await;
    let (_, challenge) = pkce();
    // The response mode from a signed request object (FAPI 2.0 Message Signing).
    let object = op
        .request_object(JAR, &challenge, json!({"response_mode": "query.jwt"}))
        .await;
    let request_uri = pushed_request_uri(&op.push_request_object(JAR, &object, &[]).await);
    let redirect = Browser::new().authorize(&op, JAR, &request_uri, false).await;
    let claims = verify_response(&op, &redirect, JAR).await;
    assert_eq!(claims["error"], "access_denied");
    assert!(claims.contains_key("error_description"));
    assert_eq!(claims["state"], "st-jar");
    assert!(!claims.contains_key("code"));
    op.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_response_modes_are_refused_at_par() {
    let op = Op::start().await;
    let (_, challenge) = pkce();
    for mode in ["fragment.jwt", "form_post", "fragment"] {
        let assertion = op.assertion(PKJWT, json!({})).await;
        let par = pkjwt_par(&assertion, &challenge, &[("response_mode", mode)]);
        let response = op.send(false, par).await;
        assert_eq!(response.status(), 400, "{mode}");
        assert_eq!(json(response.body())["error"], "invalid_request", "{mode}");
    }
    op.handle.shutdown().await;
}

/// Discovery (RFC 8414 §2, RFC 9101 §10.5, JARM §3) as served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_advertises_jar_and_jarm() {
    let op = Op::start().await;
    let m = json(
        op.send(false, get("/.well-known/openid-configuration"))
            .await
            .body(),
    );
    assert_eq!(m["request_parameter_supported"], true);
    assert_eq!(
        m["request_object_signing_alg_values_supported"],
        json!(["ES256", "PS256", "EdDSA"])
    );
    assert_eq!(m["require_signed_request_object"], false);
    assert_eq!(m["authorization_signing_alg_values_supported"], json!(["ES256"]));
    let modes = m["response_modes_supported"].as_array().unwrap();
    for mode in ["query", "jwt", "query.jwt"] {
        assert!(modes.contains(&json!(mode)), "{mode}");
    }
    op.handle.shutdown().await;
}
