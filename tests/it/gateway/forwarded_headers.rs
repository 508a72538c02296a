//! RFC 9110 §7.6.1: the gateway forwards end-to-end fields only — every
//! field a `Connection` header names stops at the gateway, on the request
//! to the bank API and on the bank's response to the fintech.

use super::super::flow::harness::*;
use super::rig::*;

/// The fintech's `Connection: x-hop` field and the bank's `Connection:
/// x-bank-hop` field are not forwarded; end-to-end fields are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fields_named_by_connection_are_not_forwarded_either_way() {
    let rig = Rig::start("", "").await;
    let token = rig.aisp_token("accounts").await;
    let mut call = gw_get(ACCOUNTS, &format!("Bearer {token}"));
    let headers = call.headers_mut();
    headers.insert("connection", "X-Hop, x-other".parse().unwrap());
    headers.insert("x-hop", "for the gateway only".parse().unwrap());
    headers.insert("x-other", "for the gateway only".parse().unwrap());
    headers.insert("x-end-to-end", "for the bank".parse().unwrap());
    let response = rig.call(call).await;
    assert_status(&response, 200);
    let received = rig.upstream.received();
    assert_eq!(received.len(), 1);
    let forwarded = &received[0].headers;
    assert_eq!(forwarded["x-end-to-end"], "for the bank");
    assert!(forwarded.get("x-hop").is_none(), "{forwarded:?}");
    assert!(forwarded.get("x-other").is_none(), "{forwarded:?}");
    // The bank answered with `Connection: x-bank-hop` and that field.
    assert_eq!(response.headers()["x-bank"], "sample");
    assert!(
        response.headers().get("x-bank-hop").is_none(),
        "{:?}",
        response.headers()
    );
    rig.shutdown().await;
}
