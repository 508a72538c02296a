//! The admin listener: `/healthz` (the process answers), `/readyz` (TLS,
//! signer and — later — store are ready and the process is not draining) and
//! `/metrics` (Prometheus text), and in the API gateway `POST /revocations`
//! (`revocations`). Plain HTTP on a private address (`admin.listen`,
//! loopback by default). The Config API has a TLS listener of its own
//! (`config_api`).

pub mod metrics;
pub mod readiness;
pub mod revocations;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use metrics_exporter_prometheus::PrometheusHandle;
use readiness::Readiness;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// State behind the admin routes.
pub struct Admin {
    /// Component readiness.
    pub readiness: Arc<Readiness>,
    /// The metrics recorder's handle, when this process installed it.
    pub metrics: Option<PrometheusHandle>,
    /// Receives `POST /revocations` notices (the API gateway's cache);
    /// `None`: POST is 405 as everywhere.
    pub revocations: Option<Arc<dyn revocations::RevocationSink>>,
}

impl Admin {
    fn respond(&self, request: &Request<hyper::body::Incoming>) -> Response<Bytes> {
        if request.method() != Method::GET && request.method() != Method::HEAD {
            return text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        }
        match request.uri().path() {
            "/healthz" => text(StatusCode::OK, "ok\n"),
            "/readyz" => self.readyz(),
            "/metrics" => match &self.metrics {
                Some(handle) => {
                    let mut response = text(StatusCode::OK, &handle.render());
                    response.headers_mut().insert(
                        http::header::CONTENT_TYPE,
                        http::HeaderValue::from_static("text/plain; version=0.0.4"),
                    );
                    response
                }
                None => text(
                    StatusCode::NOT_FOUND,
                    "metrics recorder not installed in this process\n",
                ),
            },
            _ => text(StatusCode::NOT_FOUND, "not found\n"),
        }
    }

    fn readyz(&self) -> Response<Bytes> {
        let (ready, draining, components) = self.readiness.snapshot();
        let body = serde_json::json!({ "ready": ready, "draining": draining, "components": components });
        let status = if ready {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        let mut response = Response::new(Bytes::from(body.to_string()));
        *response.status_mut() = status;
        response
            .headers_mut()
            .insert(http::header::CONTENT_TYPE, crate::http::response::JSON);
        response
    }
}

fn text(status: StatusCode, body: &str) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// A running admin listener.
pub struct AdminListener {
    /// The bound address.
    pub addr: std::net::SocketAddr,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl AdminListener {
    /// Binds `listen` (`field` names it in the error) and serves `admin`
    /// there until [`AdminListener::stop`].
    pub async fn start(listen: std::net::SocketAddr, field: &str, admin: Admin) -> anyhow::Result<Self> {
        use anyhow::Context;
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("{field}: cannot bind {listen}"))?;
        let addr = listener.local_addr()?;
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(run(listener, Arc::new(admin), stop_rx));
        Ok(Self { addr, stop, task })
    }

    /// Stops serving and waits for the listener to end.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Serves the admin routes until `stop` turns true.
pub async fn run(listener: TcpListener, admin: Arc<Admin>, mut stop: watch::Receiver<bool>) {
    if let Some(handle) = admin.metrics.clone() {
        // Histograms are drained on render; upkeep bounds memory between scrapes.
        let mut upkeep_stop = stop.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            loop {
                tokio::select! {
                    _ = tick.tick() => handle.run_upkeep(),
                    _ = upkeep_stop.changed() => break,
                }
            }
        });
    }
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let admin = admin.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |request: Request<hyper::body::Incoming>| {
                        let admin = admin.clone();
                        async move {
                            let response = match (&admin.revocations, request.method(), request.uri().path()) {
                                (Some(sink), &Method::POST, "/revocations") => {
                                    let (status, body) = revocations::notice(sink.as_ref(), request.into_body()).await;
                                    text(status, &body)
                                }
                                _ => admin.respond(&request),
                            };
                            Ok::<_, Infallible>(response.map(Full::new))
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(Duration::from_secs(10))
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
            _ = stop.changed() => break,
        }
    }
}
