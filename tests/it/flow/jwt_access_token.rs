//! JWT access tokens (RFC 9068) for a client configured with
//! `access_token_format = "jwt"`, over real TLS with SoftHSM signing.

use super::super::support::{get, json};
use super::gateway::gateway_introspection_of;
use super::harness::*;
use super::rar::{authorize_with_details, payment_detail, tokens_for};
use fiducia::protocol::jose::{PublicJwk, verify_jws};
use fiducia_hsm::Signer;
use serde_json::json;

/// RFC 9068 §2.1 (`typ: at+jwt`), §2.2 (`iss`, `exp`, `aud`, `sub`,
/// `client_id`, `iat`, `jti`, `scope`), RFC 9449 §6.1 (`cnf.jkt`),
/// RFC 9396 §9.1 (`authorization_details`): the token verifies against
/// `/jwks`, works at userinfo (RFC 9449 §7) and introspection, and is
/// inactive once revoked (RFC 7009 §2.1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jwt_access_token_verifies_offline_and_still_works_online() {
    let op = Op::start().await;
    let dpop = DpopKey::new();
    let details = json!([payment_detail()]);
    let (authorized, _) = authorize_with_details(&op, JWT_AT, &dpop, "openid email", &details).await;
    let tokens = tokens_for(&op, JWT_AT, &authorized, &dpop).await;
    let access_token = tokens["access_token"].as_str().unwrap().to_string();
    assert_eq!(tokens["token_type"], "DPoP");

    let jwks = json(op.send(false, get("/jwks")).await.body());
    let keys: Vec<PublicJwk> = serde_json::from_value(jwks["keys"].clone()).unwrap();
    let claims = verify_jws(&access_token, &keys, Some("at+jwt")).unwrap().claims;
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], ISSUER, "default audience: the issuer");
    assert_eq!(claims["sub"], "acc-alice-1");
    assert_eq!(claims["client_id"], JWT_AT);
    assert_eq!(claims["scope"], "openid email");
    assert_eq!(claims["cnf"]["jkt"], dpop.key.public_jwk().thumbprint());
    assert_eq!(claims["authorization_details"], details);
    let (iat, exp) = (claims["iat"].as_u64().unwrap(), claims["exp"].as_u64().unwrap());
    assert!(iat <= now() && exp > now() && exp - iat == tokens["expires_in"].as_u64().unwrap());
    assert!(
        claims["jti"].as_str().is_some_and(|j| j.len() >= 32),
        "{claims:?}"
    );
    // An ID token is not an access token: its `typ` is not at+jwt (RFC 9068 §4).
    assert!(verify_jws(tokens["id_token"].as_str().unwrap(), &keys, Some("at+jwt")).is_err());

    let response = userinfo_dpop(&op, &access_token, &dpop).await;
    assert_status(&response, 200);
    assert_eq!(json(response.body())["sub"], "acc-alice-1");

    let body = gateway_introspection_of(&op, &access_token).await;
    assert_eq!(body["active"], true, "{body}");
    assert_eq!(body["client_id"], JWT_AT);
    assert_eq!(body["authorization_details"], details);

    let assertion = op.assertion(JWT_AT, json!({})).await;
    let revoke = form(
        "/revoke",
        &[
            ("token", access_token.as_str()),
            ("client_id", JWT_AT),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
        ],
    );
    assert_eq!(op.send(false, revoke).await.status(), 200);
    assert_eq!(
        gateway_introspection_of(&op, &access_token).await,
        json!({ "active": false })
    );
    assert_eq!(userinfo_dpop(&op, &access_token, &dpop).await.status(), 401);
    op.handle.shutdown().await;
}

/// The other clients keep opaque tokens (the default format).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_clients_keep_opaque_tokens() {
    let op = Op::start().await;
    let dpop = DpopKey::new();
    let authorized = authorize_pkjwt(&op, Some(&dpop)).await;
    let tokens = json(token_request(&op, &authorized, Some(&dpop)).await.body());
    let token = tokens["access_token"].as_str().unwrap();
    assert_eq!(token.len(), 43, "{token}");
    assert!(!token.contains('.'));
    op.handle.shutdown().await;
}

/// A JWT access token (RFC 9068) from `op`: client_credentials of the
/// `access_token_format = "jwt"` client, DPoP-bound.
pub(crate) async fn client_jwt_access_token(op: &Op, dpop: &DpopKey) -> String {
    let assertion = op.assertion(JWT_AT, json!({})).await;
    let request = form(
        "/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", JWT_AT),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
        ],
    );
    let proof = dpop.proof("POST", &format!("{ISSUER}/token"), None).await;
    let response = op.send(false, with_header(request, "dpop", &proof)).await;
    assert_status(&response, 200);
    json(response.body())["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// RFC 9068 §2.2: `aud` is `tokens.access_token_audience` when set, and a
/// client_credentials token (no resource owner) has the client as `sub`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audience_is_configured_and_client_tokens_name_the_client() {
    let op = Op::start_with("access_token_audience = \"https://api.bank.example\"").await;
    let dpop = DpopKey::new();
    let token = client_jwt_access_token(&op, &dpop).await;
    let jwks = json(op.send(false, get("/jwks")).await.body());
    let keys: Vec<PublicJwk> = serde_json::from_value(jwks["keys"].clone()).unwrap();
    let claims = verify_jws(&token, &keys, Some("at+jwt")).unwrap().claims;
    assert_eq!(claims["aud"], "https://api.bank.example");
    assert_eq!(claims["sub"], JWT_AT);
    assert_eq!(claims["client_id"], JWT_AT);
    assert_eq!(claims["cnf"]["jkt"], dpop.key.public_jwk().thumbprint());
    assert!(claims.get("authorization_details").is_none());
    op.handle.shutdown().await;
}
