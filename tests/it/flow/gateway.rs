//! The API gateway's introspection credential (`[[resource_servers]]`):
//! a certificate with its own subject DN (RFC 8705 §2.1 semantics) that
//! may introspect any client's token (RFC 7662 §2.1) and nothing else.

use super::super::support::{get, json};
use super::harness::*;
use fiducia::protocol::jose::{PublicJwk, verify_jws};
use fiducia_hsm::Signer;
use serde_json::{Value, json};

/// `POST /introspect` as the gateway, with `accept` if given.
pub async fn introspect_as_gateway(
    op: &Op,
    token: &str,
    accept: Option<&str>,
) -> http::Response<bytes::Bytes> {
    let mut request = form("/introspect", &[("token", token), ("client_id", GATEWAY)]);
    if let Some(accept) = accept {
        request = with_header(request, "accept", accept);
    }
    op.send_as_gateway(request).await
}

/// The gateway's introspection JSON of `token`.
pub async fn gateway_introspection_of(op: &Op, token: &str) -> Value {
    let response = introspect_as_gateway(op, token, None).await;
    assert_status(&response, 200);
    json(response.body())
}

/// RFC 7662 §2.1-§2.2: the gateway sees the tokens of every client (a
/// DPoP-bound code-flow token and a certificate-bound client_credentials
/// token), and a signed answer (RFC 9701 §5) has the gateway as `aud`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_introspects_any_clients_token() {
    let op = Op::start().await;
    let dpop = DpopKey::new();
    let authorized = authorize_pkjwt(&op, Some(&dpop)).await;
    let tokens = json(token_request(&op, &authorized, Some(&dpop)).await.body());
    let pkjwt_token = tokens["access_token"].as_str().unwrap().to_string();
    let cc = form(
        "/token",
        &[("grant_type", "client_credentials"), ("client_id", MTLS)],
    );
    let mtls_token = json(op.send(true, cc).await.body())["access_token"]
        .as_str()
        .unwrap()
        .to_string();

    let body = gateway_introspection_of(&op, &pkjwt_token).await;
    assert_eq!(body["active"], true, "{body}");
    assert_eq!(body["client_id"], PKJWT);
    assert_eq!(body["cnf"]["jkt"], dpop.key.public_jwk().thumbprint());
    let body = gateway_introspection_of(&op, &mtls_token).await;
    assert_eq!(body["active"], true, "{body}");
    assert_eq!(body["client_id"], MTLS);
    assert!(body["cnf"]["x5t#S256"].is_string(), "{body}");
    assert_eq!(
        gateway_introspection_of(&op, "no-such-token").await,
        json!({ "active": false })
    );

    let response =
        introspect_as_gateway(&op, &pkjwt_token, Some("application/token-introspection+jwt")).await;
    assert_eq!(response.status(), 200);
    let jwks = json(op.send(false, get("/jwks")).await.body());
    let keys: Vec<PublicJwk> = serde_json::from_value(jwks["keys"].clone()).unwrap();
    let jwt = std::str::from_utf8(response.body()).unwrap();
    let claims = verify_jws(jwt, &keys, Some("token-introspection+jwt"))
        .unwrap()
        .claims;
    assert_eq!(claims["aud"], GATEWAY);
    assert_eq!(claims["token_introspection"]["client_id"], PKJWT);
    op.handle.shutdown().await;
}

/// Least privilege: the gateway is not a client, so PAR and the token
/// endpoint refuse it (RFC 6749 §5.2 `invalid_client`, 401), even with
/// its valid certificate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_cannot_use_the_token_or_par_endpoints() {
    let op = Op::start().await;
    let (_, challenge) = pkce();
    let requests = [
        form(
            "/token",
            &[("grant_type", "client_credentials"), ("client_id", GATEWAY)],
        ),
        cert_par(GATEWAY, &challenge, "openid"),
        form("/revoke", &[("token", "t"), ("client_id", GATEWAY)]),
    ];
    for request in requests {
        let path = request.uri().path().to_string();
        let response = op.send_as_gateway(request).await;
        assert_eq!(response.status(), 401, "{path}");
        assert_eq!(json(response.body())["error"], "invalid_client", "{path}");
    }
    op.handle.shutdown().await;
}

/// RFC 7662 §2.1: without its certificate, with another certificate (a
/// fintech's, valid for its own client), or with an assertion instead,
/// the gateway's id gets 401 `invalid_client`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_or_missing_gateway_credential_is_401() {
    let op = Op::start().await;
    let params = [("token", "t"), ("client_id", GATEWAY)];
    let no_cert = op.send(false, form("/introspect", &params)).await;
    let fintech_cert = op.send(true, form("/introspect", &params)).await;
    let self_signed = op.send_self_signed(form("/introspect", &params)).await;
    let assertion = op.assertion(GATEWAY, json!({})).await;
    let with_assertion = op
        .send_as_gateway(form(
            "/introspect",
            &[
                ("token", "t"),
                ("client_id", GATEWAY),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &assertion),
            ],
        ))
        .await;
    for (case, response) in [
        ("no certificate", no_cert),
        ("fintech certificate", fintech_cert),
        ("self-signed certificate", self_signed),
        ("assertion", with_assertion),
    ] {
        assert_eq!(response.status(), 401, "{case}");
        assert_eq!(json(response.body())["error"], "invalid_client", "{case}");
    }
    op.handle.shutdown().await;
}

/// `POST /grants/reserve` (a payment's consent reserved before the bank is
/// called, OBIE Payment Initiation API v3.1): a client, even with its valid
/// certificate, is `invalid_client` (only a resource server, RFC 8705
/// §2.1.2); for the gateway, a refresh token is `invalid_token` (RFC 6749
/// §1.5: never an access token), a client_credentials token authorises no
/// payment (`invalid_request`), and the idempotency key is OBIE Max40Text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_gateway_reserves_and_only_with_a_payment_access_token() {
    let op = Op::start().await;
    let cc = form(
        "/token",
        &[("grant_type", "client_credentials"), ("client_id", MTLS)],
    );
    let cc_token = json(op.send(true, cc).await.body())["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let reserve = |token: &str, key: &str, client_id: &str| {
        form(
            "/grants/reserve",
            &[
                ("token", token),
                ("idempotency_key", key),
                ("client_id", client_id),
            ],
        )
    };
    let as_client = op.send(true, reserve(&cc_token, "k-1", MTLS)).await;
    assert_eq!(as_client.status(), 401);
    assert_eq!(json(as_client.body())["error"], "invalid_client");

    let dpop = DpopKey::new();
    let authorized = authorize_pkjwt_scoped(&op, Some(&dpop), "openid offline_access").await;
    let tokens = json(token_request(&op, &authorized, Some(&dpop)).await.body());
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let response = op.send_as_gateway(reserve(refresh, "k-1", GATEWAY)).await;
    assert_eq!(response.status(), 401);
    assert_eq!(json(response.body())["error"], "invalid_token");

    let response = op.send_as_gateway(reserve(&cc_token, "k-1", GATEWAY)).await;
    assert_eq!(response.status(), 400);
    assert_eq!(json(response.body())["error"], "invalid_request");
    let long_key = "k".repeat(41);
    let response = op.send_as_gateway(reserve(&cc_token, &long_key, GATEWAY)).await;
    assert_eq!(response.status(), 400);
    assert!(
        json(response.body())["error_description"]
            .as_str()
            .unwrap()
            .contains("idempotency_key")
    );
    op.handle.shutdown().await;
}
