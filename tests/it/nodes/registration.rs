//! Registered clients and continuous trust across two nodes, with the
//! sandbox directory (`fiducia::directory`, over TLS) re-checked every
//! second: a client registered (RFC 7591) at one node is served at the
//! other at once, an RFC 7592 update or deletion at one is honoured at the
//! other at once (the registry re-reads the record on every lookup and
//! replaces an actor holding another revision, `actors/client_registry.rs`),
//! and only the node holding the trust lease (`trust_lease.rs`) runs the
//! checks; its suspension is honoured at the other node, and when it stops
//! the other node takes the lease and goes on checking.

use super::{database, store_section};
use crate::it::dcr::trust::TrustSetup;
use crate::it::dcr::*;
use crate::it::flow::harness::*;
use crate::it::support::json;
use fiducia::directory::Target;
use fiducia::directory::state::Status;
use serde_json::json;
use std::time::{Duration, Instant};

/// The status of a PAR (RFC 9126 §2) for `scope` by the registered
/// `client_id` at `node`, over the software's certificate, and the error.
async fn par_at(node: &Op, identity: &(String, String), client_id: &str, scope: &str) -> (u16, String) {
    let (_, challenge) = pkce();
    let response = send_as(node, Some(identity), cert_par(client_id, &challenge, scope)).await;
    let error = match response.status().as_u16() {
        201 => String::new(),
        _ => json(response.body())["error"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    };
    (response.status().as_u16(), error)
}

/// Waits (at most 10 s; checks run every second) until `check` holds.
async fn wait_until<F: std::future::Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// RFC 7591 §3.2.1 / RFC 7592 §2.2, §2.3 across nodes, and the trust
/// lease: registered at A, served at B at once; narrowed (RFC 7592 §2.2
/// update) at A, refused at B at once (RFC 6749 §5.2 `invalid_scope` for
/// the scope it no longer has); the software revoked at the directory
/// (RFC 7591 §2.3 statement no longer vouched for): the one lease holder
/// suspends the client and the other node refuses it (RFC 6749 §5.2
/// `invalid_client`); the holder stops, the other node takes the lease and
/// reinstates the client when the directory does; deleted (RFC 7592 §2.3)
/// at one node, unknown at the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registered_client_crosses_nodes_and_one_lease_holder_at_a_time_runs_the_trust_checks() {
    let Some(url) = database().await else {
        return;
    };
    // The `[store]` table after the directory's entry: both nodes on one database.
    let setup = TrustSetup::start_with(&store_section(&url)).await;
    let b = setup.op.another_node().await;
    let a = &setup.op;
    let identity = setup.identity.clone();

    // Registered at A, used at B at once.
    let (client_id, access_token) = setup.register(&identity).await;
    assert_eq!(par_at(&b, &identity, &client_id, AISP_SCOPE).await.0, 201);
    let tokens = mtls_flow_as(&b, Some(&identity), &client_id, AISP_SCOPE).await;
    let token = tokens["access_token"].as_str().unwrap().to_string();
    assert_eq!(userinfo_mtls_as(a, Some(&identity), &token).await.status(), 200);

    // Updated at A (scope narrowed to `openid`): B, whose client actor
    // holds the registered revision, sees the new one on its next request.
    let update = json!({
        "client_id": client_id,
        "software_statement": setup.ssa().await,
        "token_endpoint_auth_method": "tls_client_auth",
        "redirect_uris": [REDIRECT],
        "scope": "openid",
    });
    let path = format!("/register/{client_id}");
    let updated = send_as(
        a,
        Some(&identity),
        json_request("PUT", &path, Some(&access_token), &update),
    )
    .await;
    assert_status(&updated, 200);
    let access_token = json(updated.body())["registration_access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        par_at(&b, &identity, &client_id, AISP_SCOPE).await,
        (400, "invalid_scope".to_string())
    );
    assert_eq!(par_at(&b, &identity, &client_id, "openid").await.0, 201);
    // RFC 7592 §3: the rotated registration access token works at B.
    let read = send_as(
        &b,
        Some(&identity),
        json_request("GET", &path, Some(&access_token), &json!({})),
    )
    .await;
    assert_status(&read, 200);
    assert_eq!(json(read.body())["scope"], "openid");

    // One node holds the trust lease; the other runs no checks.
    wait_until("one node holds the trust lease", || async {
        a.handle.holds_trust_lease() != b.handle.holds_trust_lease()
    })
    .await;
    let a_holds = a.handle.holds_trust_lease();

    // Revoked at the directory: the holder suspends, the other refuses.
    setup.set_status(Status::Revoked);
    let other = if a_holds { &b } else { a };
    wait_until("the other node refuses the suspended client", || async {
        par_at(other, &identity, &client_id, "openid").await == (401, "invalid_client".to_string())
    })
    .await;
    assert!(!other.handle.holds_trust_lease(), "the holder did the checks");
    assert_eq!(par_at(a, &identity, &client_id, "openid").await.0, 401);
    assert_eq!(par_at(&b, &identity, &client_id, "openid").await.0, 401);

    // The holder stops (handing the lease back); the other takes over.
    let TrustSetup {
        op: a,
        directory,
        server: _server,
        ..
    } = setup;
    let (stopped, survivor) = if a_holds { (a, b) } else { (b, a) };
    stopped.handle.shutdown().await;
    wait_until("the surviving node takes the lease", || async {
        survivor.handle.holds_trust_lease()
    })
    .await;
    // It runs the checks now: the directory's reinstatement reaches the client.
    directory
        .set_status(
            &Target::Software("trusted-fintech-app".into()),
            Status::Active,
            now(),
        )
        .unwrap();
    wait_until("the survivor reinstates the client", || async {
        par_at(&survivor, &identity, &client_id, "openid").await.0 == 201
    })
    .await;
    assert!(survivor.handle.holds_trust_lease());

    // A node started now finds the lease held and waits.
    let third = survivor.another_node().await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert!(!third.handle.holds_trust_lease());
    assert!(survivor.handle.holds_trust_lease());

    // Deleted (RFC 7592 §2.3) at the new node: unknown at the survivor.
    let deleted = send_as(
        &third,
        Some(&identity),
        json_request("DELETE", &path, Some(&access_token), &json!({})),
    )
    .await;
    assert_status(&deleted, 204);
    assert_eq!(
        par_at(&survivor, &identity, &client_id, "openid").await,
        (401, "invalid_client".to_string())
    );
    third.handle.shutdown().await;
    survivor.handle.shutdown().await;
}

/// The lease of a node that died (it never handed it back) is honoured
/// until it expires, and then one of the live nodes takes it: a lease in
/// the store, as a killed holder leaves it, names a node that is gone;
/// neither live node runs the checks while it lasts, exactly one does
/// within the three intervals of a lease after that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_nodes_lease_expires_and_one_live_node_takes_it() {
    use fiducia::oauth::registration::trust_lease;
    let Some(url) = database().await else {
        return;
    };
    let config = fiducia::config::StoreConfig {
        backend: fiducia::config::StoreBackend::Postgres,
        postgres_url: Some(url.clone().into()),
        postgres_sslmode: fiducia::config::PostgresSslMode::Disable,
        ..fiducia::config::StoreConfig::default()
    };
    let store = fiducia::store::open(&config).await.unwrap();
    let repo = fiducia::store::repo::Repo::open(store.clone()).await.unwrap();
    // Three seconds: the lease of a node checking every second.
    let taken = now();
    let step = trust_lease::acquire(&repo, "node-dead", taken, 3).await.unwrap();
    assert!(step.holds());

    let setup = TrustSetup::start_with(&store_section(&url)).await;
    let b = setup.op.another_node().await;
    let a = &setup.op;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let holders = [a, &b].iter().filter(|n| n.handle.holds_trust_lease()).count();
        let current = trust_lease::current(&repo, now()).await.unwrap();
        match current.as_ref().map(|l| l.holder.as_str()) {
            Some("node-dead") => assert_eq!(holders, 0, "the dead node's lease is live"),
            Some(holder) if holders == 1 => {
                let live = [a, &b]
                    .into_iter()
                    .find(|n| n.handle.holds_trust_lease())
                    .unwrap();
                assert_eq!(&*live.handle.node_id, holder);
                break;
            }
            _ => {}
        }
        assert!(
            Instant::now() < deadline,
            "no live node took the expired lease: {current:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        now() >= taken + 3,
        "taken over before the dead node's lease expired"
    );
    b.handle.shutdown().await;
    setup.op.handle.shutdown().await;
    store.close().await;
}
