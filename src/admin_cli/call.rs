//! The Config API's calls: HTTPS with the operator's roots (and
//! certificate), the token as `Bearer` or as `DPoP` with a fresh proof per
//! request (RFC 9449 §7.1), writes with `If-Match` from a read of the key
//! set (RFC 9110 §13.1.1), and refusals turned into one line: the
//! problem's title, detail and field errors (RFC 9457), or the challenge
//! (RFC 6750 §3).

use super::AdminArgs;
use super::token::Credential;
use crate::gateway::https_client::HttpsClient;
use anyhow::{Context, anyhow, bail};
use bytes::Bytes;
use http::{Request, Response};
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject;
use serde_json::Value;
use std::time::Duration;

/// Time limit of one call.
const TIMEOUT: Duration = Duration::from_secs(30);
/// Largest answer read (an audit page of 1000 records fits).
const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// The HTTPS client of every call.
pub struct Client {
    pub(super) https: HttpsClient,
}

impl Client {
    /// Trusting the system roots and `--ca`, presenting `--cert` when given.
    pub fn new(args: &AdminArgs) -> anyhow::Result<Self> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(cert);
        }
        for path in &args.ca {
            for cert in crate::pki::tls::load_certs("--ca", path)? {
                roots
                    .add(cert)
                    .with_context(|| format!("{}: not a CA certificate", path.display()))?;
            }
        }
        let provider = std::sync::Arc::new(crate::pki::tls::fapi_crypto_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
            .with_root_certificates(roots);
        let config = match (&args.cert, &args.key) {
            (Some(cert), Some(key)) => {
                let chain = crate::pki::tls::load_certs("--cert", cert)?;
                let key = PrivateKeyDer::from_pem_file(key)
                    .with_context(|| format!("{}: no private key", key.display()))?;
                builder.with_client_auth_cert(chain, key)?
            }
            _ => builder.with_no_client_auth(),
        };
        Ok(Self {
            https: HttpsClient::with_tls(config, TIMEOUT, MAX_RESPONSE_BYTES),
        })
    }

    /// Sends `request`.
    pub async fn send(&self, request: Request<Bytes>) -> anyhow::Result<Response<Bytes>> {
        let what = format!("{} {}", request.method(), request.uri());
        self.https.send(request).await.map_err(|e| anyhow!("{what}: {e}"))
    }
}

/// The Config API at one URL with one credential.
pub struct Api {
    base: String,
    client: Client,
    credential: Credential,
}

impl Api {
    /// The API at `url` (no trailing slash needed).
    pub fn new(url: &str, client: Client, credential: Credential) -> Self {
        Self {
            base: url.trim_end_matches('/').to_string(),
            client,
            credential,
        }
    }

    /// GET `path`: its JSON and its ETag.
    pub async fn get(&self, path: &str) -> anyhow::Result<(Value, Option<String>)> {
        let response = self.call("GET", path, None, None).await?;
        let tag = response
            .headers()
            .get(http::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok((json(&response)?, tag))
    }

    /// A key write: read `/keys` for its ETag, then POST `path` with `If-Match`.
    pub async fn write(&self, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let (_, tag) = self.get("/keys").await?;
        let tag = tag.context("GET /keys answered no ETag")?;
        let response = self.call("POST", path, body, Some(&tag)).await?;
        json(&response)
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        if_match: Option<&str>,
    ) -> anyhow::Result<Response<Bytes>> {
        let url = format!("{}{path}", self.base);
        let mut builder = Request::builder()
            .method(method)
            .uri(&url)
            .header(http::header::ACCEPT, "application/json, application/problem+json");
        // RFC 9449 §4.3 item 9: `htu` without the query.
        let htu = url.split('?').next().unwrap_or(&url);
        for (name, value) in self.credential.authorization(method, htu).await? {
            builder = builder.header(name, value);
        }
        if let Some(tag) = if_match {
            builder = builder.header(http::header::IF_MATCH, tag);
        }
        let body = match body {
            Some(body) => {
                builder = builder.header(http::header::CONTENT_TYPE, "application/json");
                Bytes::from(body.to_string())
            }
            None => Bytes::new(),
        };
        let request = builder.body(body).with_context(|| format!("{method} {url}"))?;
        let response = self.client.send(request).await?;
        if !response.status().is_success() {
            bail!("{method} {path}: {}", refusal(&response));
        }
        Ok(response)
    }
}

fn json(response: &Response<Bytes>) -> anyhow::Result<Value> {
    serde_json::from_slice(response.body()).context("the answer is not JSON")
}

/// One line for a refused call.
pub fn refusal(response: &Response<Bytes>) -> String {
    let status = response.status();
    let mut line = status.to_string();
    if let Some(challenge) = response
        .headers()
        .get(http::header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
    {
        line.push_str(&format!(" ({challenge})"));
    }
    match serde_json::from_slice::<Value>(response.body()) {
        Ok(problem) => {
            for member in ["title", "detail"] {
                if let Some(text) = problem[member].as_str() {
                    line.push_str(&format!(": {text}"));
                }
            }
            // OAuth errors of the token endpoint (RFC 6749 §5.2).
            for member in ["error", "error_description"] {
                if let Some(text) = problem[member].as_str() {
                    line.push_str(&format!(": {text}"));
                }
            }
            for error in problem["errors"].as_array().into_iter().flatten() {
                line.push_str(&format!(
                    "; {}: {}",
                    error["pointer"].as_str().unwrap_or(""),
                    error["detail"].as_str().unwrap_or("")
                ));
            }
        }
        Err(_) => {
            let text = String::from_utf8_lossy(response.body());
            line.push_str(&format!(": {}", text.chars().take(200).collect::<String>()));
        }
    }
    line
}
