//! The device channel under concurrency: backchannel requests that arrive
//! while a delivery to the device is under way go out together in one
//! signed JWS (`oauth/ciba/device_batch.rs`), and each client hears its own
//! outcome (CIBA Core §7.3: an `auth_req_id` only for a request the
//! customer's device took; §13 `temporarily_unavailable` otherwise).

use super::super::support::*;
use super::*;

/// A customer the OP knows but the device does not.
const BOB_ON_THE_OP_ONLY: &str = r#"
[[login.seed_users]]
username = "bob"
password = "bob-secret-123"
account_id = "acc-bob-1"
name = "Bob Roe"
email = "bob@example.com"
"#;

/// Twelve requests for the device's customer and two for one the device
/// does not have, all at once: the twelve are answered and all twelve are
/// on the device, each with its own binding message; the two are 503
/// `temporarily_unavailable` and nothing of them is left pending.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_each_hear_their_own_outcome() {
    let ciba = Ciba::start_with(BOB_ON_THE_OP_ONLY).await;
    let mut requests = Vec::new();
    for n in 0..14 {
        let claims = match n {
            12 | 13 => json!({"login_hint": "bob", "binding_message": format!("BOB{n}")}),
            _ => json!({"binding_message": format!("MSG{n}")}),
        };
        requests.push((n, ciba.signed_request(POLL, claims).await));
    }
    let ciba = &ciba;
    let answers = futures::future::join_all(requests.iter().map(|(n, request)| async move {
        let response = ciba.backchannel(POLL, &[("request", request)]).await;
        (*n, response)
    }))
    .await;
    let mut ids = std::collections::HashMap::new();
    for (n, response) in &answers {
        if *n >= 12 {
            assert_status(response, 503);
            assert_eq!(error_of(response), "temporarily_unavailable");
            continue;
        }
        assert_status(response, 200);
        let id = json(response.body())["auth_req_id"].as_str().unwrap().to_string();
        ids.insert(id, format!("MSG{n}"));
    }
    assert_eq!(ids.len(), 12, "twelve distinct auth_req_ids");
    let shown = ciba.on_device().await;
    assert_eq!(shown.len(), 12, "{shown:?}");
    for request in &shown {
        let id = request["auth_req_id"].as_str().unwrap();
        assert_eq!(
            Some(request["binding_message"].as_str().unwrap()),
            ids.get(id).map(String::as_str),
            "each request shown with its own binding message"
        );
    }
    // Each answered request is pending at the OP; approving one gives tokens.
    let (first, _) = ids.iter().next().unwrap();
    let response = ciba.poll(POLL, first).await;
    assert_eq!(error_of(&response), "authorization_pending");
    assert_status(&ciba.decide(first, true).await, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_status(&ciba.poll(POLL, first).await, 200);
}
