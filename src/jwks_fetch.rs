//! Fetching a client's JWKS from its `jwks_uri` (RFC 7591 §2): HTTPS only,
//! the server certificate verified against the system roots plus
//! `tls.client_ca` (the ecosystem's CA, e.g. the sandbox directory's), at
//! most 256 KiB, within 5 s. The ClientActor caches the result and refetches
//! on a timer and, once, when an assertion names an unknown `kid`. The same
//! client reads the trusted directories' software status documents
//! ([`JwksFetcher::fetch_json`], continuous trust checks).

use crate::protocol::jose::ClientJwks;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;
use std::sync::Arc;
use std::time::Duration;

/// Largest JWKS accepted.
const MAX_JWKS_BYTES: usize = 256 * 1024;
/// Time for the whole fetch.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

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

    async fn get(&self, uri: &str, accept: &'static str) -> Result<Bytes, String> {
        tokio::time::timeout(FETCH_TIMEOUT, self.get_inner(uri, accept))
            .await
            .map_err(|_| format!("fetching {uri} timed out"))?
    }

    async fn get_inner(&self, uri: &str, accept: &'static str) -> Result<Bytes, String> {
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
        let request = http::Request::get(path)
            .header(
                http::header::HOST,
                parsed.authority().map_or(host.as_str(), |a| a.as_str()),
            )
            .header(http::header::ACCEPT, accept)
            .body(Empty::<Bytes>::new())
            .map_err(|e| format!("{uri}: {e}"))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("{uri}: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("{uri} answered {}", response.status()));
        }
        Ok(Limited::new(response.into_body(), MAX_JWKS_BYTES)
            .collect()
            .await
            .map_err(|e| format!("{uri}: {e}"))?
            .to_bytes())
    }
}
