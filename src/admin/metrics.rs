//! Prometheus metrics through the `metrics` facade. The recorder is installed
//! once per process; `/metrics` on the admin listener renders it.
//!
//! Names: `fiducia_http_requests_total{route,method,status}`,
//! `fiducia_http_request_duration_seconds{route}` (histogram),
//! `fiducia_tls_handshake_failures_total{listener}`,
//! `fiducia_open_connections{listener}` (gauge).

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Latency buckets in seconds: 100 µs to 10 s.
const LATENCY_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Installs the Prometheus recorder (once) and returns its handle; `None` if
/// another recorder was installed first (the metrics then go there).
pub fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .ok()?;
            match builder.install_recorder() {
                Ok(handle) => Some(handle),
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed");
                    None
                }
            }
        })
        .clone()
}

/// Counts and times one HTTP request.
pub fn record_request(route: &'static str, method: &str, status: u16, elapsed: Duration) {
    metrics::counter!(
        "fiducia_http_requests_total",
        "route" => route,
        "method" => method.to_string(),
        "status" => status.to_string()
    )
    .increment(1);
    metrics::histogram!("fiducia_http_request_duration_seconds", "route" => route)
        .record(elapsed.as_secs_f64());
}

/// Counts a failed (or timed-out) TLS handshake.
pub fn tls_handshake_failed(listener: &'static str) {
    metrics::counter!("fiducia_tls_handshake_failures_total", "listener" => listener).increment(1);
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
