//! The listeners' metrics, through the `metrics` facade (the recorder is
//! installed by `admin::metrics`, which calls [`recorder_chosen`]).
//!
//! Names: `fiducia_http_requests_total{route,method,status}`,
//! `fiducia_http_request_duration_seconds{route}` (histogram),
//! `fiducia_tls_handshake_failures_total{listener}`,
//! `fiducia_connections_refused_total{listener,bound}`,
//! `fiducia_http_requests_shed_total{reason}` (`admission`),
//! `fiducia_runtime_lag_seconds`, `fiducia_overloaded` (gauges, `runtime_lag`),
//! `fiducia_open_connections{listener}` (gauge).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Whether this process has installed its recorder, or tried to (another
/// one was there first): until then a metric handle belongs to no recorder
/// and is not worth keeping.
static RECORDER_CHOSEN: AtomicBool = AtomicBool::new(false);

/// Called once the process's recorder is installed (or its installation
/// was refused): request metric handles may be cached from then on.
pub fn recorder_chosen() {
    RECORDER_CHOSEN.store(true, Ordering::Release);
}

/// Counts and times one HTTP request.
///
/// The recorder's registry hashes a metric's whole label set on each
/// `counter!`/`histogram!` (with two label values formatted into new
/// strings first): ~2 % of a client_credentials grant. Each worker thread
/// keeps the handles it has used, by label values, and reuses them. The
/// label set is bounded: routes are the router's, methods the nine of RFC
/// 9110 §9 or `other` (a client cannot mint new series by inventing
/// methods), statuses three digits.
pub fn record_request(route: &'static str, method: &http::Method, status: u16, elapsed: Duration) {
    let method = method_label(method);
    let seconds = elapsed.as_secs_f64();
    if !RECORDER_CHOSEN.load(Ordering::Acquire) {
        // No recorder installed by this process (yet): nothing to cache.
        request_handles(route, method, status).record(seconds);
        return;
    }
    REQUEST_HANDLES.with(|cache| {
        let mut cache = cache.borrow_mut();
        cache
            .entry((route, method, status))
            .or_insert_with(|| request_handles(route, method, status))
            .record(seconds);
    });
}

thread_local! {
    /// This thread's request metric handles, by (route, method, status).
    static REQUEST_HANDLES: RefCell<HashMap<(&'static str, &'static str, u16), RequestHandles>> =
        RefCell::new(HashMap::new());
}

/// The two metrics of one (route, method, status).
struct RequestHandles {
    requests: metrics::Counter,
    duration: metrics::Histogram,
}

impl RequestHandles {
    fn record(&self, seconds: f64) {
        self.requests.increment(1);
        self.duration.record(seconds);
    }
}

fn request_handles(route: &'static str, method: &'static str, status: u16) -> RequestHandles {
    RequestHandles {
        requests: metrics::counter!(
            "fiducia_http_requests_total",
            "route" => route,
            "method" => method,
            "status" => status.to_string()
        ),
        duration: metrics::histogram!("fiducia_http_request_duration_seconds", "route" => route),
    }
}

/// The `method` label: a method of RFC 9110 §9, else `other`.
fn method_label(method: &http::Method) -> &'static str {
    use http::Method;
    const KNOWN: [(Method, &str); 9] = [
        (Method::GET, "GET"),
        (Method::HEAD, "HEAD"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::DELETE, "DELETE"),
        (Method::CONNECT, "CONNECT"),
        (Method::OPTIONS, "OPTIONS"),
        (Method::TRACE, "TRACE"),
        (Method::PATCH, "PATCH"),
    ];
    KNOWN
        .iter()
        .find(|(known, _)| known == method)
        .map_or("other", |(_, label)| label)
}

/// Counts a failed (or timed-out) TLS handshake.
pub fn tls_handshake_failed(listener: &'static str) {
    metrics::counter!("fiducia_tls_handshake_failures_total", "listener" => listener).increment(1);
}

/// A connection from a `server.proxy_protocol_from` peer refused: no valid
/// PROXY protocol header in time.
pub fn proxy_header_refused(listener: &'static str) {
    metrics::counter!("fiducia_proxy_protocol_refusals_total", "listener" => listener).increment(1);
}

/// A connection refused before its handshake because `bound` (per peer
/// address, or in all) was reached.
pub fn connection_refused(listener: &'static str, bound: &'static str) {
    metrics::counter!("fiducia_connections_refused_total", "listener" => listener, "bound" => bound)
        .increment(1);
}

/// A request the admission gate shed (answered 503 with `Retry-After`
/// before its handler ran) because of `reason` (`admission::Shed`).
pub fn request_shed(reason: &'static str) {
    metrics::counter!("fiducia_http_requests_shed_total", "reason" => reason).increment(1);
}

/// The runtime's scheduling delay as the probe measured it.
pub fn runtime_lag(lag: Duration) {
    metrics::gauge!("fiducia_runtime_lag_seconds").set(lag.as_secs_f64());
}

/// Whether the admission gate sees a standing queue (1: overloaded, the
/// short bound holds).
pub fn overloaded(standing: bool) {
    metrics::gauge!("fiducia_overloaded").set(if standing { 1.0 } else { 0.0 });
}

/// Holds `fiducia_open_connections{listener}` up while alive.
pub struct OpenConnection {
    listener: &'static str,
}

impl OpenConnection {
    /// Counts a connection as open until dropped.
    pub fn new(listener: &'static str) -> Self {
        metrics::gauge!("fiducia_open_connections", "listener" => listener).increment(1.0);
        Self { listener }
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        metrics::gauge!("fiducia_open_connections", "listener" => self.listener).decrement(1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::method_label;

    #[test]
    fn method_labels_are_the_rfc9110_methods_or_other() {
        assert_eq!(method_label(&http::Method::GET), "GET");
        assert_eq!(method_label(&http::Method::POST), "POST");
        assert_eq!(method_label(&http::Method::PATCH), "PATCH");
        let invented = http::Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&invented), "other");
    }
}
