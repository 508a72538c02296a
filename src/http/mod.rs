//! The HTTP layer: listeners (HTTP/1.1 and HTTP/2 over rustls/TCP, HTTP/3 over
//! quinn), the request wrapper every route shares, the static route table and
//! the endpoints.
//!
//! A request travels: listener (TLS; the peer chain is kept) -> `service`
//! (body limit and timeout, client certificate from TLS or a trusted proxy's
//! RFC 9440 header, `x-fapi-interaction-id`, the `admission` gate: 503 with
//! `Retry-After` under overload) -> `router` (static table) ->
//! endpoint -> protocol checks -> response (`Cache-Control: no-store`,
//! metrics).

pub mod admission;
pub mod browser;
pub mod client_cert;
pub mod connection_slots;
pub mod context;
pub mod endpoints;
pub mod fapi_headers;
pub mod forwarded;
pub mod h3;
pub mod h3_guard;
pub mod limits;
pub mod metrics;
pub mod proxy_protocol;
pub mod response;
pub mod route_label;
pub mod router;
pub mod runtime_lag;
pub mod service;
pub mod standalone;
pub mod standing_queue;
pub mod tcp;
pub mod tls;

pub use crate::oauth::caller::ListenerKind;
pub use context::{Handler, HandlerFuture, RequestContext, Transport};
