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
//!   (another 4xx) or a URL the policy forbids.
//!
//! Nothing here logs a body or a bearer token: they carry tokens.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Most of an answer's body read (and discarded).
pub const MAX_ANSWER_BYTES: usize = 16 * 1024;

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
        let mut backoff = retry.first_backoff;
        let mut attempt = 1;
        loop {
            match self.post_once(delivery, policy, retry.timeout).await {
                Ok(status) => return Ok(status),
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
        tokio::time::timeout(timeout, self.attempt(delivery, policy))
            .await
            .map_err(|_| DeliveryError::Timeout)?
    }

    async fn attempt(&self, delivery: &Delivery<'_>, policy: AddressPolicy) -> Result<u16, DeliveryError> {
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
        let address = resolve(&host, port, policy).await?;
        let connection = |e: std::io::Error| DeliveryError::Connection(e.to_string());
        let tcp = tokio::net::TcpStream::connect(address)
            .await
            .map_err(connection)?;
        let name = ServerName::try_from(host.clone()).map_err(|_| DeliveryError::BadUrl)?;
        let tls = tokio_rustls::TlsConnector::from(self.tls.clone())
            .connect(name, tcp)
            .await
            .map_err(connection)?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| DeliveryError::Connection(e.to_string()))?;
        tokio::spawn(connection);
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
        // Read (bounded) so the connection closes cleanly; the body is not used.
        let _ = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
            .collect()
            .await;
        match status {
            200..=299 => Ok(status),
            other => Err(DeliveryError::Status(other)),
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
