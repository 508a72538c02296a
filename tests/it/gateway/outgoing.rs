//! The gateway's outgoing HTTPS client (`gateway::https_client`, also the
//! demo's) keeps HTTP/1.1 connections alive: requests sent back to back,
//! each as soon as the previous answer was read, all get their answers
//! (an idle connection is reused only once it is ready for the next
//! request, RFC 9112 §9.3).

use super::super::flow::harness::Op;
use bytes::Bytes;
use fiducia::gateway::https_client::HttpsClient;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_to_back_requests_reuse_the_connection_without_failing() {
    let op = Op::start().await;
    let client = HttpsClient::new(
        &op.pki.client_cert(),
        &op.pki.client_key(),
        &[op.pki.ca()],
        Duration::from_secs(5),
        1 << 20,
    )
    .unwrap();
    let base = format!("https://localhost:{}", op.handle.main_addr.port());
    for i in 0..100 {
        // A GET, then a POST answered with an error: both kinds of exchange end cleanly.
        let request = match i % 2 {
            0 => http::Request::get(format!("{base}/.well-known/openid-configuration")).body(Bytes::new()),
            _ => http::Request::post(format!("{base}/token"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Bytes::from_static(
                    b"grant_type=client_credentials&client_id=nobody",
                )),
        }
        .unwrap();
        let response = client
            .send(request)
            .await
            .unwrap_or_else(|e| panic!("request {i}: {e}"));
        assert!(
            matches!(response.status().as_u16(), 200 | 401),
            "request {i}: {}",
            response.status()
        );
    }
    op.handle.shutdown().await;
}
