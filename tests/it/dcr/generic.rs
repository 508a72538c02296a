//! The `generic` registration profile (RFC 7591 §2, §2.3, §3.1.1) over
//! real mTLS: a client registering the way a mainstream RFC 7591 library
//! does by default (statement claims under the metadata's own names, keys
//! by value, no statuses), then the FAPI 2.0 flow, RFC 7592 management,
//! and the profile's refusals; and the `uk` profile's status rule.

use super::super::flow::harness::*;
use super::super::support::*;
use super::*;
use fiducia_hsm::{JoseAlg, Signer, SoftwareSigner, sign_jws};
use serde_json::{Map, Value, json};

/// The generic client's own key (not the one the harness's clients share).
pub fn client_key() -> SoftwareSigner {
    SoftwareSigner::generate(JoseAlg::Es256).unwrap()
}

/// The JWKS by value of `key`.
pub fn jwks_of(key: &SoftwareSigner) -> Value {
    json!({ "keys": [key.public_jwk()] })
}

impl Dcr {
    /// A generic-profile statement: RFC 7591 names, `jwks` by value, no
    /// statuses, no org; `overrides` applied (`null` removes).
    pub async fn generic_ssa(&self, key: &SoftwareSigner, overrides: Value) -> String {
        let now = now();
        let mut claims = json!({
            "iss": GENERIC_DIRECTORY, "iat": now, "exp": now + 300,
            "jti": uuid::Uuid::new_v4().to_string(),
            "software_id": "generic-software",
            "client_name": "Generic RP",
            "redirect_uris": [REDIRECT],
            "jwks": jwks_of(key),
            "token_endpoint_auth_method": "private_key_jwt",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "scope": "openid accounts",
        });
        merge(&mut claims, overrides);
        sign_jws(&self.directory, Map::new(), claims.to_string().as_bytes())
            .await
            .unwrap()
    }
}

/// A client assertion (RFC 7523 §3) for `client_id` signed with `key`.
pub async fn assertion(key: &SoftwareSigner, client_id: &str) -> String {
    let now = now();
    let claims = json!({
        "iss": client_id, "sub": client_id, "aud": ISSUER,
        "iat": now, "exp": now + 60, "jti": uuid::Uuid::new_v4().to_string(),
    });
    sign_jws(key, Map::new(), claims.to_string().as_bytes())
        .await
        .unwrap()
}

/// What such a library sends by default beside the statement.
pub fn library_request(statement: &str, key: &SoftwareSigner) -> Value {
    json!({
        "software_statement": statement,
        "redirect_uris": [REDIRECT],
        "jwks": jwks_of(key),
        "token_endpoint_auth_method": "private_key_jwt",
        "token_endpoint_auth_signing_alg": "ES256",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "application_type": "web",
        "dpop_bound_access_tokens": true,
    })
}

/// RFC 7591 §3.1.1 / §2.3 with the generic profile: registration with a
/// library's defaults, then FAPI 2.0 (PAR with private_key_jwt + PKCE,
/// login and consent, token with DPoP, userinfo), then RFC 7592 read,
/// update by sending the registration back, and delete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generic_client_with_library_defaults_registers_and_runs_fapi2() {
    let dcr = Dcr::start().await;
    let key = client_key();
    let statement = dcr.generic_ssa(&key, json!({})).await;
    let response = dcr.register_json(library_request(&statement, &key)).await;
    assert_status(&response, 201);
    let registered = json(response.body());
    let client_id = registered["client_id"].as_str().unwrap().to_string();
    // The statement's values are registered (RFC 7591 §2.3); the keys are
    // the JWKS by value, answered as such; no member is `null`.
    assert_eq!(registered["client_name"], "Generic RP");
    assert_eq!(registered["scope"], "openid accounts");
    assert_eq!(registered["token_endpoint_auth_method"], "private_key_jwt");
    assert_eq!(registered["jwks"], jwks_of(&key));
    assert!(registered.get("jwks_uri").is_none());
    assert!(
        registered.as_object().unwrap().values().all(|v| !v.is_null()),
        "{registered}"
    );

    // FAPI 2.0: PAR with private_key_jwt (the key by value) and PKCE S256,
    // DPoP-bound (RFC 9449 §5.2 registered).
    let dpop = DpopKey::new();
    let (verifier, challenge) = pkce();
    let par = pkjwt_par_for(
        &client_id,
        &assertion(&key, &client_id).await,
        &challenge,
        "openid accounts",
        &[("state", "st-generic"), ("nonce", "n-generic")],
    );
    let proof = dpop.proof("POST", &format!("{ISSUER}/par"), None).await;
    let response = dcr.op.send(false, with_header(par, "dpop", &proof)).await;
    assert_status(&response, 201);
    let request_uri = pushed_request_uri(&response);
    let redirect = Browser::new()
        .authorize(&dcr.op, &client_id, &request_uri, true)
        .await;
    assert_eq!(query_param(&redirect, "iss").as_deref(), Some(ISSUER), "RFC 9207");
    let code = query_param(&redirect, "code").unwrap_or_else(|| panic!("no code: {redirect}"));
    let token = form(
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
            ("client_id", &client_id),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion(&key, &client_id).await),
        ],
    );
    let proof = dpop.proof("POST", &format!("{ISSUER}/token"), None).await;
    let response = dcr.op.send(false, with_header(token, "dpop", &proof)).await;
    assert_status(&response, 200);
    let tokens = json(response.body());
    assert_eq!(tokens["token_type"], "DPoP");
    assert_eq!(tokens["scope"], "openid accounts");
    let access_token = tokens["access_token"].as_str().unwrap().to_string();
    let userinfo = userinfo_dpop(&dcr.op, &access_token, &dpop).await;
    assert_status(&userinfo, 200);

    // RFC 7592 §2.1 read, over the certificate it registered with (the
    // binding `none` compares the subject registered).
    let token = registered["registration_access_token"].as_str().unwrap();
    let path = format!("/register/{client_id}");
    let read = dcr
        .op
        .send(true, json_request("GET", &path, Some(token), &json!({})))
        .await;
    assert_status(&read, 200);
    let read = json(read.body());
    assert_eq!(read["jwks"], jwks_of(&key));
    // Another certificate of the same CA manages nothing (RFC 8705 §3).
    let stranger = brazil_certificate(&dcr.op.pki, "other-software", "other-org");
    let response = dcr
        .op
        .send_with_identity(&stranger, json_request("GET", &path, Some(token), &json!({})))
        .await;
    assert_error(&response, 401, "invalid_token");

    // RFC 7592 §2.2 update: the registration exactly as read, sent back
    // (the server-set members as issued, the statement it holds).
    let update = read.clone();
    let response = dcr
        .op
        .send(true, json_request("PUT", &path, Some(token), &update))
        .await;
    assert_status(&response, 200);
    let updated = json(response.body());
    assert_eq!(updated["jwks"], jwks_of(&key));
    assert_eq!(updated["scope"], "openid accounts");
    assert_eq!(updated["client_name"], "Generic RP");
    // The tokens already issued stay valid (UK OBIE DCR 3.3; RFC 7592 §2.2).
    assert_status(&userinfo_dpop(&dcr.op, &access_token, &dpop).await, 200);

    // RFC 7592 §2.3 delete, with the rotated token: the client and its
    // tokens are gone.
    let token = updated["registration_access_token"].as_str().unwrap();
    let response = dcr
        .op
        .send(true, json_request("DELETE", &path, Some(token), &json!({})))
        .await;
    assert_status(&response, 204);
    assert_eq!(userinfo_dpop(&dcr.op, &access_token, &dpop).await.status(), 401);
    let par = pkjwt_par_for(
        &client_id,
        &assertion(&key, &client_id).await,
        &challenge,
        "openid accounts",
        &[],
    );
    assert_error(&dcr.op.send(false, par).await, 401, "invalid_client");
}

/// A signed registration request (UK OBIE DCR 3.3 shape) of the library
/// request carrying `key`'s JWKS, signed by `signer`.
async fn signed_request(
    signer: &SoftwareSigner,
    key: &SoftwareSigner,
    statement: &str,
) -> http::Request<http_body_util::Full<bytes::Bytes>> {
    let now = now();
    let mut claims = library_request(statement, key);
    merge(
        &mut claims,
        json!({"iss": "generic-software", "aud": ISSUER, "iat": now, "exp": now + 60,
               "jti": uuid::Uuid::new_v4().to_string()}),
    );
    let compact = sign_jws(signer, Map::new(), claims.to_string().as_bytes())
        .await
        .unwrap();
    http::Request::post("https://localhost/register")
        .header("content-type", "application/jwt")
        .body(http_body_util::Full::new(bytes::Bytes::from(compact)))
        .unwrap()
}

/// RFC 7591 §2 `jwks` by value in the request when the statement names no
/// keys; a signed registration request (`application/jwt`) verifies with
/// those keys, and with no other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generic_request_keys_verify_the_signed_request_rfc7591_s2() {
    let dcr = Dcr::start().await;
    let key = client_key();
    let statement = dcr.generic_ssa(&key, json!({"jwks": null})).await;
    // Signed by another key than the JWKS it carries: refused.
    let request = signed_request(&client_key(), &key, &statement).await;
    assert_error(&dcr.op.send(true, request).await, 400, "invalid_client_metadata");
    // Signed by the JWKS's key: registered, with those keys.
    let statement = dcr.generic_ssa(&key, json!({"jwks": null})).await;
    let response = dcr
        .op
        .send(true, signed_request(&key, &key, &statement).await)
        .await;
    assert_status(&response, 201);
    assert_eq!(json(response.body())["jwks"], jwks_of(&key));
}

/// The generic profile's refusals, each with its RFC 7591 §3.2.2 code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generic_profile_refusals_rfc7591_s3_2_2() {
    let dcr = Dcr::start().await;
    let key = client_key();
    // The statement's redirect_uris do not cover the request's (§2.3).
    let statement = dcr.generic_ssa(&key, json!({})).await;
    let mut request = library_request(&statement, &key);
    request["redirect_uris"] = json!(["https://attacker.example/cb"]);
    assert_error(&dcr.register_json(request).await, 400, "invalid_redirect_uri");
    // A statement signed by another key under the directory's kid.
    let stranger = SoftwareSigner::generate(JoseAlg::Ps256).unwrap();
    let now = now();
    let claims = json!({
        "iss": GENERIC_DIRECTORY, "iat": now, "exp": now + 300,
        "jti": uuid::Uuid::new_v4().to_string(), "software_id": "generic-software",
        "redirect_uris": [REDIRECT], "jwks": jwks_of(&key),
    });
    let header = json!({"alg": "PS256", "kid": dcr.directory.public_jwk().kid()});
    let forged = sign_with_header(&stranger, &header, &claims).await;
    let response = dcr.register_json(library_request(&forged, &key)).await;
    assert_error(&response, 400, "invalid_software_statement");
    // A status present and not Active (optional, but binding when given).
    let statement = dcr.generic_ssa(&key, json!({"software_status": "Revoked"})).await;
    let response = dcr.register_json(library_request(&statement, &key)).await;
    assert_error(&response, 400, "unapproved_software_statement");
    // A private key by value in the request (the statement names no keys).
    let statement = dcr.generic_ssa(&key, json!({"jwks": null})).await;
    let mut request = library_request(&statement, &key);
    let mut private = jwks_of(&key);
    private["keys"][0]["d"] = json!("AAAA");
    request["jwks"] = private;
    assert_error(&dcr.register_json(request).await, 400, "invalid_client_metadata");
    // FAPI policy still applies: no client secrets (FAPI 2.0 §5.3.2.1).
    let statement = dcr
        .generic_ssa(&key, json!({"token_endpoint_auth_method": "client_secret_basic"}))
        .await;
    let response = dcr.register_json(library_request(&statement, &key)).await;
    assert_error(&response, 400, "invalid_client_metadata");
    // Registration still needs a certificate of tls.client_ca (mTLS).
    let statement = dcr.generic_ssa(&key, json!({})).await;
    let response = dcr
        .op
        .send(
            false,
            json_request("POST", "/register", None, &library_request(&statement, &key)),
        )
        .await;
    assert_error(&response, 400, "invalid_request");
}

/// OBIE DCR 3.3 under the `uk` profile: `software_status` / `org_status`
/// are checked when present — a statement without them registers, one
/// with `software_status` not Active is still refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uk_statuses_are_checked_when_present_obie_dcr_3_3() {
    let dcr = Dcr::start().await;
    let metadata = |statement: String| {
        json!({
            "software_statement": statement,
            "token_endpoint_auth_method": "tls_client_auth",
            "redirect_uris": [REDIRECT],
            "scope": AISP_SCOPE,
        })
    };
    let without = dcr
        .ssa(json!({"software_status": null, "org_status": null}))
        .await;
    assert_status(&dcr.register_json(metadata(without)).await, 201);
    for status in ["Inactive", "Revoked"] {
        let statement = dcr.ssa(json!({"software_status": status})).await;
        let response = dcr.register_json(metadata(statement)).await;
        assert_error(&response, 400, "unapproved_software_statement");
    }
    // The uk profile refuses keys by value (its keys are the directory's).
    let key = client_key();
    let mut request = metadata(dcr.ssa(json!({})).await);
    request["jwks"] = jwks_of(&key);
    assert_error(&dcr.register_json(request).await, 400, "invalid_client_metadata");
}
