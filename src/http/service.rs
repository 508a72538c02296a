//! The request wrapper every listener and route shares: body limit and read
//! timeout, the client certificate, `x-fapi-interaction-id`, admission
//! (`admission`: 503 with `Retry-After` under overload), default headers
//! and request metrics. It runs before the route table, so no endpoint can
//! forget it.

use super::admission::AdmissionGate;
use super::client_cert;
use super::context::{Handler, RequestContext, RouteLabel, Transport};
use super::metrics as m;
use super::response;
use super::tls::ClientChainVerifier;
use crate::oauth::caller::ListenerKind;
use crate::protocol::client_cert::{CertificateSource, ClientCertificate};
use crate::protocol::error::{ErrorCode, OAuthError};
use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_LENGTH, HeaderName, HeaderValue};
use http::request::Parts;
use http::{Request, Response};
use http_body_util::BodyExt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// `x-fapi-interaction-id` (FAPI 1.0 Part 1 §6.2.1-11, FAPI 2.0 §5.3.2).
pub static X_FAPI_INTERACTION_ID: HeaderName = HeaderName::from_static("x-fapi-interaction-id");
/// RFC 9440 §2.2.
pub static CLIENT_CERT: HeaderName = HeaderName::from_static("client-cert");
/// RFC 9440 §2.3.
pub static CLIENT_CERT_CHAIN: HeaderName = HeaderName::from_static("client-cert-chain");

/// Longest `x-fapi-interaction-id` echoed back; a longer or non-printable one
/// is replaced with a fresh UUID.
const MAX_INTERACTION_ID_LEN: usize = 128;

/// Per-listener request settings.
pub struct RequestService {
    handler: Arc<dyn Handler>,
    max_body_bytes: usize,
    body_read_timeout: Duration,
    trusted_proxies: Arc<[IpAddr]>,
    alt_svc: Option<HeaderValue>,
    client_chain: Option<ClientChainVerifier>,
    draining: Arc<AtomicBool>,
    admission: Option<Arc<AdmissionGate>>,
}

/// What a connection established before its first request.
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    /// The peer address.
    pub peer: SocketAddr,
    /// The accepting listener.
    pub listener: ListenerKind,
    /// The certificate from the TLS handshake, verified.
    pub tls_client_cert: Option<ClientCertificate>,
    /// The peer is a `server.proxy_protocol_from` balancer's PROXY header
    /// source: the balancer passed TLS through, so the handshake's
    /// certificate is the client's own and every HTTP header came from the
    /// client (none is a trusted proxy's).
    pub through_balancer: bool,
}

impl RequestService {
    /// A service in front of `handler`. `alt_svc` is advertised on TCP
    /// responses when HTTP/3 is served (RFC 9114 §3.1.1, RFC 7838).
    pub fn new(
        handler: Arc<dyn Handler>,
        max_body_bytes: usize,
        body_read_timeout: Duration,
        trusted_proxies: Arc<[IpAddr]>,
        alt_svc: Option<HeaderValue>,
        client_chain: Option<ClientChainVerifier>,
    ) -> Self {
        Self {
            handler,
            max_body_bytes,
            body_read_timeout,
            trusted_proxies,
            alt_svc,
            client_chain,
            draining: Arc::new(AtomicBool::new(false)),
            admission: None,
        }
    }

    /// Puts `gate` in front of the handler: a request it does not admit
    /// gets the handler's [`Handler::shed`] answer (503 with `Retry-After`,
    /// RFC 9110 §15.6.4) without reaching the handler. Without a gate every
    /// request is handled.
    pub fn with_admission(mut self, gate: Arc<AdmissionGate>) -> Self {
        self.admission = Some(gate);
        self
    }

    /// Shares `draining`: while it is set, HTTP/1.1 responses carry
    /// `Connection: close` (RFC 9110 §7.6.1), so that every kept-alive
    /// connection ends after its next response and the client's next
    /// connection goes where the balancer now sends it (the drain delay of
    /// `server.drain_delay_ms`, before the listener stops accepting).
    pub fn with_draining(mut self, draining: Arc<AtomicBool>) -> Self {
        self.draining = draining;
        self
    }

    /// The handshake's certificate chain as handlers see it, with whether it
    /// chains to `tls.client_ca`.
    pub fn tls_client_certificate(
        &self,
        chain: Vec<rustls_pki_types::CertificateDer<'static>>,
    ) -> Option<ClientCertificate> {
        let verified = self.client_chain.as_ref().is_some_and(|v| v.verifies(&chain));
        ClientCertificate::new(chain, CertificateSource::Tls, verified)
    }

    /// Serves a hyper (HTTP/1.1 or HTTP/2) request.
    pub async fn serve<B>(&self, conn: &ConnectionInfo, request: Request<B>) -> Response<Bytes>
    where
        B: http_body::Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let started = Instant::now();
        let transport = match request.version() {
            http::Version::HTTP_2 => Transport::Http2,
            _ => Transport::Http1,
        };
        let (parts, body) = request.into_parts();
        let body = self.read_body(&parts, body).await;
        self.finish(conn, transport, parts, body, started).await
    }

    /// Reads a body within the size limit and read timeout.
    pub async fn read_body<B>(&self, parts: &Parts, body: B) -> Result<Bytes, OAuthError>
    where
        B: http_body::Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        if declared_length(parts).is_some_and(|len| len > self.max_body_bytes as u64) {
            return Err(too_large(self.max_body_bytes));
        }
        let limited = http_body_util::Limited::new(body, self.max_body_bytes);
        match tokio::time::timeout(self.body_read_timeout, limited.collect()).await {
            Ok(Ok(collected)) => Ok(collected.to_bytes()),
            Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(too_large(self.max_body_bytes)),
            Ok(Err(e)) => Err(OAuthError::invalid_request(format!(
                "the request body could not be read: {e}"
            ))),
            Err(_) => Err(OAuthError::new(
                ErrorCode::RequestTimeout,
                "the request body did not arrive in time",
            )),
        }
    }

    /// The size limit, for transports that read bodies themselves.
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// The body read timeout, for transports that read bodies themselves.
    pub fn body_read_timeout(&self) -> Duration {
        self.body_read_timeout
    }

    /// Everything after the body: certificate, interaction id, the handler,
    /// default headers and metrics.
    pub async fn finish(
        &self,
        conn: &ConnectionInfo,
        transport: Transport,
        parts: Parts,
        body: Result<Bytes, OAuthError>,
        started: Instant,
    ) -> Response<Bytes> {
        let interaction_id = interaction_id(&parts);
        let method = parts.method.clone();
        let response = match (body, self.client_certificate(conn, &parts)) {
            (Ok(body), Ok(client_cert)) => {
                let _admitted = match &self.admission {
                    Some(gate) => match gate.admit().await {
                        Ok(admitted) => Some(admitted),
                        Err(shed) => {
                            m::request_shed(shed.as_str());
                            return self.finish_response(
                                self.handler.shed(&parts, &interaction_id),
                                &method,
                                transport,
                                &interaction_id,
                                started,
                            );
                        }
                    },
                    None => None,
                };
                let context = RequestContext {
                    peer: conn.peer,
                    client_addr: super::forwarded::client_address(
                        conn.peer.ip(),
                        &parts.headers,
                        self.header_proxies(conn),
                    ),
                    listener: conn.listener,
                    transport,
                    client_cert,
                    interaction_id: interaction_id.clone(),
                };
                self.handler
                    .handle(Request::from_parts(parts, body), &context)
                    .await
            }
            (Err(e), _) | (_, Err(e)) => self.handler.refuse(&e),
        };
        self.finish_response(response, &method, transport, &interaction_id, started)
    }

    /// Default headers, `HEAD` without content, metrics and the log line.
    fn finish_response(
        &self,
        mut response: Response<Bytes>,
        method: &http::Method,
        transport: Transport,
        interaction_id: &str,
        started: Instant,
    ) -> Response<Bytes> {
        let headers = response.headers_mut();
        if !headers.contains_key(CACHE_CONTROL) {
            headers.insert(CACHE_CONTROL, response::NO_STORE);
        }
        if let Ok(value) = HeaderValue::from_str(interaction_id) {
            headers.insert(X_FAPI_INTERACTION_ID.clone(), value);
        }
        if transport != Transport::Http3
            && let Some(alt_svc) = &self.alt_svc
        {
            headers.insert(http::header::ALT_SVC, alt_svc.clone());
        }
        if transport == Transport::Http1 && self.draining.load(Ordering::Relaxed) {
            headers.insert(http::header::CONNECTION, HeaderValue::from_static("close"));
        }
        if method == http::Method::HEAD {
            // RFC 9110 §9.3.2: the same header fields as GET, no content. hyper
            // strips the body for HTTP/1.1 only; HTTP/2 and HTTP/3 would send it.
            let length = response.body().len();
            response
                .headers_mut()
                .insert(CONTENT_LENGTH, HeaderValue::from(length));
            *response.body_mut() = Bytes::new();
        }
        let route = response.extensions().get::<RouteLabel>().map_or("none", |l| l.0);
        m::record_request(route, method, response.status().as_u16(), started.elapsed());
        tracing::debug!(
            route,
            method = %method,
            status = response.status().as_u16(),
            interaction_id = %interaction_id,
            elapsed_us = started.elapsed().as_micros() as u64,
            "request"
        );
        response
    }

    /// The client's certificate. From a trusted proxy, only the RFC 9440
    /// `Client-Cert` header's, or none when the proxy forwards none: the
    /// certificate a trusted proxy presents in its own TLS handshake is the
    /// proxy's, never the client's (RFC 9440 §4: the proxy asserts the
    /// client's certificate in the header; a token bound to the proxy's
    /// certificate would be usable by every client behind it). From any
    /// other peer the header is ignored and its TLS certificate counts.
    fn client_certificate(
        &self,
        conn: &ConnectionInfo,
        parts: &Parts,
    ) -> Result<Option<ClientCertificate>, OAuthError> {
        if !self.header_proxies(conn).contains(&conn.peer.ip()) {
            return Ok(conn.tls_client_cert.clone());
        }
        match parts.headers.get(&CLIENT_CERT) {
            Some(value) => {
                let cert = value
                    .to_str()
                    .map_err(|_| OAuthError::invalid_request("Client-Cert is not ASCII"))?;
                let chain = parts
                    .headers
                    .get(&CLIENT_CERT_CHAIN)
                    .and_then(|v| v.to_str().ok());
                client_cert::from_headers(cert, chain, |chain| {
                    self.client_chain.as_ref().is_some_and(|v| v.verifies(chain))
                })
                .map(Some)
                .map_err(|e| OAuthError::invalid_request(e.to_string()))
            }
            None => Ok(None),
        }
    }
}

impl RequestService {
    /// The proxies whose headers count on `conn`: none through a balancer
    /// that passes TLS through (its PROXY header's source is the client).
    fn header_proxies(&self, conn: &ConnectionInfo) -> &[IpAddr] {
        if conn.through_balancer {
            &[]
        } else {
            &self.trusted_proxies
        }
    }
}

fn declared_length(parts: &Parts) -> Option<u64> {
    parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

fn too_large(limit: usize) -> OAuthError {
    OAuthError::new(
        ErrorCode::RequestTooLarge,
        format!("the request body is larger than {limit} bytes"),
    )
}

/// Echo the client's `x-fapi-interaction-id` when it is a sane token, or
/// create one (FAPI 1.0 Part 1 §6.2.1-11/12: the value received, else a UUID).
fn interaction_id(parts: &Parts) -> String {
    parts
        .headers
        .get(&X_FAPI_INTERACTION_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty() && v.len() <= MAX_INTERACTION_ID_LEN && v.bytes().all(|b| b.is_ascii_graphic())
        })
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut builder = Request::builder().uri("/token");
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn interaction_id_is_echoed_when_sane_fapi1_part1_s6_2_1() {
        let id = "c770aef3-6784-41f7-8e0e-ff5f97bddb3a";
        assert_eq!(interaction_id(&parts(&[("x-fapi-interaction-id", id)])), id);
    }

    #[test]
    fn interaction_id_is_created_when_absent_or_unusable() {
        let created = interaction_id(&parts(&[]));
        assert!(uuid::Uuid::parse_str(&created).is_ok());
        let long = "a".repeat(MAX_INTERACTION_ID_LEN + 1);
        assert_ne!(interaction_id(&parts(&[("x-fapi-interaction-id", &long)])), long);
        assert_ne!(interaction_id(&parts(&[("x-fapi-interaction-id", "a b")])), "a b");
    }
}
