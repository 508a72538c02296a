//! What bounds a token's use at the gateway: a revocation (through the
//! introspection cache's lifetime) and the client's request budget.

use super::super::flow::harness::*;
use super::super::support::json;
use super::rig::*;
use std::time::Duration;

/// RFC 7009 §2 with RFC 7662: a revoked token is refused once its cache
/// entry (≤ `op.cache_ttl_secs`, ≤ `exp`) is gone; until then the cached
/// answer serves it, which is why the TTL is short.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_is_refused_after_the_cache_ttl() {
    let rig = Rig::start("", "cache_ttl_secs = 2").await;
    let token = rig.aisp_token("accounts").await;
    let call = || gw_get(ACCOUNTS, &format!("Bearer {token}"));
    assert_eq!(rig.call(call()).await.status(), 200);
    let revoke = form("/revoke", &[("token", &token), ("client_id", AISP)]);
    assert_eq!(rig.op.send(true, revoke).await.status(), 200);
    assert_eq!(
        rig.call(call()).await.status(),
        200,
        "served from the cache within its TTL"
    );
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let response = rig.call(call()).await;
    assert_eq!(
        response.status(),
        401,
        "{}",
        String::from_utf8_lossy(response.body())
    );
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert_eq!(rig.upstream.received().len(), 2);
    rig.shutdown().await;
}

/// RFC 6585 §4: a client over its budget gets 429 with `Retry-After`, in
/// the Open Banking error shape.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_over_its_budget_gets_429() {
    let rig = Rig::start("requests_per_second = 1\nburst = 2", "").await;
    let token = rig.aisp_token("accounts").await;
    let call = || gw_get(ACCOUNTS, &format!("Bearer {token}"));
    assert_eq!(rig.call(call()).await.status(), 200);
    assert_eq!(rig.call(call()).await.status(), 200);
    let limited = rig.call(call()).await;
    assert_eq!(
        limited.status(),
        429,
        "{}",
        String::from_utf8_lossy(limited.body())
    );
    assert!(
        limited.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(json(limited.body())["Code"], "429 Too Many Requests");
    assert_eq!(rig.upstream.received().len(), 2);
    rig.shutdown().await;
}
