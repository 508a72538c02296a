//! Token introspection (RFC 7662) and JWT introspection responses
//! (RFC 9701) over real TLS.

use super::super::support::{get, json};
use super::harness::*;
use super::revocation::revoke_pkjwt;
use fiducia::protocol::jose::{PublicJwk, verify_jws};
use fiducia_hsm::Signer;
use serde_json::{Value, json};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// `POST /introspect` as the private_key_jwt client, with `accept` if given.
pub async fn introspect_pkjwt(op: &Op, token: &str, accept: Option<&str>) -> http::Response<bytes::Bytes> {
    let assertion = op.assertion(PKJWT, json!({})).await;
    let mut request = form(
        "/introspect",
        &[
            ("token", token),
            ("client_id", PKJWT),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", assertion.as_str()),
        ],
    );
    if let Some(accept) = accept {
        request = with_header(request, "accept", accept);
    }
    op.send(false, request).await
}

/// The introspection JSON of `token` for the private_key_jwt client.
pub async fn introspection_of(op: &Op, token: &str) -> Value {
    let response = introspect_pkjwt(op, token, None).await;
    assert_status(&response, 200);
    json(response.body())
}

async fn dpop_tokens(op: &Op, dpop: &DpopKey) -> Value {
    let authorized = authorize_pkjwt(op, Some(dpop)).await;
    let response = token_request(op, &authorized, Some(dpop)).await;
    assert_status(&response, 200);
    json(response.body())
}

/// RFC 7662 §2.2: an active token's `client_id`, `sub`, `scope`, `exp`,
/// `iat`, `token_type`, `iss` and `cnf` (RFC 9449 §6.2 `jkt`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_shows_the_fields_and_cnf() {
    let op = Op::start().await;
    let dpop = DpopKey::new();
    let tokens = dpop_tokens(&op, &dpop).await;
    let access_token = tokens["access_token"].as_str().unwrap();
    let body = introspection_of(&op, access_token).await;
    assert_eq!(body["active"], true, "{body}");
    assert_eq!(body["client_id"], PKJWT);
    assert_eq!(body["sub"], "acc-alice-1");
    assert_eq!(body["scope"], "openid profile email");
    assert_eq!(body["token_type"], "DPoP");
    assert_eq!(body["iss"], ISSUER);
    let (iat, exp) = (body["iat"].as_u64().unwrap(), body["exp"].as_u64().unwrap());
    assert!(iat <= now() && exp > now() && exp > iat, "{body}");
    assert_eq!(body["cnf"]["jkt"], dpop.key.public_jwk().thumbprint());
    op.handle.shutdown().await;
}

/// RFC 8705 §3.2: a certificate-bound client_credentials token shows
/// `cnf.x5t#S256` and no `sub` (RFC 6749 §4.4: no end-user).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_of_a_certificate_bound_token() {
    let op = Op::start().await;
    let token = form(
        "/token",
        &[("grant_type", "client_credentials"), ("client_id", MTLS)],
    );
    let response = op.send(true, token).await;
    let access_token = json(response.body())["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let request = form("/introspect", &[("token", &access_token), ("client_id", MTLS)]);
    let body = json(op.send(true, request).await.body());
    assert_eq!(body["active"], true, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert!(
        body["cnf"]["x5t#S256"].as_str().is_some_and(|s| s.len() == 43),
        "{body}"
    );
    assert!(body.get("sub").is_none());
    // Policy (RFC 7662 §2.2, §4): another client's token is inactive to the caller.
    assert_eq!(
        introspection_of(&op, &access_token).await,
        json!({ "active": false })
    );
    op.handle.shutdown().await;
}

/// RFC 9701 §5: with `Accept: application/token-introspection+jwt` the
/// answer is a JWS (`typ: token-introspection+jwt`) that verifies against
/// the published JWKS, with `iss`, `aud` (the caller), `iat` and
/// `token_introspection`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_introspection_verifies_against_the_jwks() {
    let op = Op::start().await;
    let dpop = DpopKey::new();
    let tokens = dpop_tokens(&op, &dpop).await;
    let access_token = tokens["access_token"].as_str().unwrap();
    let response = introspect_pkjwt(&op, access_token, Some("application/token-introspection+jwt")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/token-introspection+jwt"
    );
    let jwt = std::str::from_utf8(response.body()).unwrap();
    let jwks = json(op.send(false, get("/jwks")).await.body());
    let keys: Vec<PublicJwk> = serde_json::from_value(jwks["keys"].clone()).unwrap();
    let claims = verify_jws(jwt, &keys, Some("token-introspection+jwt"))
        .unwrap()
        .claims;
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], PKJWT);
    assert!(claims["iat"].as_u64().is_some());
    assert_eq!(claims["token_introspection"]["active"], true);
    assert_eq!(claims["token_introspection"]["client_id"], PKJWT);
    op.handle.shutdown().await;
}

/// RFC 7662 §2.2: a revoked (RFC 7009 §2.1) or unknown token is
/// `{"active": false}`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_and_unknown_tokens_are_inactive() {
    let op = Op::start().await;
    assert_eq!(
        introspection_of(&op, "no-such-token").await,
        json!({ "active": false })
    );
    let dpop = DpopKey::new();
    let tokens = dpop_tokens(&op, &dpop).await;
    let access_token = tokens["access_token"].as_str().unwrap();
    assert_eq!(revoke_pkjwt(&op, access_token, None).await.status(), 200);
    assert_eq!(
        introspection_of(&op, access_token).await,
        json!({ "active": false })
    );
    op.handle.shutdown().await;
}

/// RFC 7662 §2.1: the caller must authenticate; RFC 6749 §5.2
/// `invalid_client` is 401.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_introspection_is_401() {
    let op = Op::start().await;
    for params in [vec![("token", "t")], vec![("token", "t"), ("client_id", PKJWT)]] {
        let response = op.send(false, form("/introspect", &params)).await;
        assert_eq!(response.status(), 401);
        assert_eq!(json(response.body())["error"], "invalid_client");
    }
    op.handle.shutdown().await;
}
