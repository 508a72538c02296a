//! The admin listener: health, readiness and Prometheus metrics.

use super::support::*;
use fiducia::server;

#[tokio::test]
async fn health_readiness_and_request_metrics() {
    let pki = TestPki::new();
    let handle = server::start(pki.config("")).await.unwrap();
    assert_eq!(admin_get(handle.admin_addr, "/healthz").await.0, 200);
    let (status, body) = admin_get(handle.admin_addr, "/readyz").await;
    assert_eq!(status, 200, "{body}");
    let readiness: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(readiness["components"]["tls"], true);
    assert_eq!(readiness["components"]["signer"], true);

    let tls = client_tls(&pki, false, &[b"http/1.1"]);
    let response = send(
        handle.main_addr,
        tls,
        Version::Http1,
        get("/.well-known/openid-configuration"),
    )
    .await;
    assert_eq!(response.status(), 200);
    let (status, metrics) = admin_get(handle.admin_addr, "/metrics").await;
    assert_eq!(status, 200);
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("fiducia_http_requests_total{")
                && l.contains("route=\"discovery\"")
                && l.contains("status=\"200\"")),
        "{metrics}"
    );
    assert!(
        metrics.contains("fiducia_http_request_duration_seconds_bucket{route=\"discovery\""),
        "{metrics}"
    );
    assert!(
        metrics.contains("fiducia_open_connections{listener=\"main\"}"),
        "{metrics}"
    );
    // A fresh store commits its schema version at start: group-commit counters.
    let counter = |name: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or(0)
    };
    let (commits, syncs) = (
        counter("fiducia_store_commits_total "),
        counter("fiducia_store_log_syncs_total "),
    );
    assert!(commits >= 1 && syncs >= 1 && syncs <= commits, "{metrics}");

    handle.begin_shutdown();
    let (status, body) = admin_get(handle.admin_addr, "/readyz").await;
    assert_eq!(status, 503, "draining must not be ready: {body}");
    handle.shutdown().await;
}
