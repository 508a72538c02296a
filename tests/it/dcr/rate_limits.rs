//! Request budgets of registered clients (`requests_per_second` and `burst`
//! of a `[[registration.trusted_directories]]` entry): over it, 429 with
//! `Retry-After` (RFC 6585 §4).

use super::super::flow::harness::*;
use super::super::support::*;
use super::*;

/// A directory's lower budget applies to the clients it registers: with
/// burst 2 and 1 request per second, the third token request in a row is
/// 429 with `Retry-After`, and a second later one is allowed again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directorys_lower_budget_gives_429_with_retry_after_rfc6585_s4() {
    let dcr = Dcr::start_with(|c| {
        c.replace(
            "certificate_binding = \"uk\"\n",
            "certificate_binding = \"uk\"\nrequests_per_second = 1\nburst = 2\n",
        )
    })
    .await;
    let registered = dcr.register_mtls_client().await;
    let client_id = registered["client_id"].as_str().unwrap().to_string();
    let token = || {
        form(
            "/token",
            &[("grant_type", "client_credentials"), ("client_id", &client_id)],
        )
    };
    for _ in 0..2 {
        assert_status(&dcr.op.send(true, token()).await, 200);
    }
    let refused = dcr.op.send(true, token()).await;
    assert_eq!(
        refused.status(),
        429,
        "{}",
        String::from_utf8_lossy(refused.body())
    );
    let retry_after: u64 = refused
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!(retry_after >= 1);
    tokio::time::sleep(std::time::Duration::from_secs(retry_after)).await;
    assert_status(&dcr.op.send(true, token()).await, 200);
    // Not global: a `[[clients]]` client over the same certificate keeps
    // its own budget (burst 200).
    for _ in 0..3 {
        let request = form(
            "/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", MTLS),
                ("scope", "accounts"),
            ],
        );
        assert_status(&dcr.op.send(true, request).await, 200);
    }
}
