//! Fetching a client's JWKS from its `jwks_uri` (RFC 7591 §2): HTTPS only,
//! the server certificate verified against the system roots plus
//! `tls.client_ca` (the ecosystem's CA, e.g. the sandbox directory's), at
//! most 256 KiB, within 5 s. The ClientActor caches the result and refetches
//! on a timer and, once, when an assertion names an unknown `kid`. The same
//! client reads the trusted directories' software status documents
//! ([`JwksFetcher::fetch_json`], continuous trust checks), the upstream
//! OpenID Provider's metadata and JWKS, and posts the OP's forms to that
//! provider's PAR and token endpoints ([`JwksFetcher::post_form`],
//! `oauth/upstream/`), with the same limits.

use crate::protocol::jose::ClientJwks;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;
use std::sync::Arc;
use std::time::Duration;

/// Largest JWKS accepted.
const MAX_JWKS_BYTES: usize = 256 * 1024;
/// Time for the whole fetch.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// What a form POST answered.
#[derive(Debug, Clone)]
pub struct FormAnswer {
    /// The status.
    pub status: http::StatusCode,
    /// The headers (e.g. `DPoP-Nonce`, RFC 9449 §8).
    pub headers: http::HeaderMap,
    /// The body, at most the fetcher's bound.
    pub body: Bytes,
}

/// Fetches JWKS documents.
#[derive(Clone)]
pub struct JwksFetcher {
    tls: Arc<rustls::ClientConfig>,
}

impl std::fmt::Debug for JwksFetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwksFetcher")
    }
}

impl JwksFetcher {
    /// A fetcher trusting the system roots and `extra_roots` (PEM files).
    pub fn new(extra_roots: &[std::path::PathBuf]) -> anyhow::Result<Self> {
        Ok(Self {
            tls: Arc::new(crate::pki::tls::https_client_config(extra_roots)?),
        })
    }

    /// GETs `uri` and parses it as a JWKS.
    pub async fn fetch(&self, uri: &str) -> Result<ClientJwks, String> {
        let body = self
            .get(uri, "application/jwk-set+json, application/json")
            .await?;
        ClientJwks::parse(&body).map_err(|e| format!("{uri}: {e}"))
    }

    /// GETs `uri` and parses it as a JSON document (same limits).
    pub async fn fetch_json(&self, uri: &str) -> Result<serde_json::Value, String> {
        let body = self.get(uri, "application/json").await?;
        serde_json::from_slice(&body).map_err(|e| format!("{uri}: not JSON: {e}"))
    }

    /// POSTs `form` (`application/x-www-form-urlencoded`, RFC 6749 §3.2)
    /// with `headers` to `uri`; the answer whatever its status (an OAuth
    /// error answer is a body too).
    pub async fn post_form(
        &self,
        uri: &str,
        form: &[(&str, &str)],
        headers: &[(&'static str, &str)],
    ) -> Result<FormAnswer, String> {
        let body = {
            let mut body = form_urlencoded::Serializer::new(String::new());
            for (name, value) in form {
                body.append_pair(name, value);
            }
            Bytes::from(body.finish())
        };
        let (status, headers, body) = tokio::time::timeout(
            FETCH_TIMEOUT,
            self.send(uri, "application/json", Some((body, headers))),
        )
        .await
        .map_err(|_| format!("posting to {uri} timed out"))??;
        Ok(FormAnswer {
            status,
            headers,
            body,
        })
    }

    async fn get(&self, uri: &str, accept: &'static str) -> Result<Bytes, String> {
        let (status, _, body) = tokio::time::timeout(FETCH_TIMEOUT, self.send(uri, accept, None))
            .await
            .map_err(|_| format!("fetching {uri} timed out"))??;
        if !status.is_success() {
            return Err(format!("{uri} answered {status}"));
        }
        Ok(body)
    }

    async fn send(
        &self,
        uri: &str,
        accept: &'static str,
        post: Option<(Bytes, &[(&'static str, &str)])>,
    ) -> Result<(http::StatusCode, http::HeaderMap, Bytes), String> {
        let parsed: http::Uri = uri.parse().map_err(|e| format!("jwks_uri {uri}: {e}"))?;
        if parsed.scheme_str() != Some("https") {
            return Err(format!("jwks_uri {uri} is not https"));
        }
        let host = parsed
            .host()
            .ok_or_else(|| format!("jwks_uri {uri} has no host"))?
            .to_string();
        let port = parsed.port_u16().unwrap_or(443);
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| format!("{uri}: {e}"))?;
        let name = ServerName::try_from(host.clone()).map_err(|e| format!("{uri}: {e}"))?;
        let tls = tokio_rustls::TlsConnector::from(self.tls.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| format!("{uri}: TLS: {e}"))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| format!("{uri}: {e}"))?;
        tokio::spawn(connection);
        let path = parsed.path_and_query().map_or("/", |p| p.as_str());
        let method = match post {
            Some(_) => http::Method::POST,
            None => http::Method::GET,
        };
        let mut request = http::Request::builder()
            .method(method)
            .uri(path)
            .header(
                http::header::HOST,
                parsed.authority().map_or(host.as_str(), |a| a.as_str()),
            )
            .header(http::header::ACCEPT, accept);
        let body = match post {
            Some((body, headers)) => {
                request = request.header(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                for (name, value) in headers {
                    request = request.header(*name, *value);
                }
                body
            }
            None => Bytes::new(),
        };
        let request = request.body(Full::new(body)).map_err(|e| format!("{uri}: {e}"))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("{uri}: {e}"))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = Limited::new(response.into_body(), MAX_JWKS_BYTES)
            .collect()
            .await
            .map_err(|e| format!("{uri}: {e}"))?
            .to_bytes();
        Ok((status, headers, body))
    }
}
