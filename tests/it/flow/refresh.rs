//! Refresh tokens (RFC 6749 §6): issued with `offline_access` (OIDC Core
//! §11), bound like the access token (RFC 9449 §5, RFC 8705 §3), rotated
//! with reuse detection (RFC 9700 §4.14.2) and a retry window after a lost
//! response (FAPI 2.0 SP §5.3.2.1 item 10), over real TLS.

use super::super::support::json;
use super::harness::*;
use super::introspection::introspection_of;
use super::revocation::revoke_pkjwt;
use bytes::Bytes;
use fiducia_hsm::Signer;
use http::Response;
use serde_json::{Value, json};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const OFFLINE: &str = "openid email offline_access";

/// Code -> tokens for the private_key_jwt client, bound by `dpop` or, without
/// it, by the connection's certificate.
async fn code_tokens(op: &Op, dpop: Option<&DpopKey>) -> Value {
    let authorized = authorize_pkjwt_scoped(op, dpop, OFFLINE).await;
    let response = match dpop {
        Some(_) => token_request(op, &authorized, dpop).await,
        None => {
            let assertion = op.assertion(PKJWT, json!({})).await;
            let request = form(
                "/token",
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &authorized.code),
                    ("redirect_uri", REDIRECT),
                    ("code_verifier", &authorized.verifier),
                    ("client_id", PKJWT),
                    ("client_assertion_type", ASSERTION_TYPE),
                    ("client_assertion", &assertion),
                ],
            );
            op.send(true, request).await
        }
    };
    assert_status(&response, 200);
    let tokens = json(response.body());
    assert!(tokens["refresh_token"].is_string(), "{tokens}");
    tokens
}

/// How the refresh request is presented.
enum Presented<'a> {
    Dpop(&'a DpopKey),
    Cert,
    SelfSignedCert,
    Nothing,
}

async fn refresh(op: &Op, refresh_token: &str, presented: Presented<'_>) -> Response<Bytes> {
    let assertion = op.assertion(PKJWT, json!({})).await;
    let request = form(
        "/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", PKJWT),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", &assertion),
        ],
    );
    match presented {
        Presented::Dpop(key) => {
            let proof = key.proof("POST", &format!("{ISSUER}/token"), None).await;
            op.send(false, with_header(request, "dpop", &proof)).await
        }
        Presented::Cert => op.send(true, request).await,
        Presented::SelfSignedCert => op.send_self_signed(request).await,
        Presented::Nothing => op.send(false, request).await,
    }
}

fn assert_invalid_grant(response: &Response<Bytes>) {
    assert_status(response, 400);
    assert_eq!(json(response.body())["error"], "invalid_grant");
}

/// RFC 9449 §5: a DPoP-bound refresh token needs a proof by the same key;
/// another key or no proof is `invalid_grant` (RFC 6749 §5.2). The refreshed
/// access token keeps the binding (introspection `cnf.jkt`, RFC 7662 §2.2).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_keeps_the_dpop_binding() {
    let op = Op::start().await;
    let dpop = DpopKey::new();
    let tokens = code_tokens(&op, Some(&dpop)).await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let first = introspection_of(&op, tokens["access_token"].as_str().unwrap()).await;
    assert_invalid_grant(&refresh(&op, refresh_token, Presented::Dpop(&DpopKey::new())).await);
    assert_invalid_grant(&refresh(&op, refresh_token, Presented::Nothing).await);
    assert_invalid_grant(&refresh(&op, refresh_token, Presented::Cert).await);
    let response = refresh(&op, refresh_token, Presented::Dpop(&dpop)).await;
    assert_status(&response, 200);
    let refreshed = json(response.body());
    assert_eq!(refreshed["token_type"], "DPoP");
    assert_eq!(refreshed["scope"], OFFLINE);
    let access_token = refreshed["access_token"].as_str().unwrap();
    assert_eq!(userinfo_dpop(&op, access_token, &dpop).await.status(), 200);
    let second = introspection_of(&op, access_token).await;
    assert_eq!(second["cnf"], first["cnf"]);
    // RFC 6749 §1.5, RFC 7662 §2.2: a refresh token is not an access token,
    // so introspection never calls it active, even for its own client.
    let rt = introspection_of(&op, refreshed["refresh_token"].as_str().unwrap()).await;
    assert_eq!(rt, json!({"active": false}));
    op.handle.shutdown().await;
}

/// RFC 8705 §3: a certificate-bound refresh token needs the same
/// certificate; another certificate or none is `invalid_grant`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_keeps_the_certificate_binding() {
    let op = Op::start().await;
    let tokens = code_tokens(&op, None).await;
    assert_eq!(tokens["token_type"], "Bearer");
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    assert_invalid_grant(&refresh(&op, refresh_token, Presented::Nothing).await);
    assert_invalid_grant(&refresh(&op, refresh_token, Presented::SelfSignedCert).await);
    assert_invalid_grant(&refresh(&op, refresh_token, Presented::Dpop(&DpopKey::new())).await);
    let response = refresh(&op, refresh_token, Presented::Cert).await;
    assert_status(&response, 200);
    let refreshed = json(response.body());
    assert_eq!(refreshed["token_type"], "Bearer");
    let first = introspection_of(&op, tokens["access_token"].as_str().unwrap()).await;
    let second = introspection_of(&op, refreshed["access_token"].as_str().unwrap()).await;
    assert!(second["cnf"]["x5t#S256"].is_string(), "{second}");
    assert_eq!(second["cnf"], first["cnf"]);
    op.handle.shutdown().await;
}

/// RFC 9700 §4.14.2 with FAPI 2.0 SP §5.3.2.1 item 10: with rotation, a
/// rotated-out refresh token used again *outside the retry window*
/// (`refresh_token_retry_grace_secs`, here 1 s) fails and revokes the
/// grant: the newest access token fails at userinfo (RFC 6750 §3.1) and
/// introspects inactive (RFC 7662 §2.2), the newest refresh token fails too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reuse_outside_the_retry_window_revokes_the_grant() {
    let op = Op::start_with("refresh_token_retry_grace_secs = 1").await;
    let dpop = DpopKey::new();
    let tokens = code_tokens(&op, Some(&dpop)).await;
    let old = tokens["refresh_token"].as_str().unwrap();
    let response = refresh(&op, old, Presented::Dpop(&dpop)).await;
    assert_status(&response, 200);
    let refreshed = json(response.body());
    let (access_token, newest) = (
        refreshed["access_token"].as_str().unwrap(),
        refreshed["refresh_token"].as_str().unwrap(),
    );
    assert_ne!(newest, old);
    assert_eq!(userinfo_dpop(&op, access_token, &dpop).await.status(), 200);
    // The rotated-out token is no longer active.
    assert_eq!(introspection_of(&op, old).await, json!({ "active": false }));
    // Past the window (whole seconds: at least 2 s after the rotation).
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    assert_invalid_grant(&refresh(&op, old, Presented::Dpop(&dpop)).await);
    assert_eq!(userinfo_dpop(&op, access_token, &dpop).await.status(), 401);
    assert_eq!(
        introspection_of(&op, access_token).await,
        json!({ "active": false })
    );
    assert_eq!(introspection_of(&op, newest).await, json!({ "active": false }));
    assert_invalid_grant(&refresh(&op, newest, Presented::Dpop(&dpop)).await);
    op.handle.shutdown().await;
}

/// FAPI 2.0 SP §5.3.2.1 item 10: a client that lost the refresh response
/// retries with the previous refresh token and succeeds (the default 60 s
/// window), more than once; it gets a fresh refresh token bound to the same
/// key (RFC 9449 §5) and the lost successor stops working. Once the client
/// has used the successor it got, the token before it again is a replay,
/// even within the window: the grant is revoked (RFC 9700 §4.14.2).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_a_lost_refresh_response_succeeds() {
    let op = Op::start().await;
    let dpop = DpopKey::new();
    let tokens = code_tokens(&op, Some(&dpop)).await;
    let first = tokens["refresh_token"].as_str().unwrap();
    // The response to this refresh is lost on the way to the client.
    let lost = json(refresh(&op, first, Presented::Dpop(&dpop)).await.body());
    let lost_refresh = lost["refresh_token"].as_str().unwrap();
    // The retry with the previous token succeeds, twice (a second loss).
    let mut kept = String::new();
    for _ in 0..2 {
        let response = refresh(&op, first, Presented::Dpop(&dpop)).await;
        assert_status(&response, 200);
        let retried = json(response.body());
        let refresh_token = retried["refresh_token"].as_str().unwrap().to_string();
        assert_ne!(refresh_token, first);
        assert_ne!(refresh_token, lost_refresh);
        assert_eq!(retried["token_type"], "DPoP");
        let access_token = retried["access_token"].as_str().unwrap();
        assert_eq!(userinfo_dpop(&op, access_token, &dpop).await.status(), 200);
        // Bound to the same key (RFC 9449 §5); a refresh token itself never
        // introspects active (RFC 6749 §1.5: it is no access token).
        let introspected = introspection_of(&op, access_token).await;
        assert_eq!(introspected["active"], true, "{introspected}");
        assert_eq!(introspected["cnf"]["jkt"], dpop.key.public_jwk().thumbprint());
        assert_eq!(
            introspection_of(&op, &refresh_token).await,
            json!({ "active": false })
        );
        kept = refresh_token;
    }
    // The lost successor was replaced: unknown now, and no replay verdict.
    assert_eq!(
        introspection_of(&op, lost_refresh).await,
        json!({ "active": false })
    );
    assert_invalid_grant(&refresh(&op, lost_refresh, Presented::Dpop(&dpop)).await);
    // A retry must still present the binding (RFC 9449 §5).
    assert_invalid_grant(&refresh(&op, first, Presented::Dpop(&DpopKey::new())).await);
    // The kept token works: the grant lives on.
    let response = refresh(&op, &kept, Presented::Dpop(&dpop)).await;
    assert_status(&response, 200);
    let newest = json(response.body());
    let newest_access = newest["access_token"].as_str().unwrap();
    // `kept` was used, so the client did get it: `first` again, still
    // within the window, is a replay now and revokes the grant.
    assert_invalid_grant(&refresh(&op, first, Presented::Dpop(&dpop)).await);
    assert_eq!(
        introspection_of(&op, newest_access).await,
        json!({ "active": false })
    );
    assert_invalid_grant(
        &refresh(
            &op,
            newest["refresh_token"].as_str().unwrap(),
            Presented::Dpop(&dpop),
        )
        .await,
    );
    op.handle.shutdown().await;
}

/// `tokens.rotate_refresh_tokens = false`: the same refresh token serves
/// again (RFC 6749 §6: a new refresh token is optional), none is returned.
/// Without `offline_access` no refresh token is issued (OIDC Core §11).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_rotation_the_refresh_token_is_reused() {
    let op = Op::start_with("rotate_refresh_tokens = false").await;
    let dpop = DpopKey::new();
    let tokens = code_tokens(&op, Some(&dpop)).await;
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    for _ in 0..2 {
        let response = refresh(&op, refresh_token, Presented::Dpop(&dpop)).await;
        assert_status(&response, 200);
        assert!(json(response.body()).get("refresh_token").is_none());
    }
    let authorized = authorize_pkjwt(&op, Some(&dpop)).await;
    let tokens = json(token_request(&op, &authorized, Some(&dpop)).await.body());
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");
    op.handle.shutdown().await;
}

/// RFC 7009 §2.1: revoking a refresh token also revokes the access tokens
/// of its grant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_refresh_token_revokes_its_access_tokens() {
    let op = Op::start().await;
    let dpop = DpopKey::new();
    let tokens = code_tokens(&op, Some(&dpop)).await;
    let (access_token, refresh_token) = (
        tokens["access_token"].as_str().unwrap(),
        tokens["refresh_token"].as_str().unwrap(),
    );
    let response = revoke_pkjwt(&op, refresh_token, Some("refresh_token")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(userinfo_dpop(&op, access_token, &dpop).await.status(), 401);
    assert_eq!(
        introspection_of(&op, access_token).await,
        json!({ "active": false })
    );
    assert_invalid_grant(&refresh(&op, refresh_token, Presented::Dpop(&dpop)).await);
    op.handle.shutdown().await;
}
