//! What bounds a token's use at the gateway: a revocation (through the
//! introspection cache's lifetime) and the client's request budget.

use super::super::flow::harness::*;
use super::super::support::json;
use super::rig::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fiducia::protocol::revocation_notice as notice;
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

/// `POST /revocations` on the gateway's admin listener takes only a
/// notice the OP signed (RFC 7515 with the OP's JWKS, `typ`
/// `revocation-notice+jwt` per RFC 8725 §3.11), from the OP's issuer, for
/// this gateway (RFC 7519 §4.1.3), not expired (§4.1.4): an unsigned JSON
/// body (the form the hook took before the OP sent notices), one signed by
/// another key, one for another gateway and an expired one are 401 and
/// drop nothing; a malformed one is 400; the OP's own drops the cached
/// answer at once, well within the TTL. (This rig's OP has no notice URL,
/// so it sends none itself.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_notice_signed_by_the_op_evicts_the_cached_answer() {
    let rig = Rig::start("", "cache_ttl_secs = 300").await;
    let token = rig.aisp_token("accounts").await;
    let call = || gw_get(ACCOUNTS, &format!("Bearer {token}"));
    assert_eq!(rig.call(call()).await.status(), 200);
    let revoke = form("/revoke", &[("token", &token), ("client_id", AISP)]);
    assert_eq!(rig.op.send(true, revoke).await.status(), 200);
    assert_eq!(rig.call(call()).await.status(), 200, "still cached");

    let admin = rig.gateway.admin_addr;
    let hash: [u8; 32] = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes())
        .as_ref()
        .try_into()
        .unwrap();
    let unsigned = serde_json::json!({"token_sha256": [URL_SAFE_NO_PAD.encode(hash)]});
    assert_eq!(admin_post(admin, "/revocations", &unsigned).await, 401);

    let op_key = rig
        .op
        .handle
        .op_state()
        .unwrap()
        .key_set()
        .signer
        .clone()
        .unwrap();
    let other_key = fiducia_hsm::SoftwareSigner::generate(fiducia_hsm::JoseAlg::Es256).unwrap();
    let now = now();
    let notice = |aud: &str, iat: u64, hashes: &[[u8; 32]]| {
        notice::claims("https://localhost:8443", aud, iat, "n-1", hashes, &[])
    };
    let cases: [(&dyn fiducia_hsm::Signer, serde_json::Value, u16); 4] = [
        (&other_key, notice(GATEWAY, now, &[hash]), 401),
        (op_key.as_ref(), notice("another-gateway", now, &[hash]), 401),
        (op_key.as_ref(), notice(GATEWAY, now - 600, &[hash]), 401),
        (op_key.as_ref(), notice(GATEWAY, now, &[]), 400),
    ];
    for (signer, claims, expected) in cases {
        let jwt = sign(signer, &claims).await;
        assert_eq!(
            admin_post_text(admin, "/revocations", &jwt).await,
            expected,
            "{claims}"
        );
        assert_eq!(rig.call(call()).await.status(), 200, "nothing dropped");
    }
    let jwt = sign(op_key.as_ref(), &notice(GATEWAY, now, &[hash])).await;
    assert_eq!(admin_post_text(admin, "/revocations", &jwt).await, 204);
    assert_eq!(rig.call(call()).await.status(), 401, "the OP is asked again");
    rig.shutdown().await;
}

/// A notice JWT with `claims`, signed by `signer` with the notice's `typ`.
async fn sign(signer: &dyn fiducia_hsm::Signer, claims: &serde_json::Value) -> String {
    let mut header = serde_json::Map::new();
    header.insert("typ".into(), notice::TYP.into());
    fiducia_hsm::sign_jws(signer, header, claims.to_string().as_bytes())
        .await
        .unwrap()
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
