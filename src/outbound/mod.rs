//! Outbound deliveries: the OP POSTs to other parties' HTTPS endpoints —
//! the bank's authentication device channel and, in CIBA's ping and push
//! modes, the client's notification endpoint (CIBA Core §10.2, §10.3).
//!
//! What every delivery gets:
//! - https only; the server certificate verified against the system roots
//!   plus `tls.client_ca` (the ecosystem's CA), TLS 1.2+ with the FAPI
//!   cipher suites;
//! - an address policy ([`AddressPolicy`]): a client-supplied endpoint must
//!   resolve to public addresses only (`protocol::public_address`), and the connection
//!   goes to the address that was checked;
//! - a timeout per attempt, the answer's body read to at most
//!   [`MAX_ANSWER_BYTES`] and discarded;
//! - bounded retries with exponential backoff ([`RetryPolicy`]) on what may
//!   pass (connection failure, timeout, 5xx, 429), never on a refusal
//!   (another 4xx) or a URL the policy forbids;
//! - to an endpoint the operator configured ([`AddressPolicy::Any`]: the
//!   device channel, which gets every backchannel request), idle HTTP/1.1
//!   connections are kept ([`MAX_IDLE_PER_ENDPOINT`]) and reused, so a
//!   delivery costs no TCP and TLS handshake; a client-supplied endpoint
//!   ([`AddressPolicy::PublicOnly`]) gets a fresh connection to an address
//!   checked at that moment, every time.
//!
//! Nothing here logs a body or a bearer token: they carry tokens.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Most of an answer's body read (and discarded).
pub const MAX_ANSWER_BYTES: usize = 16 * 1024;
/// Idle connections kept per operator-configured endpoint (`host:port`).
pub const MAX_IDLE_PER_ENDPOINT: usize = 64;

type Sender = SendRequest<Full<Bytes>>;

/// Which addresses a destination may resolve to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressPolicy {
    /// Any: an endpoint the operator configured (the device channel).
    Any,
    /// Globally routable only: an endpoint a client supplied.
    PublicOnly,
}

/// How often and how patiently a delivery is attempted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all (at least 1).
    pub attempts: u32,
    /// The wait before the second attempt; doubled before each later one.
    pub first_backoff: Duration,
    /// The time one attempt may take, connection included.
    pub timeout: Duration,
}

/// One POST.
#[derive(Debug, Clone)]
pub struct Delivery<'a> {
    /// The https URL.
    pub url: &'a str,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: Bytes,
    /// `Authorization: Bearer <token>` when given.
    pub bearer: Option<&'a str>,
}

/// Why a delivery failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// Not an https URL with a host.
    #[error("not an https URL with a host")]
    BadUrl,
    /// It resolves to an address the policy forbids.
    #[error("the endpoint resolves to a private, loopback or reserved address")]
    ForbiddenAddress,
    /// The name did not resolve.
    #[error("the endpoint's host did not resolve")]
    Resolve,
    /// Connecting, TLS or HTTP failed.
    #[error("the connection failed: {0}")]
    Connection(String),
    /// An attempt took longer than its timeout.
    #[error("the endpoint did not answer in time")]
    Timeout,
    /// The endpoint answered with this status.
    #[error("the endpoint answered {0}")]
    Status(u16),
}

impl DeliveryError {
    /// Whether another attempt may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Connection(_) | Self::Timeout | Self::Resolve => true,
            Self::Status(status) => *status >= 500 || *status == 429,
            Self::BadUrl | Self::ForbiddenAddress => false,
        }
    }
}

/// Posts deliveries. Cheap to clone.
#[derive(Clone)]
pub struct OutboundPoster {
    tls: Arc<rustls::ClientConfig>,
    /// Idle connections to operator-configured endpoints, by `host:port`.
    idle: Arc<Mutex<HashMap<String, Vec<Sender>>>>,
}

impl std::fmt::Debug for OutboundPoster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OutboundPoster")
    }
}

impl OutboundPoster {
    /// A poster trusting the system roots and `extra_roots` (PEM files).
    pub fn new(extra_roots: &[std::path::PathBuf]) -> anyhow::Result<Self> {
        Ok(Self {
            tls: Arc::new(crate::pki::tls::https_client_config(extra_roots)?),
            idle: Arc::default(),
        })
    }

    /// Delivers with `retry`: the status of the first success (2xx), or
    /// the last error.
    pub async fn deliver(
        &self,
        delivery: &Delivery<'_>,
        policy: AddressPolicy,
        retry: RetryPolicy,
    ) -> Result<u16, DeliveryError> {
        self.deliver_read(delivery, policy, retry)
            .await
            .map(|(status, _)| status)
    }

    /// [`OutboundPoster::deliver`], with the successful answer's body (at
    /// most [`MAX_ANSWER_BYTES`]; a longer or broken one is a failure,
    /// not retried: the endpoint answered).
    pub async fn deliver_answered(
        &self,
        delivery: &Delivery<'_>,
        policy: AddressPolicy,
        retry: RetryPolicy,
    ) -> Result<(u16, Bytes), DeliveryError> {
        match self.deliver_read(delivery, policy, retry).await? {
            (status, Some(body)) => Ok((status, body)),
            (_, None) => Err(DeliveryError::Connection("the answer could not be read".into())),
        }
    }

    async fn deliver_read(
        &self,
        delivery: &Delivery<'_>,
        policy: AddressPolicy,
        retry: RetryPolicy,
    ) -> Result<(u16, Option<Bytes>), DeliveryError> {
        let mut backoff = retry.first_backoff;
        let mut attempt = 1;
        loop {
            match self.answered_once(delivery, policy, retry.timeout).await {
                Ok(answer) => return Ok(answer),
                Err(error) if error.is_transient() && attempt < retry.attempts.max(1) => {
                    tracing::debug!(%error, attempt, "delivery failed; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = backoff.saturating_mul(2);
                    attempt += 1;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// One attempt within `timeout`.
    pub async fn post_once(
        &self,
        delivery: &Delivery<'_>,
        policy: AddressPolicy,
        timeout: Duration,
    ) -> Result<u16, DeliveryError> {
        self.answered_once(delivery, policy, timeout)
            .await
            .map(|(status, _)| status)
    }

    async fn answered_once(
        &self,
        delivery: &Delivery<'_>,
        policy: AddressPolicy,
        timeout: Duration,
    ) -> Result<(u16, Option<Bytes>), DeliveryError> {
        tokio::time::timeout(timeout, self.attempt(delivery, policy))
            .await
            .map_err(|_| DeliveryError::Timeout)?
    }

    async fn attempt(
        &self,
        delivery: &Delivery<'_>,
        policy: AddressPolicy,
    ) -> Result<(u16, Option<Bytes>), DeliveryError> {
        let uri: http::Uri = delivery.url.parse().map_err(|_| DeliveryError::BadUrl)?;
        if uri.scheme_str() != Some("https") {
            return Err(DeliveryError::BadUrl);
        }
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or(DeliveryError::BadUrl)?;
        let host = host.trim_start_matches('[').trim_end_matches(']').to_string();
        let port = uri.port_u16().unwrap_or(443);
        let endpoint = format!("{host}:{port}");
        let pooled = match policy {
            AddressPolicy::Any => self.take_idle(&endpoint).await,
            AddressPolicy::PublicOnly => None,
        };
        let mut sender = match pooled {
            Some(sender) => sender,
            None => self.connect(&host, port, policy).await?,
        };
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let mut request = http::Request::post(path)
            .header(
                http::header::HOST,
                uri.authority().map_or(host.as_str(), |a| a.as_str()),
            )
            .header(http::header::CONTENT_TYPE, delivery.content_type);
        if let Some(token) = delivery.bearer {
            request = request.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = request
            .body(Full::new(delivery.body.clone()))
            .map_err(|_| DeliveryError::BadUrl)?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| DeliveryError::Connection(e.to_string()))?;
        let status = response.status().as_u16();
        // Read (bounded) so the connection can close cleanly or carry the
        // next delivery.
        let read = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
            .collect()
            .await
            .map(|body| body.to_bytes());
        if read.is_ok() && policy == AddressPolicy::Any {
            self.keep_idle(endpoint, sender);
        }
        match status {
            200..=299 => Ok((status, read.ok())),
            other => Err(DeliveryError::Status(other)),
        }
    }

    /// A new connection: the address the policy allows, TCP, TLS (the
    /// server verified), HTTP/1.1.
    async fn connect(&self, host: &str, port: u16, policy: AddressPolicy) -> Result<Sender, DeliveryError> {
        let address = resolve(host, port, policy).await?;
        let connection = |e: std::io::Error| DeliveryError::Connection(e.to_string());
        let tcp = tokio::net::TcpStream::connect(address)
            .await
            .map_err(connection)?;
        let _ = tcp.set_nodelay(true);
        let name = ServerName::try_from(host.to_string()).map_err(|_| DeliveryError::BadUrl)?;
        let tls = tokio_rustls::TlsConnector::from(self.tls.clone())
            .connect(name, tcp)
            .await
            .map_err(connection)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| DeliveryError::Connection(e.to_string()))?;
        tokio::spawn(connection);
        Ok(sender)
    }

    /// An idle connection to `endpoint` that can take a request now; those
    /// the peer closed meanwhile are dropped.
    async fn take_idle(&self, endpoint: &str) -> Option<Sender> {
        loop {
            let mut sender = {
                let mut idle = self.idle.lock().ok()?;
                idle.get_mut(endpoint)?.pop()?
            };
            if !sender.is_closed() && sender.ready().await.is_ok() {
                return Some(sender);
            }
        }
    }

    /// Keeps `sender` for the next delivery to `endpoint`, up to
    /// [`MAX_IDLE_PER_ENDPOINT`] of them.
    fn keep_idle(&self, endpoint: String, sender: Sender) {
        if sender.is_closed() {
            return;
        }
        if let Ok(mut idle) = self.idle.lock() {
            let kept = idle.entry(endpoint).or_default();
            if kept.len() < MAX_IDLE_PER_ENDPOINT {
                kept.push(sender);
            }
        }
    }
}

/// The first address of `host` the policy allows; under
/// [`AddressPolicy::PublicOnly`] every address it resolves to must be
/// public (a name with one private address is refused outright).
async fn resolve(host: &str, port: u16, policy: AddressPolicy) -> Result<SocketAddr, DeliveryError> {
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| DeliveryError::Resolve)?
        .collect();
    if policy == AddressPolicy::PublicOnly
        && addresses
            .iter()
            .any(|a| !crate::protocol::public_address::is_public(a.ip()))
    {
        return Err(DeliveryError::ForbiddenAddress);
    }
    addresses.into_iter().next().ok_or(DeliveryError::Resolve)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client-supplied endpoint on loopback is refused before any
    /// connection, and not retried; a malformed or plain-http URL too.
    #[tokio::test]
    async fn forbidden_destinations_are_refused_without_retry() {
        let poster = OutboundPoster::new(&[]).unwrap();
        let retry = RetryPolicy {
            attempts: 5,
            first_backoff: Duration::from_secs(60),
            timeout: Duration::from_secs(5),
        };
        let delivery = |url| Delivery {
            url,
            content_type: "application/json",
            body: Bytes::from_static(b"{}"),
            bearer: None,
        };
        let at = std::time::Instant::now();
        for (url, expected) in [
            ("https://127.0.0.1:9/cb", DeliveryError::ForbiddenAddress),
            ("https://[::1]:9/cb", DeliveryError::ForbiddenAddress),
            ("https://localhost:9/cb", DeliveryError::ForbiddenAddress),
            ("http://client.example/cb", DeliveryError::BadUrl),
            ("not a url", DeliveryError::BadUrl),
        ] {
            let got = poster
                .deliver(&delivery(url), AddressPolicy::PublicOnly, retry)
                .await;
            assert_eq!(got, Err(expected), "{url}");
        }
        // No backoff was waited: none of these is transient.
        assert!(at.elapsed() < Duration::from_secs(60));
    }

    /// A TLS server on loopback answering 202, counting its connections.
    async fn counting_server(dir: &std::path::Path) -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        std::fs::write(dir.join("ca.pem"), cert.pem()).unwrap();
        let server = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls_pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = connections.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(|_request| async {
                        let mut response = http::Response::new(Full::new(Bytes::new()));
                        *response.status_mut() = http::StatusCode::ACCEPTED;
                        Ok::<_, std::convert::Infallible>(response)
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        (port, connections)
    }

    /// The device channel (an operator-configured endpoint) is reached
    /// over one kept-alive connection however many deliveries it gets; a
    /// connection the peer dropped is not reused.
    #[tokio::test]
    async fn deliveries_to_a_configured_endpoint_reuse_an_idle_connection() {
        let dir = tempfile::tempdir().unwrap();
        let (port, connections) = counting_server(dir.path()).await;
        let poster = OutboundPoster::new(&[dir.path().join("ca.pem")]).unwrap();
        let url = format!("https://localhost:{port}/ciba/requests");
        let delivery = Delivery {
            url: &url,
            content_type: "application/jwt",
            body: Bytes::from_static(b"a.b.c"),
            bearer: None,
        };
        let retry = RetryPolicy {
            attempts: 1,
            first_backoff: Duration::from_millis(10),
            timeout: Duration::from_secs(5),
        };
        for _ in 0..5 {
            let status = poster.deliver(&delivery, AddressPolicy::Any, retry).await;
            assert_eq!(status, Ok(202));
        }
        assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1);
        // The idle connection gone (as when the peer closes it): a new one.
        poster.idle.lock().unwrap().clear();
        assert_eq!(
            poster.deliver(&delivery, AddressPolicy::Any, retry).await,
            Ok(202)
        );
        assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    /// Transient failures are the ones worth another attempt.
    #[test]
    fn transient_errors_are_connection_timeouts_5xx_and_429() {
        assert!(DeliveryError::Timeout.is_transient());
        assert!(DeliveryError::Connection("reset".into()).is_transient());
        assert!(DeliveryError::Status(503).is_transient());
        assert!(DeliveryError::Status(429).is_transient());
        assert!(!DeliveryError::Status(400).is_transient());
        assert!(!DeliveryError::Status(401).is_transient());
        assert!(!DeliveryError::ForbiddenAddress.is_transient());
    }
}
