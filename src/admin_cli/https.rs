//! The HTTPS client of `fiducia admin` (the gateway's outgoing client with
//! the operator's roots and certificate), and a refused call as one line:
//! the problem's title, detail and field errors (RFC 9457), the OAuth error
//! (RFC 6749 §5.2), or the challenge (RFC 6750 §3).

use super::args::AdminArgs;
use crate::gateway::https_client::HttpsClient;
use anyhow::{Context, anyhow};
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
        let mut https = HttpsClient::with_tls(config, TIMEOUT, MAX_RESPONSE_BYTES);
        for rule in &args.connect_to {
            let (host, port, to) = connect_to(rule)?;
            https = https.with_connect_to(host, port, to);
        }
        Ok(Self { https })
    }

    /// Sends `request`.
    pub async fn send(&self, request: Request<Bytes>) -> anyhow::Result<Response<Bytes>> {
        let what = format!("{} {}", request.method(), request.uri());
        self.https.send(request).await.map_err(|e| anyhow!("{what}: {e}"))
    }
}

/// A `--connect-to` rule: HOST:PORT:TO_HOST:TO_PORT (names or IPv4
/// addresses).
fn connect_to(rule: &str) -> anyhow::Result<(&str, u16, (String, u16))> {
    let bad = || anyhow!("--connect-to {rule}: expected HOST:PORT:TO_HOST:TO_PORT");
    let parts: Vec<&str> = rule.split(':').collect();
    let [host, port, to_host, to_port] = parts.as_slice() else {
        return Err(bad());
    };
    let port: u16 = port.parse().map_err(|_| bad())?;
    let to_port: u16 = to_port.parse().map_err(|_| bad())?;
    if host.is_empty() || to_host.is_empty() {
        return Err(bad());
    }
    Ok((host, port, (to_host.to_string(), to_port)))
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
