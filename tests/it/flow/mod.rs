//! FAPI 2.0 authorization code flow end to end (issue: PAR -> authorize ->
//! login -> consent -> token -> userinfo), over real TLS with SoftHSM
//! signing, and the negative cases each citing its section.

pub mod assertion_identifies;
pub mod client_credentials;
pub mod clock_steps;
pub mod code_replay;
pub mod consent_dpop;
pub mod consent_limits;
pub mod consents;
pub mod dashboard;
pub mod dashboard_browser;
pub mod dpop_replay;
pub mod ekyc;
pub mod fapi1;
pub mod gateway;
pub mod grant_management;
pub mod harness;
pub mod id_token_encryption;
pub mod interaction_api;
pub mod interaction_app_assertion;
pub mod introspection;
pub mod jar;
pub mod jarm;
pub mod jwks_uri;
pub mod jwt_access_token;
pub mod login_throttle;
pub mod managed_clients;
pub mod metadata;
pub mod obie_intent;
pub mod rar;
pub mod refresh;
pub mod revocation;
pub mod revocation_race;
pub mod sca;
pub mod upstream;

use super::support::{get, json};
use fiducia::protocol::jose::{PublicJwk, verify_jws};
use harness::*;
use serde_json::json;

/// Verifies an ID token against the OP's published JWKS (OIDC Core §3.1.3.7).
async fn verify_id_token(op: &Op, id_token: &str) -> serde_json::Map<String, serde_json::Value> {
    let jwks = json(op.send(false, get("/jwks")).await.body());
    let keys: Vec<PublicJwk> = serde_json::from_value(jwks["keys"].clone()).unwrap();
    verify_jws(id_token, &keys, Some("JWT")).unwrap().claims
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_key_jwt_pkce_dpop_flow() {
    let op = Op::start().await;
    let dpop = DpopKey::new();
    let authorized = authorize_pkjwt(&op, Some(&dpop)).await;
    // RFC 9207 §2 and RFC 6749 §4.1.2: iss and state come back.
    assert_eq!(query_param(&authorized.redirect, "iss").as_deref(), Some(ISSUER));
    assert_eq!(
        query_param(&authorized.redirect, "state").as_deref(),
        Some("st-123")
    );
    assert!(authorized.redirect.starts_with(REDIRECT));

    let response = token_request(&op, &authorized, Some(&dpop)).await;
    assert_status(&response, 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let tokens = json(response.body());
    assert_eq!(tokens["token_type"], "DPoP", "RFC 9449 §5");
    let access_token = tokens["access_token"].as_str().unwrap().to_string();

    let claims = verify_id_token(&op, tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], PKJWT);
    assert_eq!(claims["sub"], "acc-alice-1");
    assert_eq!(claims["nonce"], "n-456");
    for claim in ["exp", "iat", "auth_time", "acr"] {
        assert!(claims.contains_key(claim), "ID token lacks {claim}");
    }

    let response = userinfo_dpop(&op, &access_token, &dpop).await;
    assert_status(&response, 200);
    let info = json(response.body());
    assert_eq!(info["sub"], "acc-alice-1");
    assert_eq!(info["email"], "alice@example.com");

    // RFC 9449 §7.1: the DPoP-bound token is useless as a Bearer token ...
    let bearer = with_header(
        get("/userinfo"),
        "authorization",
        &format!("Bearer {access_token}"),
    );
    let response = op.send(false, bearer).await;
    assert_eq!(response.status(), 401);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("DPoP")
    );
    // ... and with a proof by another key.
    let response = userinfo_dpop(&op, &access_token, &DpopKey::new()).await;
    assert_eq!(response.status(), 401);
    assert_eq!(json(response.body())["error"], "invalid_dpop_proof");
    op.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_client_auth_with_certificate_bound_tokens() {
    let op = Op::start().await;
    let (verifier, challenge) = pkce();
    let par = cert_par(MTLS, &challenge, "openid email");
    // RFC 8705 §2.1: no certificate, no authentication.
    let response = op.send(false, par).await;
    assert_eq!(response.status(), 401);
    assert_eq!(json(response.body())["error"], "invalid_client");
    let par = cert_par(MTLS, &challenge, "openid email");
    let response = op.send(true, par).await;
    assert_status(&response, 201);
    let request_uri = json(response.body())["request_uri"].as_str().unwrap().to_string();
    let redirect = Browser::new().authorize(&op, MTLS, &request_uri, true).await;
    let code = query_param(&redirect, "code").unwrap();
    let token = form(
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
            ("client_id", MTLS),
        ],
    );
    let response = op.send(true, token).await;
    assert_status(&response, 200);
    let tokens = json(response.body());
    assert_eq!(tokens["token_type"], "Bearer", "RFC 8705 §3");
    let access_token = tokens["access_token"].as_str().unwrap();

    let userinfo = || {
        with_header(
            get("/userinfo"),
            "authorization",
            &format!("Bearer {access_token}"),
        )
    };
    let response = op.send(true, userinfo()).await;
    assert_status(&response, 200);
    assert_eq!(json(response.body())["email"], "alice@example.com");
    // RFC 8705 §3: without the certificate the token is refused.
    let response = op.send(false, userinfo()).await;
    assert_eq!(response.status(), 401);
    assert_eq!(json(response.body())["error"], "invalid_token");
    op.handle.shutdown().await;
}

/// FAPI 2.0 §5.3.2.2 / RFC 9126 §4: authorization requests come through PAR only,
/// and a request_uri is single use.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorize_requires_par_and_request_uri_is_single_use() {
    let op = Op::start().await;
    let mut browser = Browser::new();
    let response = browser
        .get(
            &op,
            &format!("/authorize?client_id={PKJWT}&response_type=code&redirect_uri={REDIRECT}&scope=openid"),
        )
        .await;
    assert_eq!(response.status(), 400);
    assert!(String::from_utf8_lossy(response.body()).contains("pushed"));

    let (_, challenge) = pkce();
    let assertion = op.assertion(PKJWT, json!({})).await;
    let par = pkjwt_par(&assertion, &challenge, &[]);
    let response = op.send(false, par).await;
    let request_uri = json(response.body())["request_uri"].as_str().unwrap().to_string();
    let path = format!(
        "/authorize?{}",
        form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", PKJWT)
            .append_pair("request_uri", &request_uri)
            .finish()
    );
    assert_eq!(browser.get(&op, &path).await.status(), 303);
    let again = browser.get(&op, &path).await;
    assert_eq!(again.status(), 400, "request_uri reused");
    assert!(String::from_utf8_lossy(again.body()).contains("already been used"));
    op.handle.shutdown().await;
}

/// RFC 7636 §4.4.1 / FAPI 2.0 §5.3.2.2: PKCE S256 is required at PAR;
/// RFC 9700 §2.1 / FAPI 2.0: redirect URIs match exactly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn par_refuses_missing_or_plain_pkce_and_unregistered_redirect_uri() {
    let op = Op::start().await;
    let (_, challenge) = pkce();
    type Params<'a> = Vec<(&'a str, &'a str)>;
    let cases: [(&str, Params, &str); 4] = [
        ("no PKCE", vec![("redirect_uri", REDIRECT)], "invalid_request"),
        (
            "plain",
            vec![
                ("redirect_uri", REDIRECT),
                ("code_challenge", &challenge),
                ("code_challenge_method", "plain"),
            ],
            "invalid_request",
        ),
        (
            "unregistered redirect",
            vec![
                ("redirect_uri", "https://evil.example/cb"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ],
            "invalid_request",
        ),
        (
            "redirect differs by a slash",
            vec![
                ("redirect_uri", "https://fintech.example/cb/"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ],
            "invalid_request",
        ),
    ];
    for (name, extra, expected) in cases {
        let assertion = op.assertion(PKJWT, json!({})).await;
        let mut params = vec![
            ("client_id", PKJWT),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion.as_str()),
            ("response_type", "code"),
            ("scope", "openid"),
        ];
        params.extend(extra);
        let response = op.send(false, form("/par", &params)).await;
        assert_eq!(response.status(), 400, "{name}");
        assert_eq!(json(response.body())["error"], expected, "{name}");
    }
    op.handle.shutdown().await;
}

/// RFC 7636 §4.6: a wrong verifier fails and uses the code up (the code is
/// consumed in the transaction that checks it); RFC 6749 §4.1.2: a replayed
/// code fails and revokes the tokens issued with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_verifier_fails_and_code_replay_revokes_tokens() {
    let op = Op::start().await;
    let dpop = DpopKey::new();
    let mut authorized = authorize_pkjwt(&op, Some(&dpop)).await;
    let right = std::mem::replace(&mut authorized.verifier, "x".repeat(43));
    let response = token_request(&op, &authorized, Some(&dpop)).await;
    assert_eq!(json(response.body())["error"], "invalid_grant", "wrong verifier");
    authorized.verifier = right;
    let response = token_request(&op, &authorized, Some(&dpop)).await;
    assert_eq!(
        json(response.body())["error"],
        "invalid_grant",
        "used up by the refusal"
    );

    // A fresh flow, with its own right verifier.
    let fresh = authorize_pkjwt(&op, Some(&dpop)).await;
    let response = token_request(&op, &fresh, Some(&dpop)).await;
    assert_status(&response, 200);
    let access_token = json(response.body())["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(userinfo_dpop(&op, &access_token, &dpop).await.status(), 200);
    let replay = token_request(&op, &fresh, Some(&dpop)).await;
    assert_eq!(replay.status(), 400);
    assert_eq!(json(replay.body())["error"], "invalid_grant");
    let response = userinfo_dpop(&op, &access_token, &dpop).await;
    assert_eq!(
        response.status(),
        401,
        "the first token must be revoked by the replay"
    );
    op.handle.shutdown().await;
}

/// RFC 9449 §10.1: a code bound to a DPoP key at PAR needs a proof by that
/// key; §11.1: a proof is single use; §4.3: htu must be this endpoint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dpop_proofs_are_checked_at_the_token_endpoint() {
    let op = Op::start().await;
    let dpop = DpopKey::new();
    let authorized = authorize_pkjwt(&op, Some(&dpop)).await;
    let response = token_request(&op, &authorized, None).await;
    assert_eq!(
        json(response.body())["error"],
        "invalid_dpop_proof",
        "missing proof for a bound code"
    );

    let authorized = authorize_pkjwt(&op, Some(&dpop)).await;
    let response = token_request(&op, &authorized, Some(&DpopKey::new())).await;
    assert_eq!(
        json(response.body())["error"],
        "invalid_grant",
        "another key than at PAR"
    );

    let authorized = authorize_pkjwt(&op, Some(&dpop)).await;
    let wrong_url = dpop.proof("POST", &format!("{ISSUER}/par"), None).await;
    let assertion = op.assertion(PKJWT, json!({})).await;
    let request = with_header(
        form(
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &authorized.code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &authorized.verifier),
                ("client_id", PKJWT),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", &assertion),
            ],
        ),
        "dpop",
        &wrong_url,
    );
    let response = op.send(false, request).await;
    assert_eq!(
        json(response.body())["error"],
        "invalid_dpop_proof",
        "htu of another endpoint"
    );

    // A proof replayed at userinfo.
    let authorized = authorize_pkjwt(&op, Some(&dpop)).await;
    let tokens = json(token_request(&op, &authorized, Some(&dpop)).await.body());
    let token = tokens["access_token"].as_str().unwrap();
    let proof = dpop
        .proof("GET", &format!("{ISSUER}/userinfo"), Some(token))
        .await;
    let call = || {
        with_header(
            with_header(get("/userinfo"), "authorization", &format!("DPoP {token}")),
            "dpop",
            &proof,
        )
    };
    assert_eq!(op.send(false, call()).await.status(), 200);
    let replayed = op.send(false, call()).await;
    assert_eq!(replayed.status(), 401);
    assert_eq!(json(replayed.body())["error"], "invalid_dpop_proof");
    op.handle.shutdown().await;
}

/// RFC 7523 §3 and FAPI 2.0 §5.3.2.1: client assertions are single use,
/// unexpired, for this issuer, and never `none` or HMAC.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_client_assertions_are_invalid_client() {
    let op = Op::start().await;
    let (_, challenge) = pkce();
    let par = |assertion: String| pkjwt_par(&assertion, &challenge, &[]);
    let good = op.assertion(PKJWT, json!({})).await;
    assert_eq!(op.send(false, par(good.clone())).await.status(), 201);
    let now = now();
    let unsigned = |header: &str| {
        let claims = json!({"iss": PKJWT, "sub": PKJWT, "aud": ISSUER, "exp": now + 60, "jti": "x"});
        format!(
            "{}.{}.",
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, header),
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                claims.to_string()
            )
        )
    };
    let hmac = {
        let signing_input = format!(
            "{}.{}",
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                r#"{"alg":"HS256"}"#
            ),
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                json!({"iss": PKJWT, "sub": PKJWT, "aud": ISSUER, "exp": now + 60, "jti": "h"}).to_string()
            )
        );
        let tag = aws_lc_rs::hmac::sign(
            &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, b"secret"),
            signing_input.as_bytes(),
        );
        format!(
            "{signing_input}.{}",
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, tag)
        )
    };
    let cases = [
        ("replayed", good),
        (
            "expired",
            op.assertion(PKJWT, json!({"iat": now - 600, "exp": now - 300}))
                .await,
        ),
        (
            "wrong aud",
            op.assertion(PKJWT, json!({"aud": "https://other.example"})).await,
        ),
        (
            "aud array (FAPI 2.0 §5.3.2.1)",
            op.assertion(PKJWT, json!({"aud": [ISSUER]})).await,
        ),
        ("no jti", op.assertion(PKJWT, json!({"jti": null})).await),
        ("alg none", unsigned(r#"{"alg":"none"}"#)),
        ("HS256", hmac),
    ];
    for (name, assertion) in cases {
        let response = op.send(false, par(assertion)).await;
        assert_eq!(response.status(), 401, "{name}");
        assert_eq!(json(response.body())["error"], "invalid_client", "{name}");
    }
    op.handle.shutdown().await;
}

/// RFC 6749 §4.1.2.1: a denial goes back to the client with access_denied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denial_redirects_with_access_denied() {
    let op = Op::start().await;
    let (_, challenge) = pkce();
    let assertion = op.assertion(PKJWT, json!({})).await;
    let par = pkjwt_par(&assertion, &challenge, &[("state", "s1")]);
    let request_uri = json(op.send(false, par).await.body())["request_uri"]
        .as_str()
        .unwrap()
        .to_string();
    let redirect = Browser::new().authorize(&op, PKJWT, &request_uri, false).await;
    assert_eq!(query_param(&redirect, "error").as_deref(), Some("access_denied"));
    assert_eq!(query_param(&redirect, "state").as_deref(), Some("s1"));
    assert_eq!(query_param(&redirect, "iss").as_deref(), Some(ISSUER));
    assert!(query_param(&redirect, "code").is_none());
    op.handle.shutdown().await;
}

/// RFC 8705 §2.2: a self-signed certificate authenticates the client whose
/// JWKS holds its key, and binds the tokens (§3); §2.1 `tls_client_auth`
/// refuses the same kind of certificate because it does not chain to a CA.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_signed_tls_client_auth_flow() {
    let op = Op::start().await;
    let (verifier, challenge) = pkce();
    let par = |client_id: &'static str| cert_par(client_id, &challenge, "openid email");
    let refused = op.send_self_signed(par(MTLS)).await;
    assert_eq!(
        refused.status(),
        401,
        "tls_client_auth with an unchained certificate"
    );
    assert_eq!(json(refused.body())["error"], "invalid_client");

    let response = op.send_self_signed(par(SELF_SIGNED)).await;
    assert_status(&response, 201);
    let request_uri = json(response.body())["request_uri"].as_str().unwrap().to_string();
    let redirect = Browser::new()
        .authorize(&op, SELF_SIGNED, &request_uri, true)
        .await;
    let code = query_param(&redirect, "code").unwrap();
    let token = form(
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
            ("client_id", SELF_SIGNED),
        ],
    );
    // Another client's certificate does not authenticate this client.
    let response = op.send(true, token.clone()).await;
    assert_eq!(response.status(), 401);
    let response = op.send_self_signed(token).await;
    assert_status(&response, 200);
    let tokens = json(response.body());
    assert_eq!(tokens["token_type"], "Bearer");
    let access_token = tokens["access_token"].as_str().unwrap();
    let userinfo = || {
        with_header(
            get("/userinfo"),
            "authorization",
            &format!("Bearer {access_token}"),
        )
    };
    assert_eq!(op.send_self_signed(userinfo()).await.status(), 200);
    assert_eq!(
        op.send(true, userinfo()).await.status(),
        401,
        "bound to the self-signed certificate"
    );
    op.handle.shutdown().await;
}

/// RFC 6585 §4: a client over its request budget gets 429 with Retry-After.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_over_its_rate_gets_429() {
    let op = Op::start().await;
    let (_, challenge) = pkce();
    let par = || cert_par("limited-client", &challenge, "openid");
    assert_eq!(op.send(true, par()).await.status(), 201);
    assert_eq!(op.send(true, par()).await.status(), 201);
    let limited = op.send(true, par()).await;
    assert_status(&limited, 429);
    assert!(limited.headers().contains_key("retry-after"));
    assert_eq!(json(limited.body())["error"], "rate_limited");
    op.handle.shutdown().await;
}

/// RFC 9449 §8: with server nonces required, a proof without one gets
/// `use_dpop_nonce` and a `DPoP-Nonce` to use; with it, the request passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dpop_server_nonces() {
    let op = Op::start_with("dpop_nonce = true").await;
    let dpop = DpopKey::new();
    let (_, challenge) = pkce();
    let par = |assertion: String, proof: String| {
        with_header(pkjwt_par(&assertion, &challenge, &[]), "dpop", &proof)
    };
    let url = format!("{ISSUER}/par");
    let first = op
        .send(
            false,
            par(
                op.assertion(PKJWT, json!({})).await,
                dpop.proof("POST", &url, None).await,
            ),
        )
        .await;
    assert_eq!(first.status(), 400);
    assert_eq!(json(first.body())["error"], "use_dpop_nonce");
    let nonce = first.headers()["dpop-nonce"].to_str().unwrap().to_string();
    let proof = dpop.proof_with_nonce("POST", &url, None, Some(&nonce)).await;
    let second = op
        .send(false, par(op.assertion(PKJWT, json!({})).await, proof))
        .await;
    assert_eq!(second.status(), 201, "{}", String::from_utf8_lossy(second.body()));
    assert!(second.headers().contains_key("dpop-nonce"));
    let wrong = dpop.proof_with_nonce("POST", &url, None, Some("not-ours")).await;
    let third = op
        .send(false, par(op.assertion(PKJWT, json!({})).await, wrong))
        .await;
    assert_eq!(json(third.body())["error"], "use_dpop_nonce");
    op.handle.shutdown().await;
}
