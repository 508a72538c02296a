//! Who is calling, as the application layer sees it: the facts of one
//! request that the flows decide on, without the transport. `http::caller`
//! builds one per request from the request head and what the connection
//! established; `oauth` never sees a `Request` or a socket.

use crate::protocol::client_cert::ClientCertificate;
use std::net::IpAddr;

/// Which of the OP's addresses the request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenerKind {
    /// The main OP listener: client certificate requested, optional.
    Main,
    /// The RFC 8705 §5 alias listener: client certificate required.
    MtlsAlias,
    /// The Config API's own listener (`config_api`): no OP endpoint is
    /// served there.
    ConfigApi,
}

impl ListenerKind {
    /// Label for logs and metrics.
    pub const fn as_str(self) -> &'static str {
        match self {
            ListenerKind::Main => "main",
            ListenerKind::MtlsAlias => "mtls",
            ListenerKind::ConfigApi => "config_api",
        }
    }
}

/// The `DPoP` request header (RFC 9449 §4.1) as it came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DpopHeader {
    /// No `DPoP` header.
    Absent,
    /// Exactly one, its value.
    One(String),
    /// More than one: refused (RFC 9449 §4.3 item 1).
    Repeated,
    /// One whose value is not visible ASCII.
    NotAscii,
}

impl DpopHeader {
    /// The `DPoP` header(s) of a request head, as they came.
    pub fn of(headers: &http::HeaderMap) -> Self {
        let mut values = headers.get_all("dpop").iter();
        match (values.next(), values.next()) {
            (None, _) => DpopHeader::Absent,
            (Some(_), Some(_)) => DpopHeader::Repeated,
            (Some(value), None) => match value.to_str() {
                Ok(value) => DpopHeader::One(value.to_string()),
                Err(_) => DpopHeader::NotAscii,
            },
        }
    }
}

/// One request's caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The request's method: a DPoP proof's `htm` (RFC 9449 §4.3 item 8).
    pub method: http::Method,
    /// The address the request came to: a DPoP proof's `htu` is the
    /// issuer's URL or, on the alias, the mTLS alias's (RFC 8705 §5).
    pub listener: ListenerKind,
    /// The client's address: the peer's, or the one a trusted proxy
    /// forwards. What login throttling counts by.
    pub client_addr: IpAddr,
    /// The client's certificate (RFC 8705), from the TLS handshake or from
    /// a trusted proxy's `Client-Cert` header (RFC 9440).
    pub client_cert: Option<ClientCertificate>,
    /// The `DPoP` header.
    pub dpop: DpopHeader,
    /// The `Authorization` header's value, when it is visible ASCII (RFC
    /// 6750 §2.1, RFC 9449 §7.1): how a protected resource is shown a token.
    pub authorization: Option<String>,
    /// `x-fapi-interaction-id`: the client's value echoed, or a new UUID.
    pub interaction_id: String,
}
