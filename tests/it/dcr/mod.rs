//! Dynamic client registration (RFC 7591) and management (RFC 7592) with
//! software statements, end to end over real mTLS: a test directory signs
//! statements (PS256, its JWKS served over HTTPS at a `jwks_uri`), the test
//! fintech registers with its transport certificate (CN = software_id, OU
//! = org_id, the UK binding) and then runs the FAPI 2.0 flow.

pub mod audit;
pub mod brazil;
pub mod cdr;
pub mod cert_revocation;
pub mod ciba;
pub mod discovery;
pub mod generic;
pub mod manage;
pub mod rate_limits;
pub mod register;
pub mod rejections;
pub mod roundtrip;
pub mod trust;
pub mod trusted_since;

use super::flow::harness::*;
use super::support::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use fiducia_hsm::{JoseAlg, Signer, SoftwareSigner, sign_jws};
use http::{Request, Response};
use http_body_util::Full;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The trusted test directory's `iss`.
pub const DIRECTORY: &str = "test-directory";
/// A trusted directory with the Brazil certificate binding (same keys).
pub const BR_DIRECTORY: &str = "br-directory";
/// A trusted directory with the generic profile (RFC 7591 §2.3; same keys).
pub const GENERIC_DIRECTORY: &str = "generic-directory";
/// A trusted directory with the brazil profile (Open Finance Brasil DCR
/// 1.0; same keys).
pub const OFB_DIRECTORY: &str = "ofb-directory";
/// A trusted directory with the cdr profile (the CDR Register; same keys).
pub const CDR_DIRECTORY: &str = "cdr-register";
/// The organisation of the test fintech's certificate (OU).
pub const ORG: &str = "org-1";
/// Scopes of an AISP under the default UK roles.
pub const AISP_SCOPE: &str = "openid accounts";

/// The OP with registration on, the directory and the documents it serves.
pub struct Dcr {
    pub op: Op,
    /// The directory's signing key (PS256); its `kid` is the thumbprint.
    pub directory: SoftwareSigner,
    /// Paths served by the document host: the directory's JWKS and the
    /// software's JWKS.
    pub documents: Arc<Mutex<HashMap<String, String>>>,
    /// `https://localhost:<port>` of the document host.
    pub host: String,
}

impl Dcr {
    pub async fn start() -> Self {
        Self::start_with(|config| config).await
    }

    /// [`Dcr::start`] with its `[registration]` config text edited by `edit`.
    pub async fn start_with(edit: impl FnOnce(String) -> String) -> Self {
        let pki = TestPki::new();
        let documents: Arc<Mutex<HashMap<String, String>>> = Arc::default();
        let port = document_host(&pki, documents.clone()).await;
        let host = format!("https://localhost:{port}");
        let directory = SoftwareSigner::generate(JoseAlg::Ps256).unwrap();
        documents.lock().unwrap().insert(
            "/directory/jwks".into(),
            json!({ "keys": [directory.public_jwk()] }).to_string(),
        );
        // A directory whose keys cannot be fetched: nothing listens there.
        let dead = free_port();
        let extra = format!(
            r#"
[registration]
enabled = true
ssa_max_age_secs = 300

[[registration.trusted_directories]]
issuer = "{DIRECTORY}"
jwks_uri = "{host}/directory/jwks"
certificate_binding = "uk"

[[registration.trusted_directories]]
issuer = "{BR_DIRECTORY}"
jwks_uri = "{host}/directory/jwks"
certificate_binding = "brazil"
role_scopes = {{ DADOS = ["openid", "accounts"] }}

[[registration.trusted_directories]]
issuer = "{OFB_DIRECTORY}"
jwks_uri = "{host}/directory/jwks"
profile = "brazil"
role_scopes = {{ DADOS = ["openid", "accounts"] }}

[[registration.trusted_directories]]
issuer = "{GENERIC_DIRECTORY}"
jwks_uri = "{host}/directory/jwks"
profile = "generic"

[[registration.trusted_directories]]
issuer = "{CDR_DIRECTORY}"
jwks_uri = "{host}/directory/jwks"
profile = "cdr"

[[registration.trusted_directories]]
issuer = "dead-directory"
jwks_uri = "https://localhost:{dead}/jwks"
"#
        );
        let extra = edit(extra);
        let op = Op::start_in(pki, "", |_| extra).await;
        // The software's keys: the harness's client key.
        documents.lock().unwrap().insert(
            "/software/jwks".into(),
            json!({ "keys": [op.client_key.public_jwk()] }).to_string(),
        );
        Dcr {
            op,
            directory,
            documents,
            host,
        }
    }

    /// The claims of a statement for the test fintech, `overrides` applied
    /// (`null` removes).
    pub fn ssa_claims(&self, overrides: Value) -> Value {
        let now = now();
        let mut claims = json!({
            "iss": DIRECTORY, "iat": now, "exp": now + 300,
            "jti": uuid::Uuid::new_v4().to_string(),
            "software_id": FINTECH, "org_id": ORG, "org_name": "Test Fintech Ltd",
            "software_client_name": "Test Fintech App",
            "software_redirect_uris": [REDIRECT, "https://fintech.example/other"],
            "software_roles": ["AISP"],
            "software_jwks_endpoint": format!("{}/software/jwks", self.host),
            "software_status": "Active", "org_status": "Active",
        });
        merge(&mut claims, overrides);
        claims
    }

    /// A statement signed by the directory (`alg` PS256, `kid` its thumbprint).
    pub async fn ssa(&self, overrides: Value) -> String {
        sign_jws(
            &self.directory,
            Map::new(),
            self.ssa_claims(overrides).to_string().as_bytes(),
        )
        .await
        .unwrap()
    }

    /// `POST /register` with a JSON body over the test fintech's mTLS connection.
    pub async fn register_json(&self, metadata: Value) -> Response<Bytes> {
        self.op
            .send(true, json_request("POST", "/register", None, &metadata))
            .await
    }

    /// Registers a `tls_client_auth` AISP; returns the 201 body.
    pub async fn register_mtls_client(&self) -> Value {
        let response = self
            .register_json(json!({
                "software_statement": self.ssa(json!({})).await,
                "token_endpoint_auth_method": "tls_client_auth",
                "redirect_uris": [REDIRECT],
                "scope": AISP_SCOPE,
            }))
            .await;
        assert_status(&response, 201);
        json(response.body())
    }
}

/// A Brazil-style transport certificate from the test CA (Open Finance
/// Brasil profile: UID = software_id, organizationIdentifier =
/// `OFBBR-<org_id>`, CN a host name), as (chain, key) PEM.
pub fn brazil_certificate(pki: &TestPki, software_id: &str, org_id: &str) -> (String, String) {
    use rcgen::{CertificateParams, DnType, DnValue, ExtendedKeyUsagePurpose, KeyPair};
    let ca_pem = std::fs::read_to_string(pki.ca()).unwrap();
    let ca_key =
        KeyPair::from_pem(&std::fs::read_to_string(fiducia::pki::ca_key_path(&pki.ca())).unwrap()).unwrap();
    let issuer = rcgen::Issuer::from_ca_cert_pem(&ca_pem, ca_key).unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let dn = &mut params.distinguished_name;
    dn.push(
        DnType::CountryName,
        DnValue::PrintableString("BR".try_into().unwrap()),
    );
    dn.push(DnType::OrganizationName, "Fintech Brasil SA");
    dn.push(
        DnType::CustomDnType(vec![2, 5, 4, 97]),
        DnValue::Utf8String(format!("OFBBR-{org_id}")),
    );
    dn.push(
        DnType::CustomDnType(vec![0, 9, 2342, 19_200_300, 100, 1, 1]),
        DnValue::Utf8String(software_id.into()),
    );
    dn.push(DnType::CommonName, "fintech.example.br");
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    (format!("{}{ca_pem}", cert.pem()), key.serialize_pem())
}

/// A JSON request, with a Bearer token when given.
pub fn json_request(method: &str, path: &str, bearer: Option<&str>, body: &Value) -> Request<Full<Bytes>> {
    let mut builder = Request::builder()
        .method(method)
        .uri(format!("https://localhost{path}"))
        .header("content-type", "application/json");
    if let Some(token) = bearer {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    builder.body(Full::new(Bytes::from(body.to_string()))).unwrap()
}

/// A compact JWS with exactly `header`, signed by `signer` (which may not
/// be the key the header names).
pub async fn sign_with_header(signer: &SoftwareSigner, header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = signer.sign(input.as_bytes()).await.unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// Asserts an error response's status and `error` code.
pub fn assert_error(response: &Response<Bytes>, status: u16, error: &str) {
    assert_eq!(
        (
            response.status().as_u16(),
            json(response.body())["error"].as_str()
        ),
        (status, Some(error)),
        "{}",
        String::from_utf8_lossy(response.body())
    );
}

/// PAR → login/consent → token for a registered `tls_client_auth` client
/// over the fintech's certificate; returns the token response.
pub async fn mtls_flow(op: &Op, client_id: &str, scope: &str) -> Value {
    mtls_flow_as(op, None, client_id, scope).await
}

/// Sends over the test fintech's certificate, or over `identity`
/// (certificate chain, key; PEM) when given.
pub async fn send_as(
    op: &Op,
    identity: Option<&(String, String)>,
    request: Request<Full<Bytes>>,
) -> Response<Bytes> {
    match identity {
        Some(identity) => op.send_with_identity(identity, request).await,
        None => op.send(true, request).await,
    }
}

/// [`mtls_flow`] over `identity` (else the test fintech's certificate).
pub async fn mtls_flow_as(
    op: &Op,
    identity: Option<&(String, String)>,
    client_id: &str,
    scope: &str,
) -> Value {
    let (verifier, challenge) = pkce();
    let response = send_as(op, identity, cert_par(client_id, &challenge, scope)).await;
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
        ],
    );
    let response = send_as(op, identity, token).await;
    assert_status(&response, 200);
    json(response.body())
}

/// Userinfo with a certificate-bound Bearer token (RFC 8705 §3).
pub async fn userinfo_mtls(op: &Op, token: &str) -> Response<Bytes> {
    userinfo_mtls_as(op, None, token).await
}

/// [`userinfo_mtls`] over `identity` (else the test fintech's certificate).
pub async fn userinfo_mtls_as(op: &Op, identity: Option<&(String, String)>, token: &str) -> Response<Bytes> {
    send_as(
        op,
        identity,
        with_header(get("/userinfo"), "authorization", &format!("Bearer {token}")),
    )
    .await
}
