//! What bounds a token's use at the gateway: a revocation (through the
//! introspection cache's lifetime) and the client's request budget.

use super::super::flow::harness::*;
use super::super::support::json;
use super::rig::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
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
    assert_status(&response, 401);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert_eq!(rig.upstream.received().len(), 2);
    rig.shutdown().await;
}

/// A revocation notice on the admin listener (`POST /revocations`, the
/// token's SHA-256 as the OP stores it) drops the cached answer at once,
/// well within the TTL; a malformed notice is 400.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_notice_evicts_the_cached_answer_at_once() {
    let rig = Rig::start("", "cache_ttl_secs = 300").await;
    let token = rig.aisp_token("accounts").await;
    let call = || gw_get(ACCOUNTS, &format!("Bearer {token}"));
    assert_eq!(rig.call(call()).await.status(), 200);
    let revoke = form("/revoke", &[("token", &token), ("client_id", AISP)]);
    assert_eq!(rig.op.send(true, revoke).await.status(), 200);
    assert_eq!(rig.call(call()).await.status(), 200, "still cached");
    let admin = rig.gateway.admin_addr;
    let bad = admin_post(
        admin,
        "/revocations",
        &serde_json::json!({"token_sha256": ["AAAA"]}),
    )
    .await;
    assert_eq!(bad, 400);
    let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    let notice = serde_json::json!({"token_sha256": [URL_SAFE_NO_PAD.encode(hash)]});
    assert_eq!(admin_post(admin, "/revocations", &notice).await, 204);
    assert_eq!(rig.call(call()).await.status(), 401, "the OP is asked again");
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
    assert_status(&limited, 429);
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
