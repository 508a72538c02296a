//! `grant_type=client_credentials` (RFC 6749 §4.4), sender-constrained
//! like every token (FAPI 2.0 §5.3.2.1).

use super::super::support::json;
use super::harness::*;
use serde_json::json;

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

async fn pkjwt_request(op: &Op, scope: Option<&str>) -> http::Request<http_body_util::Full<bytes::Bytes>> {
    let assertion = op.assertion(PKJWT, json!({})).await;
    let mut params = vec![
        ("grant_type", "client_credentials"),
        ("client_id", PKJWT),
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", assertion.as_str()),
    ];
    if let Some(scope) = scope {
        params.push(("scope", scope));
    }
    form("/token", &params)
}

/// RFC 6749 §4.4.3 with RFC 9449 §5: a DPoP proof gives a DPoP-bound token,
/// no ID token and no refresh token; the default scopes are the client's
/// without the user-claim ones (RFC 6749 §3.3, OIDC Core §5.4): this
/// client has only those (`openid profile email offline_access`), so its
/// token has no scope at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_with_dpop() {
    let op = Op::start().await;
    let dpop = DpopKey::new();
    let request = with_header(
        pkjwt_request(&op, None).await,
        "dpop",
        &dpop.proof("POST", &format!("{ISSUER}/token"), None).await,
    );
    let response = op.send(false, request).await;
    assert_status(&response, 200);
    let tokens = json(response.body());
    assert_eq!(tokens["token_type"], "DPoP");
    assert_eq!(tokens["scope"], "");
    assert!(tokens.get("id_token").is_none());
    assert!(tokens.get("refresh_token").is_none());
    // OIDC Core §5.3: no end-user, so no userinfo.
    let access_token = tokens["access_token"].as_str().unwrap();
    let response = userinfo_dpop(&op, access_token, &dpop).await;
    assert_eq!(json(response.body())["error"], "insufficient_scope");
    op.handle.shutdown().await;
}

/// RFC 8705 §3 with RFC 6749 §4.4: a tls_client_auth client gets a
/// certificate-bound Bearer token for the scopes it asks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_with_mtls() {
    let op = Op::start().await;
    let request = form(
        "/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", MTLS),
            ("scope", "accounts"),
        ],
    );
    let response = op.send(true, request).await;
    assert_status(&response, 200);
    let tokens = json(response.body());
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "accounts");
    op.handle.shutdown().await;
}

/// RFC 6749 §3.3 and §4.4, OIDC Core §5.4: without `scope` the client's
/// token carries its configured scopes less every user-claim one (`openid`,
/// `profile`, `email`, `address`, `phone`, `offline_access`): a token with
/// no customer behind it says nothing about one, in the token response and
/// at introspection (RFC 7662 §2.2).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_without_scope_carries_no_user_claim_scopes() {
    let op = Op::start().await;
    let request = form(
        "/token",
        &[("grant_type", "client_credentials"), ("client_id", MTLS)],
    );
    let response = op.send(true, request).await;
    assert_status(&response, 200);
    let tokens = json(response.body());
    // The client's scopes: openid profile email offline_access payments accounts.
    assert_eq!(tokens["scope"], "payments accounts", "{tokens}");
    let access_token = tokens["access_token"].as_str().unwrap();
    let request = form("/introspect", &[("token", access_token), ("client_id", MTLS)]);
    let introspected = json(op.send(true, request).await.body());
    assert_eq!(introspected["active"], true, "{introspected}");
    assert_eq!(introspected["scope"], "payments accounts", "{introspected}");
    // Asked for, a user-claim scope is invalid_scope (RFC 6749 §4.4.2, §5.2).
    for scope in ["profile", "email", "phone", "address", "accounts email"] {
        let request = form(
            "/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", MTLS),
                ("scope", scope),
            ],
        );
        let response = op.send(true, request).await;
        assert_eq!(response.status(), 400, "{scope}");
        assert_eq!(json(response.body())["error"], "invalid_scope", "{scope}");
    }
    op.handle.shutdown().await;
}

/// FAPI 2.0 §5.3.2.1: neither DPoP nor a certificate is `invalid_request`;
/// RFC 6749 §4.4.2 / §5.2: `openid` (no end-user) or a scope beyond the
/// client's is `invalid_scope`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_refusals() {
    let op = Op::start().await;
    let response = op.send(false, pkjwt_request(&op, None).await).await;
    assert_eq!(response.status(), 400);
    assert_eq!(json(response.body())["error"], "invalid_request");
    for scope in ["openid", "payments"] {
        let response = op.send(true, pkjwt_request(&op, Some(scope)).await).await;
        assert_eq!(json(response.body())["error"], "invalid_scope", "{scope}");
    }
    op.handle.shutdown().await;
}

/// A client_credentials request of the private_key_jwt client, with `scope`
/// when given (without it: the client's default, here none, RFC 6749 §3.3).
fn assertion_request(
    assertion: &str,
    scope: Option<&str>,
) -> http::Request<http_body_util::Full<bytes::Bytes>> {
    let mut params = vec![
        ("grant_type", "client_credentials"),
        ("client_id", PKJWT),
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", assertion),
    ];
    if let Some(scope) = scope {
        params.push(("scope", scope));
    }
    form("/token", &params)
}

/// RFC 7523 §3 item 7 and RFC 9449 §11.1: the token endpoint records the
/// assertion's and the proof's `jti`s in the token's own transaction. A
/// request refused by its grant still uses its assertion up, and a replayed
/// assertion is `invalid_client` before the grant's own error; a replayed
/// proof is `invalid_dpop_proof` and issues nothing, while the fresh
/// assertion sent with it is used up all the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jtis_are_used_up_with_the_token_or_by_the_refusal() {
    let op = Op::start().await;
    let dpop = DpopKey::new();
    let url = format!("{ISSUER}/token");
    let with_proof = |request, proof: &str| with_header(request, "dpop", proof);

    // Refused by the grant (a scope beyond the client's): the assertion is spent.
    let assertion = op.assertion(PKJWT, json!({})).await;
    let refused = op
        .send(false, assertion_request(&assertion, Some("payments")))
        .await;
    assert_eq!(json(refused.body())["error"], "invalid_scope");
    let proof = dpop.proof("POST", &url, None).await;
    let again = op
        .send(false, with_proof(assertion_request(&assertion, None), &proof))
        .await;
    assert_eq!(again.status(), 401);
    assert_eq!(json(again.body())["error"], "invalid_client");
    // The replayed assertion's error comes before the grant's.
    let again = op
        .send(false, assertion_request(&assertion, Some("payments")))
        .await;
    assert_eq!(json(again.body())["error"], "invalid_client");

    // The proof sent with the replayed assertion was used up by that refusal.
    let fresh = op.assertion(PKJWT, json!({})).await;
    let refused = op
        .send(false, with_proof(assertion_request(&fresh, None), &proof))
        .await;
    assert_eq!(refused.status(), 400);
    assert_eq!(json(refused.body())["error"], "invalid_dpop_proof");
    // ... and the fresh assertion with it.
    let proof = dpop.proof("POST", &url, None).await;
    let replayed = op
        .send(false, with_proof(assertion_request(&fresh, None), &proof))
        .await;
    assert_eq!(json(replayed.body())["error"], "invalid_client");

    // A fresh pair issues a token; the same pair again issues none.
    let assertion = op.assertion(PKJWT, json!({})).await;
    let proof = dpop.proof("POST", &url, None).await;
    let issued = op
        .send(false, with_proof(assertion_request(&assertion, None), &proof))
        .await;
    assert_status(&issued, 200);
    assert_eq!(json(issued.body())["token_type"], "DPoP");
    let replayed = op
        .send(false, with_proof(assertion_request(&assertion, None), &proof))
        .await;
    assert_eq!(replayed.status(), 401);
    assert!(json(replayed.body()).get("access_token").is_none());
    op.handle.shutdown().await;
}
