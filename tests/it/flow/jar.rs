//! Signed request objects at PAR (RFC 9101, RFC 9126 §3, FAPI 2.0 Message
//! Signing §5.3.1) over real TLS: a good object goes through to tokens with
//! the object's parameters only; the refusals are `invalid_request_object`.

use super::super::support::json;
use super::harness::*;
use fiducia_hsm::{JoseAlg, Signer, SoftwareSigner, sign_jws};
use serde_json::{Map, Value, json};

/// The error of a refused PAR request.
fn error_of(response: &http::Response<bytes::Bytes>) -> (u16, String, String) {
    let body = json(response.body());
    (
        response.status().as_u16(),
        body["error"].as_str().unwrap_or_default().to_string(),
        body["error_description"].as_str().unwrap_or_default().to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_object_flow_goes_through_to_tokens_rfc9101_s6_3() {
    let op = Op::start().await;
    let dpop = DpopKey::new();
    let (verifier, challenge) = pkce();
    let object = op.request_object(PKJWT, &challenge, json!({"nonce": null})).await;
    // RFC 9101 §6.3: only the object's parameters count; a parameter only
    // beside it (here `nonce`) is ignored.
    let response = op
        .push_request_object(PKJWT, &object, &[("nonce", "n-outside")])
        .await;
    let request_uri = pushed_request_uri(&response);
    let redirect = Browser::new().authorize(&op, PKJWT, &request_uri, true).await;
    assert!(redirect.starts_with(REDIRECT), "{redirect}");
    // The object's state, and iss (RFC 9207 §2) in the default query mode.
    assert_eq!(query_param(&redirect, "state").as_deref(), Some("st-jar"));
    assert_eq!(query_param(&redirect, "iss").as_deref(), Some(ISSUER));
    let authorized = Authorized {
        code: query_param(&redirect, "code").unwrap(),
        verifier,
        redirect,
    };
    let response = token_request(&op, &authorized, Some(&dpop)).await;
    assert_status(&response, 200);
    let tokens = json(response.body());
    assert_eq!(tokens["token_type"], "DPoP");
    let id_token = tokens["id_token"].as_str().unwrap();
    let claims = super::verify_id_token(&op, id_token).await;
    assert!(
        !claims.contains_key("nonce"),
        "the nonce beside the object was used: {claims:?}"
    );
    op.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_request_objects_are_invalid_request_object_rfc9101_s7() {
    let op = Op::start().await;
    let (_, challenge) = pkce();
    let now = now();
    let cases: Vec<(&str, Value, &str)> = vec![
        // FAPI 2.0 MS §5.3.1 / FAPI 1.0 Adv §5.2.2-13: exp passed.
        ("expired", json!({"nbf": now - 600, "exp": now - 300}), "expired"),
        // FAPI 2.0 MS §5.3.1: aud is the issuer.
        ("wrong aud", json!({"aud": format!("{ISSUER}/par")}), "`aud`"),
        // RFC 9101 §6.2: iss is the client.
        ("wrong iss", json!({"iss": MTLS}), "`iss` is not"),
        ("missing iss", json!({"iss": null}), "no `iss`"),
        // FAPI 2.0 MS §5.3.1: nbf required.
        ("missing nbf", json!({"nbf": null}), "no `nbf`"),
        // FAPI 1.0 Adv §5.2.2-13: exp at most 60 minutes after nbf.
        ("lifetime", json!({"exp": now + 3700}), "60 minutes"),
    ];
    for (name, overrides, expected) in cases {
        let object = op.request_object(PKJWT, &challenge, overrides).await;
        let (status, error, description) = error_of(&op.push_request_object(PKJWT, &object, &[]).await);
        assert_eq!(
            (status, error.as_str()),
            (400, "invalid_request_object"),
            "{name}: {description}"
        );
        assert!(description.contains(expected), "{name}: {description}");
    }

    // Not a JWS at all: refused, not a server error.
    let (status, error, _) = error_of(&op.push_request_object(PKJWT, "not.a-jws", &[]).await);
    assert_eq!(
        (status, error.as_str()),
        (400, "invalid_request_object"),
        "garbage"
    );

    // RFC 8725 §3.1: alg none, never.
    let unsigned = {
        use base64::Engine;
        let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        let claims = json!({
            "iss": PKJWT, "aud": ISSUER, "client_id": PKJWT, "nbf": now, "exp": now + 300,
            "jti": "none-1", "response_type": "code", "redirect_uri": REDIRECT, "scope": "openid",
            "code_challenge": challenge, "code_challenge_method": "S256",
        });
        format!("{}.{}.", b64(&json!({"alg": "none"})), b64(&claims))
    };
    let (status, error, description) = error_of(&op.push_request_object(PKJWT, &unsigned, &[]).await);
    assert_eq!(
        (status, error.as_str()),
        (400, "invalid_request_object"),
        "alg none"
    );
    assert!(description.contains("none"), "{description}");

    // RFC 9101 §6.2: signed by a key that is not in the client's JWKS.
    let stranger = SoftwareSigner::generate(JoseAlg::Es256).unwrap();
    let claims = json!({
        "iss": PKJWT, "aud": ISSUER, "client_id": PKJWT, "nbf": now, "exp": now + 300,
        "jti": "foreign-1", "response_type": "code", "redirect_uri": REDIRECT, "scope": "openid",
        "code_challenge": challenge, "code_challenge_method": "S256",
    });
    let foreign = sign_jws(&stranger, Map::new(), claims.to_string().as_bytes())
        .await
        .unwrap();
    assert_ne!(stranger.public_jwk(), op.client_key.public_jwk());
    let (status, error, description) = error_of(&op.push_request_object(PKJWT, &foreign, &[]).await);
    assert_eq!(
        (status, error.as_str()),
        (400, "invalid_request_object"),
        "foreign key"
    );
    assert!(description.contains("kid"), "{description}");

    // FAPI 2.0 MS §5.3.1: the client_id outside (the authenticated client)
    // must be the one inside.
    let other_client = op
        .request_object(PKJWT, &challenge, json!({"client_id": JAR}))
        .await;
    let (status, error, description) = error_of(&op.push_request_object(PKJWT, &other_client, &[]).await);
    assert_eq!(
        (status, error.as_str()),
        (400, "invalid_request_object"),
        "client_id"
    );
    assert!(description.contains("client_id"), "{description}");

    // RFC 9101 §6.3: a parameter beside the object with another value.
    let object = op.request_object(PKJWT, &challenge, json!({})).await;
    let (status, error, description) = error_of(
        &op.push_request_object(PKJWT, &object, &[("scope", "openid email")])
            .await,
    );
    assert_eq!(
        (status, error.as_str()),
        (400, "invalid_request_object"),
        "mismatch"
    );
    assert!(description.contains("scope"), "{description}");

    // jti single use: the same object pushed twice.
    let object = op.request_object(PKJWT, &challenge, json!({})).await;
    pushed_request_uri(&op.push_request_object(PKJWT, &object, &[]).await);
    let (status, error, description) = error_of(&op.push_request_object(PKJWT, &object, &[]).await);
    assert_eq!(
        (status, error.as_str()),
        (400, "invalid_request_object"),
        "replay"
    );
    assert!(description.contains("jti"), "{description}");
    op.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_requiring_signed_request_objects_refuses_plain_parameters_rfc9101_s10_5() {
    let op = Op::start().await;
    let (_, challenge) = pkce();
    let assertion = op.assertion(JAR, json!({})).await;
    let plain = form(
        "/par",
        &[
            ("client_id", JAR),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", "openid"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    );
    let (status, error, description) = error_of(&op.send(false, plain).await);
    assert_eq!((status, error.as_str()), (400, "invalid_request"));
    assert!(description.contains("signed request object"), "{description}");
    // The same client with a signed request object is accepted.
    let object = op.request_object(JAR, &challenge, json!({})).await;
    pushed_request_uri(&op.push_request_object(JAR, &object, &[]).await);
    op.handle.shutdown().await;
}
