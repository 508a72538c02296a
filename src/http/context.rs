//! What a handler learns about a request beyond its head and body.

use crate::oauth::caller::{Caller, DpopHeader, ListenerKind};
use crate::protocol::client_cert::ClientCertificate;
use bytes::Bytes;
use http::{Request, Response};
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;

/// The HTTP version the request came over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// HTTP/1.1 over TLS.
    Http1,
    /// HTTP/2 over TLS.
    Http2,
    /// HTTP/3 over QUIC.
    Http3,
}

/// Per-request facts the transport established.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The TCP/UDP peer (a proxy's address when behind one).
    pub peer: SocketAddr,
    /// The client's address: the peer's, or the one a peer in
    /// `server.trusted_proxies` forwards (`http::forwarded`). What login
    /// throttling counts by.
    pub client_addr: IpAddr,
    /// The listener that accepted the request.
    pub listener: ListenerKind,
    /// The HTTP version.
    pub transport: Transport,
    /// The client's certificate, from the TLS handshake or from a trusted
    /// proxy's `Client-Cert` header (RFC 9440).
    pub client_cert: Option<ClientCertificate>,
    /// `x-fapi-interaction-id`: the client's value echoed, or a new UUID.
    pub interaction_id: String,
}

impl RequestContext {
    /// The transport-neutral caller of `request` for the application layer:
    /// this context's facts and the head fields the flows read (the method,
    /// `DPoP`, `Authorization`).
    pub fn caller(&self, request: &Request<Bytes>) -> Caller {
        let headers = request.headers();
        let dpop = DpopHeader::of(headers);
        let authorization = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Caller {
            method: request.method().clone(),
            listener: self.listener,
            client_addr: self.client_addr,
            client_cert: self.client_cert.clone(),
            dpop,
            authorization,
            interaction_id: self.interaction_id.clone(),
        }
    }
}

/// The future a handler returns.
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Response<Bytes>> + Send + 'a>>;

/// Answers requests whose body has already been read within limits. The OP's
/// [`super::router::Router`] is the production handler; tests may put their
/// own behind the same listeners.
pub trait Handler: Send + Sync + 'static {
    /// Handles one request.
    fn handle<'a>(&'a self, request: Request<Bytes>, context: &'a RequestContext) -> HandlerFuture<'a>;

    /// The answer to a request refused before it reached [`Self::handle`]
    /// (a body over the size limit, 413; one not read in time, 408; an
    /// unreadable one): the OAuth error object by default (RFC 6749
    /// §5.2's shape); a listener that speaks another error format (the
    /// Config API's RFC 9457 problems) renders its own.
    fn refuse(&self, error: &crate::protocol::error::OAuthError) -> Response<Bytes> {
        super::response::error(error)
    }

    /// The answer to a request the admission gate did not admit
    /// (`http::admission`): 503 with `Retry-After` (RFC 9110 §15.6.4,
    /// §10.2.3) in the error format of the endpoint `request` is for,
    /// built from the request head alone. By default [`Self::refuse`]'s
    /// format with `temporarily_unavailable` (RFC 6749 §5.2).
    fn shed(&self, request: &http::request::Parts, interaction_id: &str) -> Response<Bytes> {
        let _ = (request, interaction_id);
        self.refuse(&super::response::overloaded())
    }
}

pub use super::route_label::RouteLabel;

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn context() -> RequestContext {
        RequestContext {
            peer: SocketAddr::from((Ipv4Addr::LOCALHOST, 4000)),
            client_addr: IpAddr::from(Ipv4Addr::new(192, 0, 2, 7)),
            listener: ListenerKind::MtlsAlias,
            transport: Transport::Http2,
            client_cert: None,
            interaction_id: "iid".into(),
        }
    }

    fn request(headers: &[(&str, &[u8])]) -> Request<Bytes> {
        let mut builder = Request::builder().method("PUT").uri("/token");
        for (name, value) in headers {
            builder = builder.header(*name, http::HeaderValue::from_bytes(value).unwrap());
        }
        builder.body(Bytes::new()).unwrap()
    }

    #[test]
    fn the_caller_carries_the_head_fields_the_flows_read() {
        let caller = context().caller(&request(&[("DPoP", b"proof"), ("Authorization", b"DPoP tok")]));
        assert_eq!(caller.method, http::Method::PUT);
        assert_eq!(caller.listener, ListenerKind::MtlsAlias);
        assert_eq!(caller.client_addr, IpAddr::from(Ipv4Addr::new(192, 0, 2, 7)));
        assert_eq!(caller.dpop, DpopHeader::One("proof".into()));
        assert_eq!(caller.authorization.as_deref(), Some("DPoP tok"));
        assert_eq!(caller.interaction_id, "iid");
        let bare = context().caller(&request(&[]));
        assert_eq!(bare.dpop, DpopHeader::Absent);
        assert_eq!(bare.authorization, None);
    }

    #[test]
    fn two_dpop_headers_or_a_non_ascii_one_are_kept_apart_rfc9449_s4_3() {
        let two = context().caller(&request(&[("dpop", b"a"), ("dpop", b"b")]));
        assert_eq!(two.dpop, DpopHeader::Repeated);
        let bytes = context().caller(&request(&[("dpop", b"caf\xc3\xa9")]));
        assert_eq!(bytes.dpop, DpopHeader::NotAscii);
    }
}
