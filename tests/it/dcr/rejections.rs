//! Registrations refused, each with its RFC 7591 §3.2.2 code.

use super::super::flow::harness::*;
use super::*;
use fiducia_hsm::{JoseAlg, Signer, SoftwareSigner};
use serde_json::json;

fn metadata(statement: &str) -> serde_json::Value {
    json!({
        "software_statement": statement,
        "token_endpoint_auth_method": "tls_client_auth",
        "redirect_uris": [REDIRECT],
        "scope": AISP_SCOPE,
    })
}

/// RFC 7591 §2.3 / §3.2.2: statements that must not register.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_software_statements_are_refused() {
    let dcr = Dcr::start().await;
    let refused = |statement: String| {
        let dcr = &dcr;
        async move { dcr.register_json(metadata(&statement)).await }
    };
    let stranger = SoftwareSigner::generate(JoseAlg::Ps256).unwrap();
    let claims = dcr.ssa_claims(json!({}));

    // Signed by a key the directory does not publish (unknown kid, even
    // after fetching the directory's keys again).
    let unknown_key = fiducia_hsm::sign_jws(&stranger, serde_json::Map::new(), claims.to_string().as_bytes())
        .await
        .unwrap();
    let response = refused(unknown_key).await;
    assert_error(&response, 400, "invalid_software_statement");

    // Signed by another key under the directory's own kid (RFC 7515 §4.1.4).
    let header = json!({"alg": "PS256", "kid": dcr.directory.public_jwk().kid()});
    let forged = sign_with_header(&stranger, &header, &dcr.ssa_claims(json!({}))).await;
    assert_error(&refused(forged).await, 400, "invalid_software_statement");

    // `alg: none` (RFC 8725 §3.1).
    let none = format!(
        "{}.{}.",
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            json!({"alg": "none"}).to_string()
        ),
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            claims.to_string()
        ),
    );
    assert_error(&refused(none).await, 400, "invalid_software_statement");

    // Expired, and issued longer ago than registration.ssa_max_age_secs.
    let expired = dcr.ssa(json!({"iat": now() - 100, "exp": now() - 1})).await;
    assert_error(&refused(expired).await, 400, "invalid_software_statement");
    let old = dcr.ssa(json!({"iat": now() - 400, "exp": now() + 300})).await;
    assert_error(&refused(old).await, 400, "invalid_software_statement");

    // Missing.
    let response = dcr
        .register_json(json!({"token_endpoint_auth_method": "tls_client_auth"}))
        .await;
    assert_error(&response, 400, "invalid_software_statement");

    // A directory we do not trust, and revoked software: unapproved.
    let foreign = dcr.ssa(json!({"iss": "other-directory"})).await;
    assert_error(&refused(foreign).await, 400, "unapproved_software_statement");
    let revoked = dcr.ssa(json!({"software_status": "Revoked"})).await;
    assert_error(&refused(revoked).await, 400, "unapproved_software_statement");

    // Replayed jti: the same statement registers once.
    let statement = dcr.ssa(json!({})).await;
    assert_eq!(refused(statement.clone()).await.status(), 201);
    assert_error(&refused(statement).await, 400, "invalid_software_statement");
}

/// RFC 7591 §3.2.2 `invalid_redirect_uri`: outside the statement's URIs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_uris_outside_the_statement_are_refused() {
    let dcr = Dcr::start().await;
    let mut request = metadata(&dcr.ssa(json!({})).await);
    request["redirect_uris"] = json!(["https://attacker.example/cb"]);
    assert_error(&dcr.register_json(request).await, 400, "invalid_redirect_uri");
    // A scope the statement's roles (AISP) do not allow.
    let mut request = metadata(&dcr.ssa(json!({})).await);
    request["scope"] = json!("openid payments");
    assert_error(&dcr.register_json(request).await, 400, "invalid_client_metadata");
    // FAPI 2.0 §5.3.2.1: no client secrets.
    let mut request = metadata(&dcr.ssa(json!({})).await);
    request["token_endpoint_auth_method"] = json!("client_secret_basic");
    assert_error(&dcr.register_json(request).await, 400, "invalid_client_metadata");
}

/// RFC 8705 §2.1 and the UK certificate profile: the transport certificate
/// must name the statement's software (CN) and organisation (OU).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_of_other_software_is_refused() {
    let dcr = Dcr::start().await;
    // A statement of other software, over the test fintech's certificate.
    let other = dcr.ssa(json!({"software_id": "other-software"})).await;
    assert_error(
        &dcr.register_json(metadata(&other)).await,
        400,
        "unapproved_software_statement",
    );
    // The right statement over another certificate (the gateway's, same CA).
    let statement = dcr.ssa(json!({})).await;
    let response = dcr
        .op
        .send_with_identity(
            &dcr.op.gateway,
            json_request("POST", "/register", None, &metadata(&statement)),
        )
        .await;
    assert_error(&response, 400, "unapproved_software_statement");
    // Without a transport certificate at all.
    let statement = dcr.ssa(json!({})).await;
    let response = dcr
        .op
        .send(
            false,
            json_request("POST", "/register", None, &metadata(&statement)),
        )
        .await;
    assert_error(&response, 400, "invalid_request");
}

/// Fetch failures fail closed: a directory whose keys cannot be fetched
/// verifies nothing (503, retry later), never a registration.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_directory_keys_fail_closed() {
    let dcr = Dcr::start().await;
    let statement = dcr.ssa(json!({"iss": "dead-directory"})).await;
    let response = dcr.register_json(metadata(&statement)).await;
    assert_error(&response, 503, "temporarily_unavailable");
}
