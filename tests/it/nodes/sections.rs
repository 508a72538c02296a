//! Sections managed live across two nodes on one PostgreSQL store: a
//! resource server added or removed through the sections service on node A
//! (`oauth::live_sections`) is in force on node B within one second
//! (issue 24's target), because B's watch reads the section generation
//! with the clients' every `store.client_config_poll_ms` (250 ms) and
//! reloads its snapshot. The first change is checked on B over real mTLS:
//! the new resource server introspects with its certificate (RFC 7662
//! §2.1), and once removed is refused (RFC 6749 §5.2 `invalid_client`).
//! The delays are printed (`--nocapture`) and recorded in
//! docs/PERFORMANCE.md.

use super::two_nodes;
use crate::it::flow::harness::*;
use crate::it::support::json;
use fiducia::oauth::live_sections::ResourceServers;
use serde_json::json;
use std::time::{Duration, Instant};

const OPERATOR: &str = "config-api:ops";
const CHANGES: usize = 40;
const REPORTS: &str = "reports-gw";

/// How long until `node` runs `REPORTS` as `present` says, polling its
/// snapshot (what every consumer reads) every 2 ms.
async fn until_in_force(node: &Op, present: bool, since: Instant) -> Duration {
    let state = node.handle.op_state().unwrap();
    loop {
        let found = state
            .services
            .sections
            .get::<ResourceServers>()
            .iter()
            .any(|rs| rs.id == REPORTS);
        if found == present {
            return since.elapsed();
        }
        assert!(since.elapsed() < Duration::from_secs(5), "not applied within 5 s");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn introspect(node: &Op, identity: &(String, String), token: &str) -> http::Response<bytes::Bytes> {
    let request = form("/introspect", &[("token", token), ("client_id", REPORTS)]);
    node.send_with_identity(identity, request).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_section_change_on_one_node_is_in_force_on_the_other_within_a_second() {
    let Some((a, b)) = two_nodes(Sections::default()).await else {
        return;
    };
    let spec =
        fiducia::pki::ClientCertSpec::parse(&format!("software_id={REPORTS},org_id=bank-platform")).unwrap();
    let issued = fiducia::pki::issue_client(&a.pki.path(""), &spec).unwrap();
    let identity = (
        std::fs::read_to_string(&issued.cert).unwrap(),
        std::fs::read_to_string(&issued.key).unwrap(),
    );
    let cc = form(
        "/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", MTLS),
            ("scope", "accounts"),
        ],
    );
    let token = json(a.send(true, cc).await.body())["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let body = json!({
        "id": REPORTS,
        "tls_client_auth_subject_dn": format!("CN={REPORTS},OU=bank-platform,O=bank-platform,C=GB"),
    });
    let state = a.handle.op_state().unwrap();
    let sections = &state.services.sections;
    let mut delays = Vec::with_capacity(CHANGES);
    let mut after_return = Vec::with_capacity(CHANGES);
    for i in 0..CHANGES {
        let add = i % 2 == 0;
        let started = Instant::now();
        match add {
            true => {
                sections
                    .create_item::<ResourceServers>(OPERATOR, &body)
                    .await
                    .unwrap();
            }
            false => {
                let tag = sections.get_item::<ResourceServers>(REPORTS).await.unwrap().etag;
                sections
                    .delete_item::<ResourceServers>(OPERATOR, REPORTS, Some(&tag))
                    .await
                    .unwrap();
            }
        }
        // On A at once.
        assert_eq!(
            sections
                .get::<ResourceServers>()
                .iter()
                .any(|rs| rs.id == REPORTS),
            add
        );
        let returned = Instant::now();
        let delay = until_in_force(&b, add, started).await;
        delays.push(delay);
        after_return.push(delay.saturating_sub(returned - started));
        if i < 2 {
            // In force on B's endpoints over real mTLS.
            let response = introspect(&b, &identity, &token).await;
            match add {
                true => {
                    assert_status(&response, 200);
                    assert_eq!(json(response.body())["active"], true);
                }
                false => {
                    assert_status(&response, 401);
                    assert_eq!(json(response.body())["error"], "invalid_client");
                }
            }
        }
        // Changes apart by a spread of times, so that they fall at every
        // phase of B's poll rather than locking onto one.
        tokio::time::sleep(Duration::from_millis((i as u64 * 97) % 250)).await;
    }
    super::assert_propagation("section", delays, after_return);
    drop(state);
    b.handle.shutdown().await;
    a.handle.shutdown().await;
}
