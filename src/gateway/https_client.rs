//! The gateway's outgoing HTTPS: to the OP (introspection, JWKS) and to the
//! bank API, both with the gateway's own client certificate (mTLS), the
//! server verified against the configured CA bundle and the system roots.
//! HTTP/1.1; idle connections are kept per host and reused.

use bytes::Bytes;
use http::{Request, Response, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;
use rustls_pki_types::pem::PemObject;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Idle connections kept per host and port.
const MAX_IDLE_PER_HOST: usize = 16;

/// Why an outgoing call failed (no answer to pass on).
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// Connect, TLS or HTTP failure.
    #[error("{0}")]
    Transport(String),
    /// No answer within the time limit.
    #[error("no answer in time")]
    Timeout,
    /// The response body was larger than allowed.
    #[error("the response is too large")]
    TooLarge,
}

/// An HTTPS client with a client certificate.
pub struct HttpsClient {
    tls: Arc<rustls::ClientConfig>,
    timeout: Duration,
    max_response_bytes: usize,
    idle: Mutex<HashMap<String, Vec<SendRequest<Full<Bytes>>>>>,
    /// Where to dial instead of a URL's host and port (the TLS name and
    /// the request stay the URL's): `fiducia admin --connect-to`.
    connect_to: HashMap<(String, u16), (String, u16)>,
}

impl HttpsClient {
    /// A client presenting `cert`/`key` (PEM) and trusting `ca` plus the system roots.
    pub fn new(
        cert: &Path,
        key: &Path,
        ca: &[PathBuf],
        timeout: Duration,
        max_response_bytes: usize,
    ) -> anyhow::Result<Self> {
        use anyhow::Context;
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(cert);
        }
        for path in ca {
            for cert in crate::pki::tls::load_certs("gateway CA", path)? {
                roots
                    .add(cert)
                    .with_context(|| format!("{}: not a CA certificate", path.display()))?;
            }
        }
        let chain = crate::pki::tls::load_certs("gateway client certificate", cert)?;
        let key = rustls_pki_types::PrivateKeyDer::from_pem_file(key)
            .with_context(|| format!("{}: no private key", key.display()))?;
        let provider = Arc::new(crate::pki::tls::fapi_crypto_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
            .with_root_certificates(roots)
            .with_client_auth_cert(chain, key)?;
        Ok(Self::with_tls(config, timeout, max_response_bytes))
    }

    /// A client with its own TLS configuration (roots, client certificate
    /// or none); ALPN is set to HTTP/1.1.
    pub fn with_tls(mut config: rustls::ClientConfig, timeout: Duration, max_response_bytes: usize) -> Self {
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Self {
            tls: Arc::new(config),
            timeout,
            max_response_bytes,
            idle: Mutex::new(HashMap::new()),
            connect_to: HashMap::new(),
        }
    }

    /// Dials `to` whenever a URL names `host`:`port`; the certificate is
    /// still checked against `host` and the request still names it (as
    /// curl's `--connect-to`: one node behind a balancer, a port forward).
    pub fn with_connect_to(mut self, host: &str, port: u16, to: (String, u16)) -> Self {
        self.connect_to.insert((host.to_string(), port), to);
        self
    }

    /// Sends `request` (its URI absolute, https) and reads the whole answer.
    /// POSTs `pairs` as `application/x-www-form-urlencoded` to `url`,
    /// accepting JSON (the OP's introspection and consumption endpoints).
    pub async fn post_form(&self, url: &str, pairs: &[(&str, &str)]) -> Result<Response<Bytes>, CallError> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        let request = Request::post(url)
            .header(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(http::header::ACCEPT, "application/json")
            .body(Bytes::from(body))
            .map_err(|e| CallError::Transport(e.to_string()))?;
        self.send(request).await
    }

    pub async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, CallError> {
        tokio::time::timeout(self.timeout, self.send_inner(request))
            .await
            .map_err(|_| CallError::Timeout)?
    }

    async fn send_inner(&self, request: Request<Bytes>) -> Result<Response<Bytes>, CallError> {
        let (mut parts, body) = request.into_parts();
        let uri = parts.uri.clone();
        let (host, port) = host_port(&uri)?;
        let key = format!("{host}:{port}");
        // An HTTP/1.1 connection takes the next request only once it has
        // finished the previous exchange (`ready`); one that closed
        // meanwhile is replaced by a new connection.
        let mut sender = match self.idle_sender(&key) {
            Some(mut sender) => match sender.ready().await {
                Ok(()) => sender,
                Err(_) => self.connect(&host, port).await?,
            },
            None => self.connect(&host, port).await?,
        };
        parts.uri = uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .parse()
            .map_err(|e| CallError::Transport(format!("{uri}: {e}")))?;
        if let Ok(value) = http::HeaderValue::from_str(uri.authority().map_or(host.as_str(), |a| a.as_str()))
        {
            parts.headers.insert(http::header::HOST, value);
        }
        let response = sender
            .send_request(Request::from_parts(parts, Full::new(body)))
            .await
            .map_err(|e| CallError::Transport(format!("{uri}: {e}")))?;
        let (parts, body) = response.into_parts();
        let body = Limited::new(body, self.max_response_bytes)
            .collect()
            .await
            .map_err(|e| match e.is::<http_body_util::LengthLimitError>() {
                true => CallError::TooLarge,
                false => CallError::Transport(format!("{uri}: {e}")),
            })?
            .to_bytes();
        self.keep_idle(key, sender);
        Ok(Response::from_parts(parts, body))
    }

    fn idle_sender(&self, key: &str) -> Option<SendRequest<Full<Bytes>>> {
        let mut idle = self.idle.lock().ok()?;
        let senders = idle.get_mut(key)?;
        while let Some(sender) = senders.pop() {
            if !sender.is_closed() {
                return Some(sender);
            }
        }
        None
    }

    fn keep_idle(&self, key: String, sender: SendRequest<Full<Bytes>>) {
        if sender.is_closed() {
            return;
        }
        if let Ok(mut idle) = self.idle.lock() {
            let senders = idle.entry(key).or_default();
            if senders.len() < MAX_IDLE_PER_HOST {
                senders.push(sender);
            }
        }
    }

    async fn connect(&self, host: &str, port: u16) -> Result<SendRequest<Full<Bytes>>, CallError> {
        let transport = |e: &dyn std::fmt::Display| CallError::Transport(format!("{host}:{port}: {e}"));
        let dial = self
            .connect_to
            .get(&(host.to_string(), port))
            .map_or((host, port), |(to_host, to_port)| (to_host.as_str(), *to_port));
        let tcp = tokio::net::TcpStream::connect(dial)
            .await
            .map_err(|e| transport(&e))?;
        let _ = tcp.set_nodelay(true);
        let name = ServerName::try_from(host.to_string()).map_err(|e| transport(&e))?;
        let tls = tokio_rustls::TlsConnector::from(self.tls.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| transport(&e))?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| transport(&e))?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "outgoing connection ended with an error");
            }
        });
        Ok(sender)
    }
}

fn host_port(uri: &Uri) -> Result<(String, u16), CallError> {
    if uri.scheme_str() != Some("https") {
        return Err(CallError::Transport(format!("{uri} is not https")));
    }
    let host = uri
        .host()
        .ok_or_else(|| CallError::Transport(format!("{uri} has no host")))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    Ok((host, uri.port_u16().unwrap_or(443)))
}
