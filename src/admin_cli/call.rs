//! The Config API's calls: the token as `Bearer` or as `DPoP` with a
//! fresh proof per request (RFC 9449 §7.1), writes with `If-Match` from a
//! read of the key set or of the client (RFC 9110 §13.1.1), a refusal as an error with its
//! one-line description (`https.rs`).

use super::https::{Client, refusal};
use super::token::Credential;
use anyhow::{Context, bail};
use bytes::Bytes;
use http::{Request, Response};
use serde_json::Value;

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
        let tag = self.etag_of("/keys").await?;
        let response = self.call("POST", path, body, Some(&tag)).await?;
        json(&response)
    }

    /// The ETag a GET of `resource` answers now.
    pub async fn etag_of(&self, resource: &str) -> anyhow::Result<String> {
        let (_, tag) = self.get(resource).await?;
        tag.with_context(|| format!("GET {resource} answered no ETag"))
    }

    /// `method path` with a JSON body (or none) and, when given,
    /// `If-Match`: the answer's JSON, `None` for 204.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        if_match: Option<&str>,
    ) -> anyhow::Result<Option<Value>> {
        let response = self.call(method, path, body, if_match).await?;
        match response.status() == http::StatusCode::NO_CONTENT {
            true => Ok(None),
            false => json(&response).map(Some),
        }
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
