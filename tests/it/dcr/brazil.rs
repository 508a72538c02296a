//! The `brazil` registration profile (Open Finance Brasil DCR 1.0) over
//! real mTLS: statements in the Directory of Participants' shape
//! (`software_jwks_uri`, `software_redirect_uris`, `software_roles`),
//! transport certificates with UID = software_id and organizationIdentifier
//! (2.5.4.97) = `OFBBR-<org_id>`; registration, the FAPI 2.0 flow, RFC 7592
//! read / update sent back unchanged / delete, and the profile's refusals.

use super::super::flow::harness::*;
use super::super::support::*;
use super::*;
use fiducia_hsm::sign_jws;
use serde_json::{Map, Value, json};

const SOFTWARE: &str = "soft-ofb";
const ORGANISATION: &str = "org-ofb";

impl Dcr {
    /// The statement's `software_jwks_uri`: the software's keys.
    fn ofb_jwks_uri(&self) -> String {
        format!("{}/software/jwks", self.host)
    }

    /// A Brazilian statement for [`SOFTWARE`], `overrides` applied (`null`
    /// removes).
    async fn ofb_ssa(&self, overrides: Value) -> String {
        let now = now();
        let mut claims = json!({
            "iss": OFB_DIRECTORY, "iat": now, "exp": now + 300,
            "jti": uuid::Uuid::new_v4().to_string(),
            "software_id": SOFTWARE, "org_id": ORGANISATION, "org_name": "Fintech Brasil SA",
            "software_client_id": "directory-side-id",
            "software_client_name": "Fintech BR",
            "software_redirect_uris": [REDIRECT],
            "software_roles": ["DADOS"],
            "software_jwks_uri": self.ofb_jwks_uri(),
            "software_status": "Active", "org_status": "Active",
        });
        merge(&mut claims, overrides);
        sign_jws(&self.directory, Map::new(), claims.to_string().as_bytes())
            .await
            .unwrap()
    }

    /// A `tls_client_auth` registration request with `jwks_uri`.
    async fn ofb_request(&self, jwks_uri: &str) -> Value {
        json!({
            "software_statement": self.ofb_ssa(json!({})).await,
            "token_endpoint_auth_method": "tls_client_auth",
            "redirect_uris": [REDIRECT],
            "jwks_uri": jwks_uri,
            "scope": "openid accounts",
        })
    }

    async fn ofb_register(&self, identity: &(String, String), body: &Value) -> http::Response<bytes::Bytes> {
        self.op
            .send_with_identity(identity, json_request("POST", "/register", None, body))
            .await
    }
}

/// Open Finance Brasil DCR 1.0 §7.1: registration with the statement's
/// `software_jwks_uri` over a certificate naming the software (UID) and its
/// organisation (2.5.4.97), the FAPI 2.0 flow, RFC 7592 §2.1 read, §2.2
/// update sending the registration back unchanged; one registration per
/// software (a second POST is `invalid_client_metadata`) until the first
/// is deleted (RFC 7592 §2.3).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brazil_software_registers_once_and_manages_its_registration() {
    let dcr = Dcr::start().await;
    let identity = brazil_certificate(&dcr.op.pki, SOFTWARE, ORGANISATION);
    let response = dcr
        .ofb_register(&identity, &dcr.ofb_request(&dcr.ofb_jwks_uri()).await)
        .await;
    assert_status(&response, 201);
    let registered = json(response.body());
    let client_id = registered["client_id"].as_str().unwrap().to_string();
    assert_eq!(registered["client_name"], "Fintech BR");
    assert_eq!(registered["jwks_uri"], dcr.ofb_jwks_uri());
    assert_eq!(registered["scope"], "openid accounts");
    assert_eq!(registered["software_id"], SOFTWARE);
    // Our client_id, not the directory's software_client_id (RFC 7591 §3.2.1).
    assert_ne!(client_id, "directory-side-id");
    assert_eq!(
        registered["tls_client_auth_subject_dn"],
        "UID=soft-ofb,2.5.4.97=OFBBR-org-ofb,O=Fintech Brasil SA,C=BR,CN=fintech.example.br"
    );
    let tokens = mtls_flow_as(&dcr.op, Some(&identity), &client_id, "openid accounts").await;
    let access_token = tokens["access_token"].as_str().unwrap().to_string();
    assert_status(
        &userinfo_mtls_as(&dcr.op, Some(&identity), &access_token).await,
        200,
    );

    // A second registration of the same software, fresh statement and all:
    // refused, and nothing else registered.
    let response = dcr
        .ofb_register(&identity, &dcr.ofb_request(&dcr.ofb_jwks_uri()).await)
        .await;
    assert_error(&response, 400, "invalid_client_metadata");
    assert!(
        json(response.body())["error_description"]
            .as_str()
            .unwrap()
            .contains("already has a registration"),
        "{}",
        String::from_utf8_lossy(response.body())
    );

    // RFC 7592 §2.1 read, then §2.2 update with the registration as read.
    let path = format!("/register/{client_id}");
    let token = registered["registration_access_token"].as_str().unwrap();
    let read = dcr
        .op
        .send_with_identity(&identity, json_request("GET", &path, Some(token), &json!({})))
        .await;
    assert_status(&read, 200);
    let read = json(read.body());
    assert_eq!(read["client_id"], client_id.as_str());
    assert_eq!(read["jwks_uri"], dcr.ofb_jwks_uri());
    let response = dcr
        .op
        .send_with_identity(&identity, json_request("PUT", &path, Some(token), &read))
        .await;
    assert_status(&response, 200);
    let updated = json(response.body());
    assert_eq!(updated["client_id"], client_id.as_str());
    assert_eq!(updated["jwks_uri"], dcr.ofb_jwks_uri());
    assert_eq!(updated["scope"], "openid accounts");
    assert_ne!(
        updated["registration_access_token"],
        read["registration_access_token"]
    );
    // The update changed the registration, it did not add one.
    assert_status(
        &userinfo_mtls_as(&dcr.op, Some(&identity), &access_token).await,
        200,
    );

    // RFC 7592 §2.3: once deleted, the software may register again.
    let token = updated["registration_access_token"].as_str().unwrap();
    let response = dcr
        .op
        .send_with_identity(&identity, json_request("DELETE", &path, Some(token), &json!({})))
        .await;
    assert_status(&response, 204);
    let response = dcr
        .ofb_register(&identity, &dcr.ofb_request(&dcr.ofb_jwks_uri()).await)
        .await;
    assert_status(&response, 201);
    assert_ne!(json(response.body())["client_id"], client_id.as_str());
}

/// Open Finance Brasil DCR 1.0 §7.1 refusals: a request `jwks_uri` other
/// than the statement's `software_jwks_uri` (`invalid_client_metadata`);
/// a certificate of another software, or of the UK shape (CN/OU), under
/// the brazil binding (`unapproved_software_statement`). None of them
/// registers, so the software still registers afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brazil_refuses_other_keys_and_other_certificates() {
    let dcr = Dcr::start().await;
    let identity = brazil_certificate(&dcr.op.pki, SOFTWARE, ORGANISATION);
    let response = dcr
        .ofb_register(
            &identity,
            &dcr.ofb_request("https://elsewhere.example/jwks").await,
        )
        .await;
    assert_error(&response, 400, "invalid_client_metadata");
    assert!(
        json(response.body())["error_description"]
            .as_str()
            .unwrap()
            .contains("software_jwks_uri")
    );

    // Keys by value are not taken from the request either.
    let mut by_value = dcr.ofb_request(&dcr.ofb_jwks_uri()).await;
    by_value.as_object_mut().unwrap().remove("jwks_uri");
    by_value["jwks"] = json!({ "keys": [dcr.op.client_key.public_jwk()] });
    assert_error(
        &dcr.ofb_register(&identity, &by_value).await,
        400,
        "invalid_client_metadata",
    );

    // Another software's certificate (same CA, same organisation).
    let other = brazil_certificate(&dcr.op.pki, "other-software", ORGANISATION);
    let response = dcr
        .ofb_register(&other, &dcr.ofb_request(&dcr.ofb_jwks_uri()).await)
        .await;
    assert_error(&response, 400, "unapproved_software_statement");
    // Another organisation's.
    let other = brazil_certificate(&dcr.op.pki, SOFTWARE, "other-org");
    let response = dcr
        .ofb_register(&other, &dcr.ofb_request(&dcr.ofb_jwks_uri()).await)
        .await;
    assert_error(&response, 400, "unapproved_software_statement");
    // The UK-shaped certificate of the test fintech.
    let response = dcr
        .register_json(dcr.ofb_request(&dcr.ofb_jwks_uri()).await)
        .await;
    assert_error(&response, 400, "unapproved_software_statement");

    // A UK-shaped statement (software_jwks_endpoint) is not a Brazilian one.
    let statement = dcr
        .ofb_ssa(json!({"software_jwks_uri": null, "software_jwks_endpoint": dcr.ofb_jwks_uri()}))
        .await;
    let mut request = dcr.ofb_request(&dcr.ofb_jwks_uri()).await;
    request["software_statement"] = json!(statement);
    assert_error(
        &dcr.ofb_register(&identity, &request).await,
        400,
        "invalid_software_statement",
    );

    // None of these registered anything: the software registers now.
    let response = dcr
        .ofb_register(&identity, &dcr.ofb_request(&dcr.ofb_jwks_uri()).await)
        .await;
    assert_status(&response, 201);
}
