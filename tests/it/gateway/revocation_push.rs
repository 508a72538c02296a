//! Revocations pushed from the OP to the API gateway over real listeners
//! (`oauth/revocation_notices`, `gateway/revocation_notice.rs`): the OP's
//! `[[resource_servers]]` entry of the gateway has a
//! `revocation_notice_url` (a `Relay` in front of the gateway's admin
//! listener, so the tests can take the gateway's notice address down and
//! bring it back), and the gateway caches introspection answers for 300 s.
//! A token the gateway cached is refused there within a second of its
//! revocation (RFC 7009 §2 with RFC 7662 §2.2: a revoked token is not
//! active), through an outage of the gateway and a restart of the OP.

use super::super::flow::consents::ACCOUNTS as ACCOUNT_CONSENTS;
use super::super::flow::consents::api;
use super::super::flow::consents::cc_token;
use super::super::flow::dashboard::{authorised_consent, sign_in};
use super::super::flow::gateway::gateway_introspection_of;
use super::super::flow::harness::*;
use super::super::flow::obie_intent::{create_consent, push_with_intent, tokens_for_code};
use super::super::support::{TestPki, free_port, json};
use super::relay::Relay;
use super::rig::*;
use serde_json::json;
use std::time::{Duration, Instant};

/// The introspection cache's lifetime at the gateway: far longer than any
/// test, so only a notice can make it refuse a cached token.
const LONG_TTL: &str = "cache_ttl_secs = 300";
/// How soon after a revocation the gateway must refuse the token.
const WITHIN: Duration = Duration::from_secs(1);

/// The OP (its gateway's notices go to `relay`; `env` more overrides),
/// the bank API and the gateway; `relay` points at the gateway's admin
/// listener.
async fn start(relay: &Relay, env: &[(&str, &str)]) -> Rig {
    let line = format!("revocation_notice_url = \"http://{}/revocations\"", relay.addr);
    let sections = Sections {
        gateway_resource_server: &line,
        env,
        ..Sections::default()
    };
    let op = Op::start_with_sections(TestPki::new(), sections, clients).await;
    let rig = Rig::start_on(op, "", LONG_TTL).await;
    relay.point_at(Some(rig.gateway.admin_addr));
    rig
}

/// A call to the accounts route with `token`, as the fintech whose
/// certificate it is bound to; its status.
async fn status(rig: &Rig, token: &str) -> u16 {
    rig.call(gw_get(ACCOUNTS, &format!("Bearer {token}")))
        .await
        .status()
        .as_u16()
}

/// Calls until the gateway refuses `token` (401), failing if it is still
/// served after `limit`; how long the refusal took.
async fn refused_within(rig: &Rig, token: &str, limit: Duration) -> Duration {
    let start = Instant::now();
    loop {
        match status(rig, token).await {
            401 => return start.elapsed(),
            200 => assert!(
                start.elapsed() < limit,
                "still served from the cache after {limit:?}"
            ),
            other => panic!("the gateway answered {other}"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Records in the OP's revocation outbox.
async fn outbox(op: &Op) -> usize {
    let state = op.handle.op_state().unwrap();
    state
        .services
        .repo
        .pending_notices(100, now())
        .await
        .unwrap()
        .len()
}

/// RFC 7009 §2.1 at `/revoke`: the access token's SHA-256 reaches the
/// gateway, which drops its cached answer; the next call asks the OP and
/// is refused, within a second although the cache would serve it 300 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_at_revoke_is_refused_at_the_gateway_within_a_second() {
    let relay = Relay::start().await;
    let rig = start(&relay, &[]).await;
    let token = rig.aisp_token("accounts").await;
    assert_eq!(status(&rig, &token).await, 200);
    assert_eq!(status(&rig, &token).await, 200, "cached");

    let revoke = form("/revoke", &[("token", &token), ("client_id", AISP)]);
    assert_eq!(rig.op.send(true, revoke).await.status(), 200);
    let took = refused_within(&rig, &token, WITHIN).await;
    assert!(took < WITHIN, "{took:?}");
    // The calls the cache served before the notice reached the bank API,
    // none after.
    let served = rig.upstream.received().len();
    assert_eq!(status(&rig, &token).await, 401);
    assert_eq!(rig.upstream.received().len(), served);
    wait_for_empty_outbox(&rig.op).await;
    rig.shutdown().await;
}

/// UK OBIE Account and Transaction API: the customer's grant made on an
/// account access consent goes when the fintech withdraws the consent
/// (DELETE, `Repo::revoke_by_grant_id`); the notice names the grant and
/// its access tokens, and the gateway refuses the cached token within a
/// second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawn_account_access_consent_is_refused_at_the_gateway_within_a_second() {
    let relay = Relay::start().await;
    let rig = start(&relay, &[]).await;
    let op = &rig.op;
    let body = json!({"Data": {"Permissions": ["ReadAccountsBasic", "ReadBalances"]}, "Risk": {}});
    let intent = create_consent(op, ACCOUNT_CONSENTS, "accounts", "access-1", &body).await;
    let (verifier, challenge) = pkce();
    let response = push_with_intent(op, &challenge, "openid accounts", &intent).await;
    assert_status(&response, 201);
    let request_uri = json(response.body())["request_uri"].as_str().unwrap().to_string();
    let redirect = Browser::new().authorize(op, MTLS, &request_uri, true).await;
    let code = query_param(&redirect, "code").unwrap();
    let tokens = tokens_for_code(op, &code, &verifier).await;
    let access_token = tokens["access_token"].as_str().unwrap();
    assert_eq!(status(&rig, access_token).await, 200);
    assert_eq!(status(&rig, access_token).await, 200, "cached");

    let client_token = cc_token(op, "accounts").await;
    let item = format!("{ACCOUNT_CONSENTS}/{intent}");
    let deleted = op
        .send(true, api("DELETE", &item, &client_token, None, None))
        .await;
    assert_eq!(deleted.status(), 204);
    let took = refused_within(&rig, access_token, WITHIN).await;
    assert!(took < WITHIN, "{took:?}");
    wait_for_empty_outbox(&rig.op).await;
    rig.shutdown().await;
}

/// Issue 26: the customer revokes the consent on the OP's dashboard
/// (`/account/consents`, `Repo::revoke_by_grant_id`): the fintech's next
/// call at the gateway is refused within a second, although the gateway
/// had the token's answer cached for 300 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consent_revoked_on_the_dashboard_is_refused_at_the_gateway_within_a_second() {
    let relay = Relay::start().await;
    let rig = start(&relay, &[]).await;
    let op = &rig.op;
    let (_, tokens) = authorised_consent(op, (USER, PASSWORD), "dashboard-gw-1").await;
    let access_token = tokens["access_token"].as_str().unwrap();
    assert_eq!(status(&rig, access_token).await, 200);
    assert_eq!(status(&rig, access_token).await, 200, "cached");
    let grant_id = gateway_introspection_of(op, access_token).await["grant_id"]
        .as_str()
        .unwrap()
        .to_string();

    let mut browser = Browser::new();
    let html = sign_in(op, &mut browser, (USER, PASSWORD)).await;
    assert!(html.contains(&grant_id), "the dashboard lists the grant: {html}");
    let csrf = hidden_field(&html, "csrf");
    let revoked = browser
        .post(
            op,
            "/account/consents/revoke",
            &[("grant_id", &grant_id), ("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_status(&revoked, 303);
    let took = refused_within(&rig, access_token, WITHIN).await;
    assert!(took < WITHIN, "{took:?}");
    wait_for_empty_outbox(&rig.op).await;
    rig.shutdown().await;
}

/// The gateway's notice address is down while the token is revoked: the
/// OP keeps the notice, retries with backoff, and the gateway, still
/// serving its cached answer meanwhile, refuses the token soon after it is
/// back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_down_during_the_revocation_gets_the_notice_when_it_is_back() {
    let relay = Relay::start().await;
    let rig = start(&relay, &[]).await;
    let token = rig.aisp_token("accounts").await;
    assert_eq!(status(&rig, &token).await, 200);

    relay.point_at(None);
    let revoke = form("/revoke", &[("token", &token), ("client_id", AISP)]);
    assert_eq!(rig.op.send(true, revoke).await.status(), 200);
    // Several attempts fail (250 ms, 500 ms, 1 s apart).
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(status(&rig, &token).await, 200, "no notice arrived: cached");
    assert_eq!(outbox(&rig.op).await, 1, "kept until the gateway takes it");

    relay.point_at(Some(rig.gateway.admin_addr));
    // The next attempt is at most the current backoff (1 s) away.
    refused_within(&rig, &token, Duration::from_secs(3)).await;
    wait_for_empty_outbox(&rig.op).await;
    rig.shutdown().await;
}

/// The OP stops with a notice in its outbox (the gateway unreachable) and
/// starts again on the same store: the notice is read back and delivered,
/// and the gateway, which cached the token before, refuses it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_op_restarted_with_a_pending_notice_delivers_it() {
    let relay = Relay::start().await;
    // The same port after the restart, so the gateway finds the OP again.
    let listen = format!("127.0.0.1:{}", free_port());
    let rig = start(&relay, &[("FIDUCIA_SERVER__LISTEN", &listen)]).await;
    let token = rig.aisp_token("accounts").await;
    assert_eq!(status(&rig, &token).await, 200);

    relay.point_at(None);
    let revoke = form("/revoke", &[("token", &token), ("client_id", AISP)]);
    assert_eq!(rig.op.send(true, revoke).await.status(), 200);
    assert_eq!(outbox(&rig.op).await, 1);
    let Rig {
        op,
        upstream,
        gateway,
    } = rig;
    let op = op.restart().await;
    let rig = Rig {
        op,
        upstream,
        gateway,
    };
    assert_eq!(outbox(&rig.op).await, 1, "read back from the store");
    assert_eq!(status(&rig, &token).await, 200, "still cached at the gateway");

    relay.point_at(Some(rig.gateway.admin_addr));
    refused_within(&rig, &token, Duration::from_secs(2)).await;
    wait_for_empty_outbox(&rig.op).await;
    rig.shutdown().await;
}

/// Waits (at most 2 s) until the gateway took every notice and the OP
/// deleted them.
async fn wait_for_empty_outbox(op: &Op) {
    let start = Instant::now();
    while outbox(op).await > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "the outbox was not drained"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
