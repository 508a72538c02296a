//! Token revocation (RFC 7009) over real TLS.

use super::super::support::json;
use super::harness::*;
use serde_json::json;

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// `POST /revoke` as the private_key_jwt client.
pub async fn revoke_pkjwt(op: &Op, token: &str, hint: Option<&str>) -> http::Response<bytes::Bytes> {
    let assertion = op.assertion(PKJWT, json!({})).await;
    let mut params = vec![
        ("token", token),
        ("client_id", PKJWT),
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", assertion.as_str()),
    ];
    if let Some(hint) = hint {
        params.push(("token_type_hint", hint));
    }
    op.send(false, form("/revoke", &params)).await
}

/// A DPoP-bound access token of the private_key_jwt client.
async fn dpop_access_token(op: &Op, dpop: &DpopKey) -> String {
    let authorized = authorize_pkjwt(op, Some(dpop)).await;
    let response = token_request(op, &authorized, Some(dpop)).await;
    assert_status(&response, 200);
    json(response.body())["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// RFC 7009 §2.1-§2.2: the client revokes its access token (200); the
/// token then fails at userinfo (RFC 6750 §3.1 `invalid_token`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_access_token_fails_at_userinfo() {
    let op = Op::start().await;
    let dpop = DpopKey::new();
    let access_token = dpop_access_token(&op, &dpop).await;
    assert_eq!(userinfo_dpop(&op, &access_token, &dpop).await.status(), 200);
    let response = revoke_pkjwt(&op, &access_token, Some("access_token")).await;
    assert_status(&response, 200);
    let response = userinfo_dpop(&op, &access_token, &dpop).await;
    assert_eq!(response.status(), 401);
    assert_eq!(json(response.body())["error"], "invalid_token");
    op.handle.shutdown().await;
}

/// RFC 7009 §2.2: an unknown token is 200 (a wrong hint too, §2.1);
/// RFC 7009 §2.1: another client's token is 200 and left valid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_foreign_tokens_are_200_and_nothing_is_revoked() {
    let op = Op::start().await;
    let response = revoke_pkjwt(&op, "no-such-token", Some("refresh_token")).await;
    assert_eq!(response.status(), 200);
    let dpop = DpopKey::new();
    let access_token = dpop_access_token(&op, &dpop).await;
    let request = form("/revoke", &[("token", &access_token), ("client_id", MTLS)]);
    let response = op.send(true, request).await;
    assert_status(&response, 200);
    assert_eq!(userinfo_dpop(&op, &access_token, &dpop).await.status(), 200);
    op.handle.shutdown().await;
}

/// RFC 7009 §2.1: the client must authenticate; a failure is
/// `invalid_client` with 401 (RFC 6749 §5.2).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_revocation_is_401() {
    let op = Op::start().await;
    let dpop = DpopKey::new();
    let access_token = dpop_access_token(&op, &dpop).await;
    for params in [
        vec![("token", access_token.as_str())],
        vec![("token", access_token.as_str()), ("client_id", PKJWT)],
    ] {
        let response = op.send(false, form("/revoke", &params)).await;
        assert_eq!(response.status(), 401);
        assert_eq!(json(response.body())["error"], "invalid_client");
    }
    assert_eq!(userinfo_dpop(&op, &access_token, &dpop).await.status(), 200);
    op.handle.shutdown().await;
}
