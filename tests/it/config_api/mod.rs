//! The Config API over real TLS: an OP (SoftHSM keys, embedded store) with
//! `[config_api]` on its own listener, Fiducia itself as one trusted
//! issuer (the `ops-admin` client's client_credentials JWT access tokens,
//! `aud` the Config API's) and a second issuer whose key the test holds.
//! The operators' clients may ask every Config API scope, from
//! `fiducia.config.read` to `fiducia.users.write` (the customers
//! resource's writes).

mod auth;
mod cli;
mod clients;
mod customers;
mod keys;
mod policies;
mod resource_servers;
mod trusted_directories;

use super::flow::harness::*;
use super::support::{Version, free_port, send};
use bytes::Bytes;
use fiducia_hsm::{JoseAlg, Signer, SoftwareSigner, sign_jws};
use http::{Request, Response};
use http_body_util::Full;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// The Config API's audience (`config_api.audience`).
pub const AUD: &str = "https://localhost:8443/config-api";
/// The second trusted issuer.
pub const IAM: &str = "https://iam.bank.example";
/// The operators' client at Fiducia.
pub const OPS: &str = "ops-admin";
/// The operators' scripts' client (tls_client_auth: certificate-bound tokens).
pub const OPS_MTLS: &str = "ops-mtls";
/// A secret of the test config that `/effective-config` must not show
/// (besides the HSM PIN and the seeded customer's password).
pub const PG_URL_SECRET: &str = "pg-secret-in-url-42";

/// The second issuer's JWKS as a document host serves it (by path).
pub type Documents = Arc<std::sync::Mutex<std::collections::HashMap<String, String>>>;

/// An OP with the Config API, and the second issuer's key.
pub struct Api {
    pub op: Op,
    pub iam: Arc<SoftwareSigner>,
    pub url: String,
    /// With [`Api::start_with_jwks_uri`]: what the issuer's `jwks_uri` serves.
    pub documents: Documents,
}

impl Api {
    /// Starts the OP; `require_sender_constrained` and extra `[signing]` lines.
    pub async fn start(require_sender_constrained: bool, signing: &str) -> Self {
        Self::start_with(require_sender_constrained, signing, false).await
    }

    /// [`Api::start`] with the second issuer's keys at a `jwks_uri` (HTTPS,
    /// the test PKI's server certificate) instead of a file.
    pub async fn start_with_jwks_uri(require_sender_constrained: bool) -> Self {
        Self::start_with(require_sender_constrained, "", true).await
    }

    async fn start_with(require_sender_constrained: bool, signing: &str, by_uri: bool) -> Self {
        let iam = Arc::new(SoftwareSigner::generate(JoseAlg::Es256).unwrap());
        let pki = super::support::TestPki::new();
        let iam_jwks = pki.dir.path().join("iam-jwks.json");
        let jwks_text = json!({ "keys": [iam.public_jwk()] }).to_string();
        std::fs::write(&iam_jwks, &jwks_text).unwrap();
        let documents: Documents = Arc::default();
        let iam_keys = match by_uri {
            true => {
                documents.lock().unwrap().insert("/iam/jwks".into(), jwks_text);
                let port = document_host(&pki, documents.clone()).await;
                format!("jwks_uri = \"https://localhost:{port}/iam/jwks\"")
            }
            false => format!("jwks_file = \"{}\"", iam_jwks.display()),
        };
        let port = free_port();
        let url = format!("https://127.0.0.1:{port}");
        let sections = Sections {
            signing,
            ..Sections::default()
        };
        let op = Op::start_with_sections(pki, sections, |jwks| {
            format!(
                r#"
[[clients]]
client_id = "{OPS}"
client_name = "Bank operators"
redirect_uris = ["https://ops.bank.example/unused"]
token_endpoint_auth_method = "private_key_jwt"
jwks_file = "{jwks}"
access_token_format = "jwt"
access_token_audience = "{AUD}"
scopes = ["fiducia.config.read", "fiducia.config.write", "fiducia.keys.write", "fiducia.users.write", "fiducia.audit.read"]

[[clients]]
client_id = "{OPS_MTLS}"
client_name = "Bank operators' scripts"
redirect_uris = ["https://ops.bank.example/unused"]
token_endpoint_auth_method = "tls_client_auth"
tls_client_auth_subject_dn = "CN={fintech},OU=org-1,O=org-1,C=GB"
access_token_format = "jwt"
access_token_audience = "{AUD}"
scopes = ["fiducia.config.read", "fiducia.config.write", "fiducia.keys.write", "fiducia.users.write", "fiducia.audit.read"]

[store]
postgres_url = "postgres://fiducia:{PG_URL_SECRET}@db.bank.example/fiducia"

[config_api]
listen = "127.0.0.1:{port}"
audience = "{AUD}"
require_sender_constrained = {require_sender_constrained}

[[config_api.trusted_issuers]]
issuer = "{ISSUER}"

[[config_api.trusted_issuers]]
issuer = "{IAM}"
{iam_keys}
"#,
                jwks = jwks.display(),
                fintech = super::support::FINTECH,
            )
        })
        .await;
        assert_eq!(op.handle.config_api_addr.map(|a| a.port()), Some(port));
        Api {
            op,
            iam,
            url,
            documents,
        }
    }

    /// Sends to the Config API, with or without the test fintech's certificate.
    pub async fn send(&self, with_cert: bool, request: Request<Full<Bytes>>) -> Response<Bytes> {
        let addr = self.op.handle.config_api_addr.unwrap();
        send(addr, self.op.tls(with_cert), Version::Http1, request).await
    }

    /// A DPoP-bound token of the `ops-admin` client (client_credentials,
    /// RFC 6749 §4.4) for `scope`.
    pub async fn fiducia_token(&self, dpop: &DpopKey, scope: &str) -> String {
        let assertion = self.op.assertion(OPS, json!({})).await;
        let request = form(
            "/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", OPS),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &assertion),
                ("scope", scope),
            ],
        );
        let proof = dpop.proof("POST", &format!("{ISSUER}/token"), None).await;
        let response = self.op.send(false, with_header(request, "dpop", &proof)).await;
        assert_status(&response, 200);
        super::support::json(response.body())["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// A token of the second issuer signed with its key; `overrides` change
    /// claims (`null` removes), `typ` is the JOSE header's.
    pub async fn iam_token(&self, overrides: Value, typ: &str) -> String {
        iam_token_signed(self.iam.as_ref(), overrides, typ).await
    }

    /// A request to the Config API with `Authorization: Bearer token`.
    pub fn bearer(method: &str, path: &str, token: &str) -> Request<Full<Bytes>> {
        Request::builder()
            .method(method)
            .uri(format!("https://localhost{path}"))
            .header("authorization", format!("Bearer {token}"))
            .body(Full::new(Bytes::new()))
            .unwrap()
    }

    /// The audit records `keep` accepts, read through `GET /audit` page by
    /// page with a DPoP-bound `token` (`fiducia.audit.read`).
    pub async fn audit_records(
        &self,
        dpop: &DpopKey,
        token: &str,
        keep: impl Fn(&Value) -> bool,
    ) -> Vec<Value> {
        let mut found = Vec::new();
        let mut path = "/audit?limit=100".to_string();
        for _ in 0..100 {
            let page = self.send(false, self.dpop(dpop, "GET", &path, token).await).await;
            assert_status(&page, 200);
            let body = super::support::json(page.body());
            found.extend(
                body["records"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|r| keep(r))
                    .cloned(),
            );
            match body["next"].as_str() {
                Some(next) => path = next.to_string(),
                None => break,
            }
        }
        found
    }

    /// A DPoP-authorized request (RFC 9449 §7.1) with a fresh proof for it.
    pub async fn dpop(&self, dpop: &DpopKey, method: &str, path: &str, token: &str) -> Request<Full<Bytes>> {
        let proof = dpop
            .proof(method, &format!("{}{path}", self.url), Some(token))
            .await;
        Request::builder()
            .method(method)
            .uri(format!("https://localhost{path}"))
            .header("authorization", format!("DPoP {token}"))
            .header("dpop", proof)
            .body(Full::new(Bytes::new()))
            .unwrap()
    }
}

/// A second-issuer token signed by `key`.
pub async fn iam_token_signed(key: &dyn Signer, overrides: Value, typ: &str) -> String {
    let now = now();
    let mut claims = json!({
        "iss": IAM, "aud": AUD, "sub": "ops-robot", "client_id": "iam-automation",
        "iat": now, "exp": now + 300, "jti": uuid::Uuid::new_v4().to_string(),
        "scope": "fiducia.config.read",
    });
    merge(&mut claims, overrides);
    let mut header = Map::new();
    header.insert("typ".into(), json!(typ));
    sign_jws(key, header, claims.to_string().as_bytes())
        .await
        .unwrap()
}

/// The `WWW-Authenticate` header of a response.
pub fn challenge(response: &Response<Bytes>) -> String {
    response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// `req` with a JSON `body` and, when given, `If-Match`.
pub fn with_body(req: Request<Full<Bytes>>, body: &str, if_match: Option<&str>) -> Request<Full<Bytes>> {
    let (mut parts, _) = req.into_parts();
    parts
        .headers
        .insert("content-type", "application/json".parse().unwrap());
    if let Some(tag) = if_match {
        parts.headers.insert("if-match", tag.parse().unwrap());
    }
    Request::from_parts(parts, Full::new(Bytes::from(body.to_string())))
}

/// The `ETag` header.
pub fn etag(response: &Response<Bytes>) -> String {
    response.headers()["etag"].to_str().unwrap().to_string()
}
