//! FAPI 1.0 Advanced (Final) for one client beside the OP's FAPI 2.0 ones,
//! over real TLS with SoftHSM signing: the hybrid `code id_token` flow with
//! the ID token as a detached signature (FAPI 1.0 Part 2 §5.2.2-3, OIDC Core
//! §3.3.2.11), the code flow with JARM (§5.2.2-2), and the refusals.

use super::super::support::{get, json};
use super::harness::*;
use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fiducia::protocol::jose::{PublicJwk, verify_jws};
use fiducia_hsm::{JoseAlg, Signer, SoftwareSigner, sign_jws};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// A private_key_jwt client on FAPI 1.0 Advanced (its own `fapi_profile`).
const FAPI1: &str = "fapi1-client";

/// The OP with the FAPI 1.0 client, whose JWKS also holds an EdDSA key
/// (`eddsa`), which its profile must refuse.
async fn start() -> (Op, Arc<SoftwareSigner>) {
    start_with("").await
}

/// [`start`] with `extra` TOML after the clients (e.g. a `[fapi]` section).
async fn start_with(extra: &'static str) -> (Op, Arc<SoftwareSigner>) {
    let eddsa = Arc::new(SoftwareSigner::generate(JoseAlg::EdDsa).unwrap());
    let eddsa_jwk = eddsa.public_jwk();
    let op = Op::start_with_clients("", move |jwks_file| {
        let mut jwks: Value = serde_json::from_slice(&std::fs::read(jwks_file).unwrap()).unwrap();
        jwks["keys"].as_array_mut().unwrap().push(json!(eddsa_jwk));
        let fapi1_jwks = jwks_file.with_file_name("fapi1-jwks.json");
        std::fs::write(&fapi1_jwks, jwks.to_string()).unwrap();
        format!(
            r#"
[[clients]]
client_id = "{FAPI1}"
client_name = "Advanced Fintech"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "private_key_jwt"
jwks_file = "{}"
fapi_profile = "fapi1-advanced"
{extra}
"#,
            fapi1_jwks.display()
        )
    })
    .await;
    (op, eddsa)
}

/// OIDC Core §3.3.2.11, FAPI 1.0 Part 2 §5.1: the base64url left half of
/// the SHA-256 of `value` (the hash of ES256, the OP's key here).
fn half_sha256(value: &str) -> String {
    let hash = digest::digest(&digest::SHA256, value.as_bytes());
    URL_SAFE_NO_PAD.encode(&hash.as_ref()[..16])
}

/// The fragment parameters of `redirect` (Multiple Response Types §5).
fn fragment(redirect: &str) -> Map<String, Value> {
    let (base, fragment) = redirect
        .split_once('#')
        .unwrap_or_else(|| panic!("no fragment: {redirect}"));
    assert_eq!(base, REDIRECT, "nothing in the query: {redirect}");
    form_urlencoded::parse(fragment.as_bytes())
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect()
}

/// The code exchange of `FAPI1` over mTLS: certificate-bound tokens
/// (FAPI 1.0 Part 2 §5.2.2-5).
async fn token_over_mtls(op: &Op, code: &str, verifier: &str) -> http::Response<bytes::Bytes> {
    let assertion = op.assertion(FAPI1, json!({})).await;
    let request = form(
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
            ("client_id", FAPI1),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
        ],
    );
    op.send(true, request).await
}

/// The error of a refused PAR request.
fn error_of(response: &http::Response<bytes::Bytes>) -> (u16, String, String) {
    let body = json(response.body());
    (
        response.status().as_u16(),
        body["error"].as_str().unwrap_or_default().to_string(),
        body["error_description"].as_str().unwrap_or_default().to_string(),
    )
}

/// Pushes a FAPI 1.0 request object with `claims` (PKCE `challenge`) and
/// runs the customer's side: the redirect back, approved or declined.
async fn authorize_pushed(op: &Op, challenge: &str, claims: serde_json::Value, approve: bool) -> String {
    let object = op.request_object(FAPI1, challenge, claims).await;
    let request_uri = pushed_request_uri(&op.push_request_object(FAPI1, &object, &[]).await);
    Browser::new().authorize(op, FAPI1, &request_uri, approve).await
}

async fn op_jwks(op: &Op) -> Vec<PublicJwk> {
    let jwks = json(op.send(false, get("/jwks")).await.body());
    serde_json::from_value(jwks["keys"].clone()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hybrid_flow_returns_a_detached_signature_fapi1_part2_s5_2_2_3() {
    let (op, _) = start().await;
    let (verifier, challenge) = pkce();
    let state = "st-fapi1-hybrid";
    let redirect = authorize_pushed(
        &op,
        &challenge,
        json!({"response_type": "code id_token", "state": state, "nonce": "n-fapi1"}),
        true,
    )
    .await;
    let params = fragment(&redirect);
    let code = params["code"].as_str().unwrap();
    assert_eq!(params["state"], state);
    assert_eq!(params["iss"], ISSUER, "RFC 9207 §2");
    let id_token = params["id_token"].as_str().unwrap();

    // OIDC Core §3.3.2.12: the signature against the OP's published keys.
    let verified = verify_jws(id_token, &op_jwks(&op).await, Some("JWT")).unwrap();
    assert_eq!(verified.header.alg, JoseAlg::Es256);
    let claims = verified.claims;
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], FAPI1);
    assert_eq!(claims["sub"], "acc-alice-1");
    assert_eq!(claims["nonce"], "n-fapi1", "OIDC Core §3.3.2.11");
    assert!(claims["exp"].as_u64().unwrap() > now());
    // OIDC Core §3.3.2.11: c_hash is the code's; FAPI 1.0 Part 2 §5.1:
    // s_hash is the state the client sent, and no other state's.
    assert_eq!(claims["c_hash"], half_sha256(code));
    assert_eq!(claims["s_hash"], half_sha256(state));
    assert_ne!(claims["s_hash"], half_sha256("st-another-state"));
    assert_ne!(claims["c_hash"], half_sha256(&format!("{code}x")));

    // FAPI 1.0 Part 2 §5.2.2-5: certificate-bound only; without the
    // certificate, or with a DPoP proof, the code is refused (not consumed).
    let assertion = op.assertion(FAPI1, json!({})).await;
    let params = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
        ("client_id", FAPI1),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", assertion.as_str()),
    ];
    let (status, error, description) = error_of(&op.send(false, form("/token", &params)).await);
    assert_eq!(
        (status, error.as_str()),
        (400, "invalid_request"),
        "{description}"
    );
    let dpop = DpopKey::new();
    let assertion = op.assertion(FAPI1, json!({})).await;
    let mut with_dpop = params;
    with_dpop[6] = ("client_assertion", assertion.as_str());
    let proof = dpop.proof("POST", &format!("{ISSUER}/token"), None).await;
    let response = op
        .send(true, with_header(form("/token", &with_dpop), "dpop", &proof))
        .await;
    let (status, error, description) = error_of(&response);
    assert_eq!(
        (status, error.as_str()),
        (400, "invalid_request"),
        "{description}"
    );
    assert!(description.contains("not DPoP"), "{description}");

    // The code of the front channel is the real one: tokens over mTLS.
    let response = token_over_mtls(&op, code, &verifier).await;
    assert_status(&response, 200);
    let tokens = json(response.body());
    assert_eq!(tokens["token_type"], "Bearer");
    // RFC 8705 §3: bound to the certificate the token request came with.
    let fintech_x5t = fiducia::protocol::client_cert::x5t_s256(&op.pki.client_leaf_der());
    let body = super::gateway::gateway_introspection_of(&op, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(body["cnf"]["x5t#S256"], fintech_x5t);
    let back = verify_jws(
        tokens["id_token"].as_str().unwrap(),
        &op_jwks(&op).await,
        Some("JWT"),
    )
    .unwrap()
    .claims;
    assert_eq!(back["nonce"], "n-fapi1");
    assert_eq!(back["sub"], claims["sub"]);
    op.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declined_hybrid_request_errs_in_the_fragment_without_id_token() {
    let (op, _) = start().await;
    let (_, challenge) = pkce();
    let redirect = authorize_pushed(&op, &challenge, json!({"response_type": "code id_token"}), false).await;
    let params = fragment(&redirect);
    assert_eq!(params["error"], "access_denied");
    assert_eq!(params["state"], "st-jar");
    assert!(!params.contains_key("id_token") && !params.contains_key("code"));
    op.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_flow_with_jarm_for_a_fapi1_client_fapi1_part2_s5_2_2_2() {
    let (op, _) = start().await;
    let (verifier, challenge) = pkce();
    let redirect = authorize_pushed(
        &op,
        &challenge,
        json!({"response_mode": "jwt", "state": "st-jarm1"}),
        true,
    )
    .await;
    assert!(query_param(&redirect, "code").is_none(), "{redirect}");
    let jwt = query_param(&redirect, "response").unwrap_or_else(|| panic!("no JARM: {redirect}"));
    // JARM §2.4: signed by the OP, for this client, short-lived.
    let claims = verify_jws(&jwt, &op_jwks(&op).await, None).unwrap().claims;
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], FAPI1);
    assert_eq!(claims["state"], "st-jarm1");
    assert!(claims["exp"].as_u64().unwrap() <= now() + 605);
    let code = claims["code"].as_str().unwrap();
    let response = token_over_mtls(&op, code, &verifier).await;
    assert_status(&response, 200);
    assert!(json(response.body())["id_token"].is_string());
    op.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fapi1_refusals_at_par_fapi1_part2_s5_2_2() {
    let (op, eddsa) = start().await;
    let (_, challenge) = pkce();
    let now = now();

    // FAPI 1.0 Part 2 §5.2.2-1: a signed request object is required; plain
    // parameters are refused.
    let assertion = op.assertion(FAPI1, json!({})).await;
    let plain = pkjwt_par_for(
        FAPI1,
        &assertion,
        &challenge,
        "openid",
        &[("response_mode", "jwt"), ("nonce", "n"), ("state", "s")],
    );
    let (status, error, _) = error_of(&op.send(false, plain).await);
    assert_eq!((status, error.as_str()), (400, "invalid_request"));

    // An unsigned request object (`alg` none, RFC 8725 §3.1) is not signed.
    let claims = json!({
        "iss": FAPI1, "aud": ISSUER, "client_id": FAPI1, "nbf": now, "exp": now + 300,
        "jti": "unsigned-1", "response_type": "code id_token", "redirect_uri": REDIRECT,
        "scope": "openid", "code_challenge": challenge, "code_challenge_method": "S256",
        "state": "s", "nonce": "n",
    });
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"oauth-authz-req+jwt"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let (status, error, description) = error_of(&op.push_request_object(FAPI1, &unsigned, &[]).await);
    assert_eq!(
        (status, error.as_str()),
        (400, "invalid_request_object"),
        "{description}"
    );

    // FAPI 1.0 Part 2 §5.2.2-13: exp at most 60 minutes after nbf.
    let far = op
        .request_object(
            FAPI1,
            &challenge,
            json!({"response_type": "code id_token", "nbf": now, "exp": now + 3601}),
        )
        .await;
    let (status, error, description) = error_of(&op.push_request_object(FAPI1, &far, &[]).await);
    assert_eq!((status, error.as_str()), (400, "invalid_request_object"));
    assert!(description.contains("60 minutes"), "{description}");
    // §5.2.2-17: nbf no older than 60 minutes.
    let old = op
        .request_object(
            FAPI1,
            &challenge,
            json!({"response_type": "code id_token", "nbf": now - 3700, "exp": now + 60}),
        )
        .await;
    let (_, error, description) = error_of(&op.push_request_object(FAPI1, &old, &[]).await);
    assert_eq!(error, "invalid_request_object", "{description}");

    // OIDC Core §3.3.2.11: the hybrid type needs a nonce.
    let no_nonce = op
        .request_object(
            FAPI1,
            &challenge,
            json!({"response_type": "code id_token", "nonce": null}),
        )
        .await;
    let (status, error, description) = error_of(&op.push_request_object(FAPI1, &no_nonce, &[]).await);
    assert_eq!((status, error.as_str()), (400, "invalid_request"));
    assert!(description.contains("nonce"), "{description}");

    // FAPI 1.0 Part 2 §5.2.2-2: `code` only with JARM.
    let plain_code = op.request_object(FAPI1, &challenge, json!({})).await;
    let (_, error, description) = error_of(&op.push_request_object(FAPI1, &plain_code, &[]).await);
    assert_eq!(error, "invalid_request");
    assert!(description.contains("5.2.2"), "{description}");

    // Multiple Response Types §3: the hybrid response never in the query.
    let query = op
        .request_object(
            FAPI1,
            &challenge,
            json!({"response_type": "code id_token", "response_mode": "query"}),
        )
        .await;
    let (_, error, _) = error_of(&op.push_request_object(FAPI1, &query, &[]).await);
    assert_eq!(error, "invalid_request");

    // FAPI 1.0 Part 2 §8.6: PS256 or ES256, never EdDSA, though the key is
    // the client's own.
    let mut header = Map::new();
    header.insert("typ".into(), json!("oauth-authz-req+jwt"));
    let mut ed_claims = claims.clone();
    ed_claims["jti"] = json!("eddsa-1");
    let ed_object = sign_jws(eddsa.as_ref(), header, ed_claims.to_string().as_bytes())
        .await
        .unwrap();
    let (_, error, description) = error_of(&op.push_request_object(FAPI1, &ed_object, &[]).await);
    assert_eq!(error, "invalid_request_object");
    assert!(description.contains("PS256 or ES256"), "{description}");

    // The same signed object with a good key goes through (the refusals
    // above are the rules, not a broken client).
    let good = op
        .request_object(FAPI1, &challenge, json!({"response_type": "code id_token"}))
        .await;
    pushed_request_uri(&op.push_request_object(FAPI1, &good, &[]).await);
    op.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fapi2_clients_keep_code_only_beside_a_fapi1_client_fapi2_s5_3_2_2() {
    let (op, _) = start().await;
    let (_, challenge) = pkce();
    let object = op
        .request_object(JAR, &challenge, json!({"response_type": "code id_token"}))
        .await;
    let (status, error, _) = error_of(&op.push_request_object(JAR, &object, &[]).await);
    assert_eq!((status, error.as_str()), (400, "unsupported_response_type"));
    op.handle.shutdown().await;
}

/// Discovery advertises the hybrid type and the fragment only when a
/// client may use them, and EdDSA while a FAPI 2.0 client may.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_advertises_what_the_profiles_allow_oidc_discovery_s3() {
    let (op, _) = start().await;
    let m = json(
        op.send(false, get("/.well-known/openid-configuration"))
            .await
            .body(),
    );
    assert_eq!(m["response_types_supported"], json!(["code", "code id_token"]));
    assert!(
        m["response_modes_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("fragment"))
    );
    assert_eq!(
        m["request_object_signing_alg_values_supported"],
        json!(["ES256", "PS256", "EdDSA"])
    );
    op.handle.shutdown().await;
    let plain = Op::start().await;
    let m = json(
        plain
            .send(false, get("/.well-known/openid-configuration"))
            .await
            .body(),
    );
    assert_eq!(m["response_types_supported"], json!(["code"]));
    assert!(
        !m["response_modes_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("fragment"))
    );
    plain.handle.shutdown().await;
}

/// FAPI 1.0 Part 1 §6.2.1-§6.2.2 at the OP's userinfo: the customer-presence
/// headers accepted when well formed (a valid IP address never refused),
/// `x-fapi-interaction-id` echoed; a malformed one is `invalid_request`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn userinfo_accepts_the_customer_presence_headers_fapi1_part1_s6_2_2() {
    let (op, _) = start().await;
    let (verifier, challenge) = pkce();
    let redirect = authorize_pushed(&op, &challenge, json!({"response_type": "code id_token"}), true).await;
    let code = fragment(&redirect)["code"].as_str().unwrap().to_string();
    let tokens = json(token_over_mtls(&op, &code, &verifier).await.body());
    let token = tokens["access_token"].as_str().unwrap();
    let interaction = "1b7e3f0c-9a7d-4d43-a5c1-52f0d7d3c0aa";
    let userinfo = |headers: Vec<(&'static str, &'static str)>| {
        let mut request = with_header(get("/userinfo"), "authorization", &format!("Bearer {token}"));
        request
            .headers_mut()
            .insert("x-fapi-interaction-id", interaction.parse().unwrap());
        for (name, value) in headers {
            request.headers_mut().insert(name, value.parse().unwrap());
        }
        op.send(true, request)
    };
    let response = userinfo(vec![
        ("x-fapi-auth-date", "Sun, 06 Dec 2026 09:15:00 GMT"),
        ("x-fapi-customer-ip-address", "2001:db8::42"),
    ])
    .await;
    assert_status(&response, 200);
    assert_eq!(response.headers()["x-fapi-interaction-id"], interaction);
    assert_eq!(json(response.body())["sub"], "acc-alice-1");
    for bad in [
        ("x-fapi-customer-ip-address", "customer.example"),
        ("x-fapi-auth-date", "last tuesday"),
    ] {
        let response = userinfo(vec![bad]).await;
        assert_eq!(response.status(), 400, "{bad:?}");
        assert_eq!(json(response.body())["error"], "invalid_request");
        assert_eq!(response.headers()["x-fapi-interaction-id"], interaction);
    }
    op.handle.shutdown().await;
}

/// The authorization request of `client_id` with its request object by
/// value (RFC 9101 §5.1), `response_type` and `scope` beside it as OIDC
/// Core §6.1 has them.
fn by_value(client_id: &str, response_type: &str, object: &str) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", client_id)
        .append_pair("response_type", response_type)
        .append_pair("scope", "openid")
        .append_pair("request", object)
        .finish();
    format!("/authorize?{query}")
}

/// Asserts that the authorization request at `path` is answered with the
/// 400 error page (never a redirect) and that the page says `reason`.
async fn assert_refused_at_authorize(op: &Op, path: &str, reason: &str) {
    let response = op.send(false, get(path)).await;
    let page = String::from_utf8_lossy(response.body());
    assert_eq!(response.status(), 400, "{page}");
    assert!(page.contains(reason), "{page}");
}

/// FAPI 1.0 Part 2 §5.2.2-1, RFC 9101 §5.1: with PAR optional, a FAPI 1.0
/// client's signed request object by value at `/authorize` goes through the
/// hybrid flow; the same object a second time is a replay; an unsigned
/// one, or one whose `exp` is too far, is refused before any login.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_object_by_value_at_authorize_fapi1_part2_s5_2_2_1() {
    let (op, _) =
        start_with("[fapi]\nprofile = \"fapi1-advanced\"\nrequire_pushed_authorization_requests = false\n")
            .await;
    let (verifier, challenge) = pkce();
    let state = "st-by-value";
    let object = op
        .request_object(
            FAPI1,
            &challenge,
            json!({"response_type": "code id_token", "state": state, "nonce": "n-by-value"}),
        )
        .await;
    let path = by_value(FAPI1, "code id_token", &object);
    let redirect = Browser::new().authorize_at(&op, &path, true).await;
    let params = fragment(&redirect);
    let code = params["code"].as_str().unwrap();
    assert_eq!(params["state"], state);
    let claims = verify_jws(
        params["id_token"].as_str().unwrap(),
        &op_jwks(&op).await,
        Some("JWT"),
    )
    .unwrap()
    .claims;
    assert_eq!(claims["c_hash"], half_sha256(code));
    assert_eq!(claims["s_hash"], half_sha256(state));
    assert_eq!(claims["nonce"], "n-by-value");
    assert_status(&token_over_mtls(&op, code, &verifier).await, 200);

    // The object's jti is single use (RFC 7519 §4.1.7).
    assert_refused_at_authorize(&op, &path, "already used").await;

    // Unsigned (alg none) and exp more than 60 minutes after nbf (§5.2.2-13).
    let now = now();
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(
            json!({"iss": FAPI1, "aud": ISSUER, "client_id": FAPI1, "nbf": now, "exp": now + 60,
                   "jti": "by-value-none", "response_type": "code id_token", "redirect_uri": REDIRECT,
                   "scope": "openid", "nonce": "n", "state": "s",
                   "code_challenge": challenge, "code_challenge_method": "S256"})
            .to_string()
        )
    );
    let far = op
        .request_object(
            FAPI1,
            &challenge,
            json!({"response_type": "code id_token", "nbf": now, "exp": now + 3601}),
        )
        .await;
    for (object, reason) in [(unsigned, "request object:"), (far, "60 minutes")] {
        assert_refused_at_authorize(&op, &by_value(FAPI1, "code id_token", &object), reason).await;
    }
    // RFC 9101 §6.3 / OIDC Core §6.1: response_type beside the object must agree.
    let object = op
        .request_object(FAPI1, &challenge, json!({"response_type": "code id_token"}))
        .await;
    assert_refused_at_authorize(
        &op,
        &by_value(FAPI1, "code", &object),
        "differs from its value inside",
    )
    .await;
    op.handle.shutdown().await;
}

/// FAPI 2.0 §5.3.2.2: with PAR required (the default), a request object by
/// value is refused, from a FAPI 1.0 client too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_object_by_value_needs_par_to_be_optional_fapi2_s5_3_2_2() {
    let (op, _) = start().await;
    let (_, challenge) = pkce();
    let object = op
        .request_object(FAPI1, &challenge, json!({"response_type": "code id_token"}))
        .await;
    assert_refused_at_authorize(&op, &by_value(FAPI1, "code id_token", &object), "pushed").await;
    op.handle.shutdown().await;
}

/// FAPI 1.0 Part 1 §6.2.1-§6.2.2 at the OP's consent API: a payment consent
/// is created with well-formed customer-presence headers (the interaction
/// id echoed), and a malformed `x-fapi-auth-date` is 400
/// `UK.OBIE.Header.Invalid` naming the header, in the OBIE error shape.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_api_accepts_the_customer_presence_headers_fapi1_part1_s6_2_2() {
    use super::consents::{PAYMENTS, api, cc_token, payment_request};
    let op = Op::start().await;
    let token = cc_token(&op, "payments").await;
    let interaction = "5d2c8d0e-4a8b-4c4f-9d3e-0c7e1d2a9b10";
    let body = payment_request("12.50");
    let call = |key: &'static str, auth_date: &'static str| {
        let mut request = api("POST", PAYMENTS, &token, Some(key), Some(&body));
        let headers = request.headers_mut();
        headers.insert("x-fapi-auth-date", auth_date.parse().unwrap());
        headers.insert("x-fapi-customer-ip-address", "198.51.100.23".parse().unwrap());
        headers.insert("x-fapi-interaction-id", interaction.parse().unwrap());
        op.send(true, request)
    };
    let created = call("fapi-key-1", "Sun, 06 Dec 2026 09:15:00 GMT").await;
    assert_status(&created, 201);
    assert_eq!(created.headers()["x-fapi-interaction-id"], interaction);
    let refused = call("fapi-key-2", "06/12/2026").await;
    assert_eq!(refused.status(), 400);
    let error = json(refused.body());
    assert_eq!(
        error["Errors"][0]["ErrorCode"], "UK.OBIE.Header.Invalid",
        "{error}"
    );
    assert_eq!(error["Errors"][0]["Path"], "x-fapi-auth-date", "{error}");
    assert_eq!(error["Id"], interaction);
    op.handle.shutdown().await;
}
