//! Registration that succeeds (RFC 7591 §3.2.1), then the FAPI 2.0 flow
//! with the new client.

use super::super::flow::harness::*;
use super::super::support::*;
use super::*;
use fiducia_hsm::sign_jws;
use serde_json::{Map, json};

/// RFC 7591 §3.2.1 + RFC 8705 §2.1: a JSON registration over mTLS with a
/// statement; the `tls_client_auth` client then runs PAR → login/consent →
/// token and gets a certificate-bound token (FAPI 2.0 §5.3.2.1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registers_with_a_statement_then_runs_the_fapi2_flow() {
    let dcr = Dcr::start().await;
    // RFC 8414 §2: discovery names the endpoint.
    let metadata = json(
        dcr.op
            .send(false, get("/.well-known/openid-configuration"))
            .await
            .body(),
    );
    assert_eq!(metadata["registration_endpoint"], format!("{ISSUER}/register"));

    let statement = dcr.ssa(json!({})).await;
    let response = dcr
        .register_json(json!({
            "software_statement": statement,
            "token_endpoint_auth_method": "tls_client_auth",
            "redirect_uris": [REDIRECT],
            "scope": AISP_SCOPE,
            "client_name": "ignored: the statement's name wins",
        }))
        .await;
    assert_status(&response, 201);
    let body = json(response.body());
    let client_id = body["client_id"].as_str().unwrap().to_string();
    assert!(uuid::Uuid::parse_str(&client_id).is_ok());
    assert!(body["registration_access_token"].as_str().unwrap().len() >= 43);
    assert_eq!(
        body["registration_client_uri"],
        format!("{ISSUER}/register/{client_id}")
    );
    // The statement is echoed unchanged; its values win (RFC 7591 §2.3).
    assert_eq!(body["software_statement"], statement.as_str());
    assert_eq!(body["software_id"], FINTECH);
    assert_eq!(body["client_name"], "Test Fintech App");
    assert_eq!(body["jwks_uri"], format!("{}/software/jwks", dcr.host));
    assert_eq!(body["scope"], AISP_SCOPE);
    // RFC 8705 §2.1.2: the transport certificate's subject is registered.
    assert_eq!(
        body["tls_client_auth_subject_dn"],
        format!("CN={FINTECH},OU={ORG},O={ORG},C=GB")
    );

    let tokens = mtls_flow(&dcr.op, &client_id, AISP_SCOPE).await;
    assert_eq!(tokens["token_type"], "Bearer", "RFC 8705 §3: certificate-bound");
    assert_eq!(tokens["scope"], AISP_SCOPE);
    let userinfo = userinfo_mtls(&dcr.op, tokens["access_token"].as_str().unwrap()).await;
    assert_status(&userinfo, 200);
    assert_eq!(json(userinfo.body())["sub"], "acc-alice-1");
}

/// UK OBIE DCR 3.3: the request as a JWS (`application/jwt`) signed with a
/// key of the software's JWKS; the `private_key_jwt` client then pushes an
/// authorization request with an assertion verified against the keys at
/// its `jwks_uri` (the statement's `software_jwks_endpoint`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_registration_request_registers_a_private_key_jwt_client() {
    let dcr = Dcr::start().await;
    let now = now();
    let claims = json!({
        "iss": FINTECH, "aud": ISSUER, "iat": now, "exp": now + 60,
        "jti": uuid::Uuid::new_v4().to_string(),
        "software_statement": dcr.ssa(json!({})).await,
        "token_endpoint_auth_method": "private_key_jwt",
        "token_endpoint_auth_signing_alg": "ES256",
        "redirect_uris": [REDIRECT],
        "scope": AISP_SCOPE,
    });
    let signed = sign_jws(
        dcr.op.client_key.as_ref(),
        Map::new(),
        claims.to_string().as_bytes(),
    )
    .await
    .unwrap();
    let request = http::Request::post("https://localhost/register")
        .header("content-type", "application/jwt")
        .body(http_body_util::Full::new(bytes::Bytes::from(signed.clone())))
        .unwrap();
    let response = dcr.op.send(true, request).await;
    assert_status(&response, 201);
    let client_id = json(response.body())["client_id"].as_str().unwrap().to_string();

    let (_, challenge) = pkce();
    let assertion = dcr.op.assertion(&client_id, json!({})).await;
    let par = pkjwt_par_for(&client_id, &assertion, &challenge, AISP_SCOPE, &[]);
    let response = dcr.op.send(false, par).await;
    assert_status(&response, 201);

    // The same signed request again: its statement was used (jti single use).
    let again = http::Request::post("https://localhost/register")
        .header("content-type", "application/jwt")
        .body(http_body_util::Full::new(bytes::Bytes::from(signed)))
        .unwrap();
    assert_error(&dcr.op.send(true, again).await, 400, "invalid_software_statement");

    // RFC 7591 §2: a registered token_endpoint_auth_signing_alg is the only
    // one accepted; this client registers PS256 but its key is ES256.
    let response = dcr
        .register_json(json!({
            "software_statement": dcr.ssa(json!({})).await,
            "token_endpoint_auth_method": "private_key_jwt",
            "token_endpoint_auth_signing_alg": "PS256",
        }))
        .await;
    assert_status(&response, 201);
    let ps256_client = json(response.body())["client_id"].as_str().unwrap().to_string();
    let assertion = dcr.op.assertion(&ps256_client, json!({})).await;
    let par = pkjwt_par_for(&ps256_client, &assertion, &challenge, AISP_SCOPE, &[]);
    let response = dcr.op.send(false, par).await;
    assert_error(&response, 401, "invalid_client");
    let description = json(response.body())["error_description"].to_string();
    assert!(
        description.contains("token_endpoint_auth_signing_alg"),
        "{description}"
    );

    // OIDC Registration §2: likewise request_object_signing_alg for JAR.
    let response = dcr
        .register_json(json!({
            "software_statement": dcr.ssa(json!({})).await,
            "token_endpoint_auth_method": "private_key_jwt",
            "request_object_signing_alg": "PS256",
        }))
        .await;
    assert_status(&response, 201);
    let jar_client = json(response.body())["client_id"].as_str().unwrap().to_string();
    let object = dcr.op.request_object(&jar_client, &challenge, json!({})).await;
    let response = dcr.op.push_request_object(&jar_client, &object, &[]).await;
    assert_error(&response, 400, "invalid_request_object");
    let description = json(response.body())["error_description"].to_string();
    assert!(
        description.contains("request_object_signing_alg"),
        "{description}"
    );
}

/// The directory rotated its key: a statement under the new `kid` makes the
/// OP fetch the directory's JWKS again, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_directory_kid_fetches_the_directory_keys_again() {
    let mut dcr = Dcr::start().await;
    // Cache the current keys.
    dcr.register_mtls_client().await;
    let new_key = fiducia_hsm::SoftwareSigner::generate(fiducia_hsm::JoseAlg::Es256).unwrap();
    dcr.documents.lock().unwrap().insert(
        "/directory/jwks".into(),
        json!({ "keys": [dcr.directory.public_jwk(), new_key.public_jwk()] }).to_string(),
    );
    dcr.directory = new_key;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    dcr.register_mtls_client().await;
}

/// RFC 9449 §5.2: a client registered with `dpop_bound_access_tokens`
/// gets no token without a DPoP proof, and a DPoP-bound one with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dpop_bound_access_tokens_are_enforced() {
    let dcr = Dcr::start().await;
    let response = dcr
        .register_json(json!({
            "software_statement": dcr.ssa(json!({})).await,
            "token_endpoint_auth_method": "tls_client_auth",
            "dpop_bound_access_tokens": true,
            "scope": "accounts",
        }))
        .await;
    assert_status(&response, 201);
    let client_id = json(response.body())["client_id"].as_str().unwrap().to_string();
    let token = || {
        form(
            "/token",
            &[("grant_type", "client_credentials"), ("client_id", &client_id)],
        )
    };
    assert_error(&dcr.op.send(true, token()).await, 400, "invalid_request");
    let dpop = DpopKey::new();
    let proof = dpop.proof("POST", &format!("{ISSUER}/token"), None).await;
    let response = dcr.op.send(true, with_header(token(), "dpop", &proof)).await;
    assert_status(&response, 200);
    assert_eq!(json(response.body())["token_type"], "DPoP");
}

/// The Brazil binding (`certificate_binding = "brazil"`): UID =
/// software_id and organizationIdentifier (2.5.4.97) = `OFBBR-<org_id>`;
/// the registered subject DN (with UID and the OID) then authenticates the
/// client at PAR (RFC 8705 §2.1.2, RFC 4517 matching).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brazil_binding_registers_uid_and_organization_identifier() {
    let dcr = Dcr::start().await;
    let identity = brazil_certificate(&dcr.op.pki, "soft-br", "org-br");
    let statement = dcr
        .ssa(json!({"iss": BR_DIRECTORY, "software_id": "soft-br", "org_id": "org-br", "software_roles": ["DADOS"]}))
        .await;
    let metadata = json!({
        "software_statement": statement,
        "token_endpoint_auth_method": "tls_client_auth",
        "redirect_uris": [REDIRECT],
    });
    let response = dcr
        .op
        .send_with_identity(&identity, json_request("POST", "/register", None, &metadata))
        .await;
    assert_status(&response, 201);
    let body = json(response.body());
    assert_eq!(body["scope"], "openid accounts");
    // RFC 4514, last RDN first (rcgen puts CN first in the certificate).
    assert_eq!(
        body["tls_client_auth_subject_dn"],
        "UID=soft-br,2.5.4.97=OFBBR-org-br,O=Fintech Brasil SA,C=BR,CN=fintech.example.br"
    );
    let client_id = body["client_id"].as_str().unwrap();
    let (_, challenge) = pkce();
    let par = cert_par(client_id, &challenge, "openid accounts");
    let response = dcr.op.send_with_identity(&identity, par).await;
    assert_status(&response, 201);

    // A UK-profile certificate (CN/OU) names nothing under this binding.
    let statement = dcr
        .ssa(json!({"iss": BR_DIRECTORY, "software_roles": ["DADOS"]}))
        .await;
    let response = dcr
        .register_json(
            json!({"software_statement": statement, "token_endpoint_auth_method": "tls_client_auth"}),
        )
        .await;
    assert_error(&response, 400, "unapproved_software_statement");
}
