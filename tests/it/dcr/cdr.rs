//! The `cdr` registration profile (Australia's Consumer Data Right: the
//! CDR Register's software statement, the Consumer Data Standards' DCR)
//! over real mTLS: a software product registers with a JWT signed by a key
//! of its statement's `jwks_uri`, runs the flow with `private_key_jwt` and
//! a certificate-bound token, and decrypts its ID token with its own RSA
//! key (OIDC Core §10.2); then RFC 7592 read, update by signing the
//! registration back unchanged, and delete; and the profile's refusals.

use super::super::flow::harness::*;
use super::super::flow::id_token_encryption::{ENC_KID, client_encryption_key, decrypt};
use super::super::support::*;
use super::*;
use aws_lc_rs::rsa::OaepPrivateDecryptingKey;
use fiducia::protocol::jose::{PublicJwk, verify_jws};
use fiducia_hsm::sign_jws;
use serde_json::{Map, Value, json};

const PRODUCT: &str = "cdr-product-1";
const BRAND: &str = "cdr-brand-1";

/// The product's keys: the harness's signing key (the registration
/// request, client assertions) and an RSA encryption key (its ID tokens).
struct Product {
    decryption: OaepPrivateDecryptingKey,
}

impl Dcr {
    fn cdr_jwks_uri(&self) -> String {
        format!("{}/cdr/jwks", self.host)
    }

    /// Serves the product's JWKS: the signing key, and the encryption key
    /// unless `with_encryption_key` is false.
    fn cdr_product(&self, with_encryption_key: bool) -> Product {
        let (decryption, enc_jwk) = client_encryption_key();
        let mut keys = vec![serde_json::to_value(self.op.client_key.public_jwk()).unwrap()];
        if with_encryption_key {
            keys.push(enc_jwk);
        }
        self.documents
            .lock()
            .unwrap()
            .insert("/cdr/jwks".into(), json!({ "keys": keys }).to_string());
        Product { decryption }
    }

    /// A CDR Register statement for [`PRODUCT`], `overrides` applied
    /// (`null` removes).
    async fn cdr_ssa(&self, overrides: Value) -> String {
        let now = now();
        let mut claims = json!({
            "iss": CDR_DIRECTORY, "iat": now, "exp": now + 300,
            "jti": uuid::Uuid::new_v4().to_string(),
            "legal_entity_id": "le-cdr-1", "legal_entity_name": "Budget Helper Pty Ltd",
            "org_id": BRAND, "org_name": "Budget Helper",
            "client_name": "Budget Helper App", "client_description": "Budgets from your accounts",
            "client_uri": "https://budget.example",
            "software_id": PRODUCT, "software_roles": "data-recipient-software-product",
            "redirect_uris": [REDIRECT],
            "jwks_uri": self.cdr_jwks_uri(),
            "revocation_uri": "https://budget.example/arrangements/revoke",
            "recipient_base_uri": "https://budget.example",
            "scope": "openid accounts",
        });
        merge(&mut claims, overrides);
        sign_jws(&self.directory, Map::new(), claims.to_string().as_bytes())
            .await
            .unwrap()
    }

    /// The registration claims a CDR product sends, `overrides` applied.
    async fn cdr_metadata(&self, overrides: Value) -> Value {
        let mut metadata = json!({
            "software_statement": self.cdr_ssa(json!({})).await,
            "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "private_key_jwt",
            "token_endpoint_auth_signing_alg": "ES256",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "application_type": "web",
            "id_token_signed_response_alg": "ES256",
            "id_token_encrypted_response_alg": "RSA-OAEP-256",
            "id_token_encrypted_response_enc": "A256GCM",
            "request_object_signing_alg": "ES256",
        });
        merge(&mut metadata, overrides);
        metadata
    }

    /// CDS DCR "Registration Request using JWT": `metadata` signed by the
    /// harness's key with `iss` = the product, `aud` = the issuer.
    async fn cdr_signed(&self, metadata: &Value) -> String {
        let now = now();
        let mut claims = metadata.clone();
        merge(
            &mut claims,
            json!({"iss": PRODUCT, "aud": ISSUER, "iat": now, "exp": now + 60,
                   "jti": uuid::Uuid::new_v4().to_string()}),
        );
        sign_jws(
            self.op.client_key.as_ref(),
            Map::new(),
            claims.to_string().as_bytes(),
        )
        .await
        .unwrap()
    }

    /// Sends a signed registration request over the fintech's certificate.
    async fn cdr_send(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        compact: String,
    ) -> Response<Bytes> {
        let mut request = http::Request::builder()
            .method(method)
            .uri(format!("https://localhost{path}"))
            .header("content-type", "application/jwt");
        if let Some(token) = bearer {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let request = request
            .body(http_body_util::Full::new(Bytes::from(compact)))
            .unwrap();
        self.op.send(true, request).await
    }

    async fn cdr_register(&self, metadata: &Value) -> Response<Bytes> {
        self.cdr_send("POST", "/register", None, self.cdr_signed(metadata).await)
            .await
    }
}

/// PAR → login/consent → token with `private_key_jwt` over the fintech's
/// certificate (RFC 8705 §3: the token is bound to it); the token response.
async fn private_key_jwt_flow(op: &Op, client_id: &str) -> Value {
    let (verifier, challenge) = pkce();
    let par = pkjwt_par_for(
        client_id,
        &op.assertion(client_id, json!({})).await,
        &challenge,
        "openid accounts",
        &[("nonce", "n-cdr-registered")],
    );
    let response = op.send(true, par).await;
    assert_status(&response, 201);
    let request_uri = pushed_request_uri(&response);
    let redirect = Browser::new().authorize(op, client_id, &request_uri, true).await;
    let code = query_param(&redirect, "code").unwrap_or_else(|| panic!("no code: {redirect}"));
    let token = form(
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
            ("client_id", client_id),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &op.assertion(client_id, json!({})).await),
        ],
    );
    let response = op.send(true, token).await;
    assert_status(&response, 200);
    json(response.body())
}

/// CDS DCR with the CDR Register's statement: a signed registration, the
/// flow with an ID token encrypted to the product (OIDC Core §10.2: the
/// test decrypts it with the product's key and verifies the inner JWS with
/// the OP's `/jwks`), RFC 7592 §2.1 read, §2.2 update signing the
/// registration back unchanged (a JSON update is refused), one
/// registration per product, §2.3 delete and a new registration after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cdr_product_registers_with_a_signed_request_and_gets_encrypted_id_tokens() {
    let dcr = Dcr::start().await;
    let product = dcr.cdr_product(true);
    let response = dcr.cdr_register(&dcr.cdr_metadata(json!({})).await).await;
    assert_status(&response, 201);
    let registered = json(response.body());
    let client_id = registered["client_id"].as_str().unwrap().to_string();
    assert_eq!(registered["client_name"], "Budget Helper App");
    assert_eq!(registered["jwks_uri"], dcr.cdr_jwks_uri());
    assert_eq!(registered["scope"], "openid accounts");
    assert_eq!(registered["software_id"], PRODUCT);
    assert_eq!(registered["id_token_encrypted_response_alg"], "RSA-OAEP-256");
    assert_eq!(registered["id_token_encrypted_response_enc"], "A256GCM");
    assert!(registered.get("id_token_encryption").is_none(), "{registered}");
    // The Register's members, kept from the statement and answered.
    assert_eq!(
        registered["revocation_uri"],
        "https://budget.example/arrangements/revoke"
    );
    assert_eq!(registered["recipient_base_uri"], "https://budget.example");
    assert_eq!(registered["legal_entity_id"], "le-cdr-1");
    assert!(
        registered.as_object().unwrap().values().all(|v| !v.is_null()),
        "{registered}"
    );

    let tokens = private_key_jwt_flow(&dcr.op, &client_id).await;
    assert_eq!(tokens["token_type"], "Bearer", "certificate-bound (RFC 8705 §3)");
    let id_token = tokens["id_token"].as_str().unwrap();
    assert_eq!(id_token.split('.').count(), 5, "RFC 7516 §7.1: {id_token}");
    let op_keys: Vec<PublicJwk> =
        serde_json::from_value(json(dcr.op.send(false, get("/jwks")).await.body())["keys"].clone()).unwrap();
    assert!(
        verify_jws(id_token, &op_keys, Some("JWT")).is_err(),
        "not readable in the clear"
    );
    let (header, inner) = decrypt(id_token, &product.decryption).expect("the product's key opens it");
    assert_eq!(
        header,
        json!({"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": ENC_KID, "cty": "JWT"})
    );
    let claims = verify_jws(&inner, &op_keys, Some("JWT")).unwrap().claims;
    assert_eq!(claims["aud"], client_id.as_str());
    assert_eq!(claims["nonce"], "n-cdr-registered");
    let access_token = tokens["access_token"].as_str().unwrap().to_string();
    assert_status(&userinfo_mtls(&dcr.op, &access_token).await, 200);

    // One registration per software product: a second, fresh statement
    // and all, is refused.
    let response = dcr.cdr_register(&dcr.cdr_metadata(json!({})).await).await;
    assert_error(&response, 400, "invalid_client_metadata");

    // RFC 7592 §2.1 read.
    let path = format!("/register/{client_id}");
    let token = registered["registration_access_token"].as_str().unwrap();
    let read = dcr
        .op
        .send(true, json_request("GET", &path, Some(token), &json!({})))
        .await;
    assert_status(&read, 200);
    let read = json(read.body());
    assert_eq!(read["id_token_encrypted_response_alg"], "RSA-OAEP-256");
    // A JSON update is refused here: the product signs its requests.
    let response = dcr
        .op
        .send(true, json_request("PUT", &path, Some(token), &read))
        .await;
    assert_error(&response, 400, "invalid_client_metadata");
    // RFC 7592 §2.2: the registration as read, signed back unchanged.
    let response = dcr
        .cdr_send("PUT", &path, Some(token), dcr.cdr_signed(&read).await)
        .await;
    assert_status(&response, 200);
    let updated = json(response.body());
    assert_eq!(updated["client_id"], client_id.as_str());
    assert_eq!(updated["id_token_encrypted_response_enc"], "A256GCM");
    assert_eq!(updated["revocation_uri"], read["revocation_uri"]);
    assert_ne!(
        updated["registration_access_token"],
        read["registration_access_token"]
    );
    assert_status(&userinfo_mtls(&dcr.op, &access_token).await, 200);

    // RFC 7592 §2.3: deleted, its tokens go, and the product registers again.
    let token = updated["registration_access_token"].as_str().unwrap();
    let response = dcr
        .op
        .send(true, json_request("DELETE", &path, Some(token), &json!({})))
        .await;
    assert_status(&response, 204);
    assert_eq!(userinfo_mtls(&dcr.op, &access_token).await.status(), 401);
    let response = dcr.cdr_register(&dcr.cdr_metadata(json!({})).await).await;
    assert_status(&response, 201);
    assert_ne!(json(response.body())["client_id"], client_id.as_str());
}

/// The cdr profile's refusals, each with its RFC 7591 §3.2.2 code; none of
/// them registers anything, so the product registers afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cdr_refusals_rfc7591_s3_2_2() {
    let dcr = Dcr::start().await;
    dcr.cdr_product(true);
    // A JSON body (CDS DCR: the request is a signed JWT).
    let response = dcr.register_json(dcr.cdr_metadata(json!({})).await).await;
    assert_error(&response, 400, "invalid_client_metadata");
    assert!(
        json(response.body())["error_description"]
            .as_str()
            .unwrap()
            .contains("signed request")
    );
    // Signed by a key the statement's jwks_uri does not hold.
    let stranger = fiducia_hsm::SoftwareSigner::generate(fiducia_hsm::JoseAlg::Ps256).unwrap();
    let now = now();
    let mut claims = dcr.cdr_metadata(json!({})).await;
    merge(
        &mut claims,
        json!({"iss": PRODUCT, "aud": ISSUER, "iat": now, "exp": now + 60, "jti": "j-stranger"}),
    );
    let forged = sign_jws(&stranger, Map::new(), claims.to_string().as_bytes())
        .await
        .unwrap();
    assert_error(
        &dcr.cdr_send("POST", "/register", None, forged).await,
        400,
        "invalid_client_metadata",
    );
    // Another jwks_uri than the statement's, or keys by value.
    for keys in [
        json!({"jwks_uri": "https://elsewhere.example/jwks"}),
        json!({"jwks": { "keys": [dcr.op.client_key.public_jwk()] }}),
    ] {
        let metadata = dcr.cdr_metadata(keys.clone()).await;
        assert_error(&dcr.cdr_register(&metadata).await, 400, "invalid_client_metadata");
    }
    // Without ID token encryption, or with an enc the OP does not produce.
    for encryption in [
        json!({"id_token_encrypted_response_alg": null, "id_token_encrypted_response_enc": null}),
        json!({"id_token_encrypted_response_enc": null}),
        json!({"id_token_encrypted_response_alg": "RSA1_5"}),
        json!({"id_token_encrypted_response_enc": "A128CBC-HS256"}),
    ] {
        let metadata = dcr.cdr_metadata(encryption.clone()).await;
        let response = dcr.cdr_register(&metadata).await;
        assert_error(&response, 400, "invalid_client_metadata");
    }
    // A statement without the Register's claims, or for another role.
    for claims in [
        json!({"recipient_base_uri": null}),
        json!({"legal_entity_id": null}),
        json!({"software_roles": "data-holder-brand"}),
    ] {
        let statement = dcr.cdr_ssa(claims.clone()).await;
        let metadata = dcr.cdr_metadata(json!({"software_statement": statement})).await;
        assert_error(
            &dcr.cdr_register(&metadata).await,
            400,
            "invalid_software_statement",
        );
    }
    // None of these registered: the product registers now.
    assert_status(&dcr.cdr_register(&dcr.cdr_metadata(json!({})).await).await, 201);
}

/// OIDC Core §10.2: a product whose keys hold no RSA encryption key
/// cannot register for encrypted ID tokens (it could never be given one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cdr_keys_without_an_encryption_key_are_refused() {
    let dcr = Dcr::start().await;
    dcr.cdr_product(false);
    let response = dcr.cdr_register(&dcr.cdr_metadata(json!({})).await).await;
    assert_error(&response, 400, "invalid_client_metadata");
    assert!(
        json(response.body())["error_description"]
            .as_str()
            .unwrap()
            .contains("encryption key")
    );
    dcr.cdr_product(true);
    assert_status(&dcr.cdr_register(&dcr.cdr_metadata(json!({})).await).await, 201);
}
