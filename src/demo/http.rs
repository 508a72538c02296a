//! The demo's HTTPS: the gateway's outgoing client
//! (`gateway::https_client`) with the sandbox CA as the only root, with the
//! fintech's transport certificate (RFC 8705 mutual TLS) or without one
//! (the customer's browser); and what a refusal says, for error messages.

use crate::gateway::https_client::HttpsClient;
use anyhow::{Context, anyhow};
use bytes::Bytes;
use http::{Request, Response};
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject;
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

/// Time limit of one call.
const TIMEOUT: Duration = Duration::from_secs(30);
/// Largest answer read.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// An HTTPS client trusting the sandbox CA.
pub struct Web {
    client: HttpsClient,
}

impl Web {
    /// A client presenting `identity` (certificate chain and key, PEM) when given.
    pub fn new(ca: &Path, identity: Option<(&Path, &Path)>) -> anyhow::Result<Self> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in crate::pki::tls::load_certs("sandbox CA", ca)? {
            roots
                .add(cert)
                .with_context(|| format!("{}: not a CA certificate", ca.display()))?;
        }
        let provider = std::sync::Arc::new(crate::pki::tls::fapi_crypto_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
            .with_root_certificates(roots);
        let config = match identity {
            Some((cert, key)) => {
                let chain = crate::pki::tls::load_certs("transport certificate", cert)?;
                let key = PrivateKeyDer::from_pem_file(key)
                    .with_context(|| format!("{}: no private key", key.display()))?;
                builder.with_client_auth_cert(chain, key)?
            }
            None => builder.with_no_client_auth(),
        };
        Ok(Self {
            client: HttpsClient::with_tls(config, TIMEOUT, MAX_RESPONSE_BYTES),
        })
    }

    /// GET `url`.
    pub async fn get(&self, url: &str, headers: &[(&str, &str)]) -> anyhow::Result<Response<Bytes>> {
        self.send("GET", url, headers, None, Bytes::new()).await
    }

    /// POST a form (`application/x-www-form-urlencoded`, RFC 6749 Appendix B).
    pub async fn post_form(
        &self,
        url: &str,
        params: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> anyhow::Result<Response<Bytes>> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        let content_type = "application/x-www-form-urlencoded";
        self.send("POST", url, headers, Some(content_type), Bytes::from(body))
            .await
    }

    /// POST a JSON body.
    pub async fn post_json(
        &self,
        url: &str,
        body: &Value,
        headers: &[(&str, &str)],
    ) -> anyhow::Result<Response<Bytes>> {
        let body = Bytes::from(body.to_string());
        self.send("POST", url, headers, Some("application/json"), body)
            .await
    }

    async fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        content_type: Option<&str>,
        body: Bytes,
    ) -> anyhow::Result<Response<Bytes>> {
        let mut builder = Request::builder()
            .method(method)
            .uri(url)
            .header("accept", "application/json, text/html;q=0.9, */*;q=0.1")
            .header("user-agent", concat!("fiducia-demo/", env!("CARGO_PKG_VERSION")));
        if let Some(content_type) = content_type {
            builder = builder.header("content-type", content_type);
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder
            .body(body)
            .with_context(|| format!("{method} {url}: cannot build the request"))?;
        self.client
            .send(request)
            .await
            .map_err(|e| anyhow!("{method} {url}: {e} (is the sandbox running?)"))
    }
}

/// The status and what the server said: the OAuth error (RFC 6749 §5.2,
/// RFC 6750 §3), the Open Banking error (`OBErrorResponse1`), or the start
/// of the body.
pub fn describe_failure(response: &Response<Bytes>) -> String {
    let status = response.status().as_u16();
    let body: Value = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
    if let Some(error) = body["error"].as_str() {
        return match body["error_description"].as_str() {
            Some(description) => format!("{status} {error}: {description}"),
            None => format!("{status} {error}"),
        };
    }
    if let Some(first) = body["Errors"].get(0) {
        let code = first["ErrorCode"].as_str().unwrap_or("");
        let message = first["Message"].as_str().unwrap_or("");
        return format!("{status} {code}: {message}");
    }
    if let Some(challenge) = response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
    {
        return format!("{status} ({challenge})");
    }
    let text = String::from_utf8_lossy(response.body());
    // An HTML page: its title.
    if let Some(start) = text.find("<title>").map(|i| i + "<title>".len())
        && let Some(end) = text[start..].find("</title>")
    {
        return format!("{status}: {}", &text[start..start + end]);
    }
    let text: String = text.chars().take(200).collect();
    match text.trim().is_empty() {
        true => status.to_string(),
        false => format!("{status}: {}", text.trim()),
    }
}

/// The JSON body of a response with `status`, else the failure described.
pub fn expect_json(response: &Response<Bytes>, status: u16, what: &str) -> anyhow::Result<Value> {
    if response.status() != status {
        return Err(anyhow!("{what} answered {}", describe_failure(response)));
    }
    serde_json::from_slice(response.body()).with_context(|| format!("{what} answered {status} without JSON"))
}

/// A string member of `value` at `path`, or an error naming it.
pub fn text(value: &Value, path: &[&str], what: &str) -> anyhow::Result<String> {
    let mut node = value;
    for name in path {
        node = &node[*name];
    }
    node.as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("{what} lacks `{}`", path.join(".")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> Response<Bytes> {
        Response::builder()
            .status(status)
            .body(Bytes::from(body.to_string()))
            .unwrap()
    }

    #[test]
    fn failures_name_the_oauth_or_open_banking_error() {
        let oauth = response(400, r#"{"error":"invalid_scope","error_description":"no"}"#);
        assert_eq!(describe_failure(&oauth), "400 invalid_scope: no");
        let obie = response(
            403,
            r#"{"Code":"403","Errors":[{"ErrorCode":"UK.OBIE.Resource.ConsentMismatch","Message":"differs"}]}"#,
        );
        assert_eq!(
            describe_failure(&obie),
            "403 UK.OBIE.Resource.ConsentMismatch: differs"
        );
        assert_eq!(describe_failure(&response(502, "")), "502");
        assert_eq!(describe_failure(&response(500, "oops")), "500: oops");
        let page = response(
            404,
            "<html><head><title>Not found</title></head><body>...</body></html>",
        );
        assert_eq!(describe_failure(&page), "404: Not found");
        assert!(
            expect_json(&oauth, 200, "the token endpoint")
                .unwrap_err()
                .to_string()
                .starts_with("the token endpoint answered 400 invalid_scope")
        );
    }

    #[test]
    fn text_names_the_missing_member() {
        let value = serde_json::json!({"Data": {"ConsentId": "c1"}});
        assert_eq!(text(&value, &["Data", "ConsentId"], "x").unwrap(), "c1");
        assert_eq!(
            text(&value, &["Data", "Status"], "the consent")
                .unwrap_err()
                .to_string(),
            "the consent lacks `Data.Status`"
        );
    }
}
