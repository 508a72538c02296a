//! The policies against the real embedded store, over the registered
//! sections: a replacement in force at once and recorded by member name
//! (RFC 9110 §13.1.1 preconditions), one problem per bad member with the
//! start-up message (FAPI 2.0 SP §5.3.2.1: codes live at most 60 s), the
//! API-only rules (RFC 6749 §5.1, RFC 7009 §2.1), members fixed at
//! start-up refused, a reset, and a second node following the generation.

use super::*;
use crate::clock::ManualClock;
use crate::config::{ValidatedConfig, load_from_str, validate};
use crate::oauth::live_sections::{LiveSections, SectionError, Source, generation};
use crate::store::audit::{EventType, read};
use crate::store::embedded::{EmbeddedBackend, EmbeddedOptions};
use crate::store::kv::Store;
use crate::store::repo::Repo;
use serde_json::{Value, json};
use std::sync::Arc;

const NOW: u64 = 1_800_000_000;
const OPERATOR: &str = "ops@https://idp.bank.example";

fn config() -> Arc<ValidatedConfig> {
    let text = "[tls]\ndev_generate = true\nclient_ca = [\"/ca.pem\"]\n[signing]\nbackend = \"software\"\n\
        [tokens]\naccess_token_ttl_secs = 300\n\
        [[clients]]\nclient_id = \"fintech\"\nclient_name = \"Fintech\"\n\
        redirect_uris = [\"https://fintech.example/cb\"]\n\
        token_endpoint_auth_method = \"tls_client_auth\"\ntls_client_auth_subject_dn = \"CN=fintech,O=Org,C=GB\"\n";
    Arc::new(
        validate(
            load_from_str(text, Vec::new()).unwrap(),
            std::path::Path::new("/"),
        )
        .unwrap(),
    )
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    clock: Arc<ManualClock>,
    node: LiveSections,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let backend = Arc::new(EmbeddedBackend::open(dir.path(), EmbeddedOptions::default()).unwrap());
    let store = Store::new(backend);
    let clock = Arc::new(ManualClock::at(NOW));
    let node = node(&store, &clock).await;
    Fixture {
        _dir: dir,
        store,
        clock,
        node,
    }
}

async fn node(store: &Store, clock: &Arc<ManualClock>) -> LiveSections {
    let repo = Repo::open(store.clone()).await.unwrap();
    let node = LiveSections::new(config(), repo, clock.clone());
    node.reload().await.unwrap();
    node
}

impl Fixture {
    async fn records(&self) -> Vec<Value> {
        read::since(&self.store, 0, 0)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.record)
            .filter(|r| r.event == EventType::ConfigChanged)
            .map(|r| serde_json::to_value(&r).unwrap())
            .collect()
    }
}

/// The value of `view` with `changes` applied.
fn changed(view: &PolicyView, changes: Value) -> Value {
    let mut value = view.value.clone();
    for (name, member) in changes.as_object().unwrap() {
        value[name] = member.clone();
    }
    value
}

fn fields(error: SectionError) -> Vec<(String, String)> {
    let SectionError::Invalid(problems) = error else {
        panic!("not invalid: {error:?}");
    };
    let mut out: Vec<(String, String)> = problems.into_iter().map(|p| (p.field, p.message)).collect();
    out.sort();
    out
}

/// RFC 9110 §13.1.1 / RFC 6585 §3; in force on this node at once; one
/// `config_changed` record naming the changed members, never a value.
#[tokio::test]
async fn a_replacement_is_in_force_at_once_and_recorded_by_member_name() {
    let f = fixture().await;
    let view = ops::get(&f.node, PolicyName::Tokens).await.unwrap();
    assert_eq!((view.source, view.revision), (Source::File, 0));
    assert_eq!(view.value["access_token_ttl_secs"], 300);
    let body = changed(&view, json!({ "access_token_ttl_secs": 77, "dpop_nonce": true }));
    assert!(matches!(
        ops::update(&f.node, PolicyName::Tokens, OPERATOR, None, &body).await,
        Err(SectionError::PreconditionRequired)
    ));
    assert!(matches!(
        ops::update(&f.node, PolicyName::Tokens, OPERATOR, Some("\"s0-0\""), &body).await,
        Err(SectionError::PreconditionFailed { .. })
    ));
    let after = ops::update(&f.node, PolicyName::Tokens, OPERATOR, Some(&view.etag), &body)
        .await
        .unwrap();
    assert_eq!((after.source, after.revision), (Source::Store, 1));
    assert_ne!(after.etag, view.etag);
    let live = f.node.get::<TokenPolicy>();
    assert_eq!((live.access_token_ttl_secs, live.dpop_nonce), (77, true));
    assert_eq!(f.node.effective_config().tokens.access_token_ttl_secs, 77);
    let records = f.records().await;
    assert_eq!(records.len(), 1);
    let text = records[0].to_string();
    assert_eq!(records[0]["targets"][0]["id"], "tokens");
    assert_eq!(records[0]["actor"]["id"], OPERATOR, "{text}");
    let members: Vec<&str> = records[0]["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["member"].as_str().unwrap())
        .collect();
    assert_eq!(members, vec!["access_token_ttl_secs", "dpop_nonce"]);
    assert!(!text.contains("77"), "names only, never values: {text}");
    // The old ETag is stale; the same value again writes nothing.
    assert!(matches!(
        ops::update(&f.node, PolicyName::Tokens, OPERATOR, Some(&view.etag), &body).await,
        Err(SectionError::PreconditionFailed { .. })
    ));
    ops::update(&f.node, PolicyName::Tokens, OPERATOR, Some(&after.etag), &body)
        .await
        .unwrap();
    assert_eq!(f.records().await.len(), 1);
}

/// One problem per bad member, with the start-up checks' messages (FAPI
/// 2.0 SP §5.3.2.1: a code lives at most 60 s) and the API rules (RFC 6749
/// §5.1: no zero lifetime; RFC 7009 §2.1: no lifetime bounding a revoked
/// grant's marker above the file's); unknown and missing members; no
/// value in any message; nothing written.
#[tokio::test]
async fn a_bad_body_gets_one_problem_per_member_and_writes_nothing() {
    let f = fixture().await;
    let view = ops::get(&f.node, PolicyName::Tokens).await.unwrap();
    let mut body = changed(
        &view,
        json!({
            "access_token_ttl_secs": 0,
            "code_ttl_secs": 600,
            "refresh_token_ttl_secs": 9_999_999,
            "dpop_nonce": "sometimes",
            "bogus": 1
        }),
    );
    body.as_object_mut().unwrap().remove("id_token_ttl_secs");
    let problems = fields(
        ops::update(&f.node, PolicyName::Tokens, OPERATOR, Some(&view.etag), &body)
            .await
            .unwrap_err(),
    );
    let names: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "access_token_ttl_secs",
            "bogus",
            "code_ttl_secs",
            "dpop_nonce",
            "id_token_ttl_secs",
            "refresh_token_ttl_secs"
        ],
        "{problems:?}"
    );
    let message = |name: &str| problems.iter().find(|(f, _)| f == name).unwrap().1.clone();
    assert!(message("code_ttl_secs").contains("FAPI 2.0 §5.3.2.1"));
    assert!(message("access_token_ttl_secs").contains("RFC 6749 §5.1"));
    assert!(message("refresh_token_ttl_secs").contains("RFC 7009 §2.1"));
    assert!(message("id_token_ttl_secs").contains("is required"));
    assert!(message("dpop_nonce").starts_with("expected"));
    let all = format!("{problems:?}");
    assert!(!all.contains("sometimes") && !all.contains("9999999"), "{all}");
    assert!(f.records().await.is_empty());
    assert_eq!(f.node.get::<TokenPolicy>().access_token_ttl_secs, 300);
    // Lowering the refresh lifetime is allowed (RFC 7009 §2.1 holds: the
    // marker keeps the file's bound).
    let lower = changed(&view, json!({ "refresh_token_ttl_secs": 700_000 }));
    ops::update(&f.node, PolicyName::Tokens, OPERATOR, Some(&view.etag), &lower)
        .await
        .unwrap();
    assert_eq!(
        tokens::revocation_marker_secs(&f.node.file().tokens, &f.node.get::<TokenPolicy>()),
        f.node.file().tokens.revocation_marker_secs()
    );
}

/// `[fapi] sender_constraints` and `[registration] enabled` are fixed at
/// start-up; the start-up checks hold for the rest (FAPI 2.0 SP §5.3.2.2:
/// PAR under FAPI 2.0) and for one client limit's member, by its path.
#[tokio::test]
async fn members_fixed_at_start_up_are_refused_one_problem_each() {
    let f = fixture().await;
    let fapi = ops::get(&f.node, PolicyName::Fapi).await.unwrap();
    assert_eq!(fapi.fixed, vec!["sender_constraints"]);
    let body = changed(
        &fapi,
        json!({ "sender_constraints": ["dpop"], "require_pushed_authorization_requests": false }),
    );
    let problems = fields(
        ops::update(&f.node, PolicyName::Fapi, OPERATOR, Some(&fapi.etag), &body)
            .await
            .unwrap_err(),
    );
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert_eq!(problems[0].0, "require_pushed_authorization_requests");
    assert!(
        problems[0]
            .1
            .contains("FAPI 2.0 requires pushed authorization requests")
    );
    assert_eq!(problems[1].0, "sender_constraints");
    assert!(problems[1].1.contains("fixed at start-up"));
    // FAPI 1.0 Advanced may turn PAR off: a valid live change.
    let fapi1 = changed(
        &fapi,
        json!({ "profile": "fapi1-advanced", "require_pushed_authorization_requests": false }),
    );
    ops::update(&f.node, PolicyName::Fapi, OPERATOR, Some(&fapi.etag), &fapi1)
        .await
        .unwrap();
    assert!(
        !f.node
            .effective_config()
            .fapi
            .require_pushed_authorization_requests
    );
    let registration = ops::get(&f.node, PolicyName::Registration).await.unwrap();
    let body = changed(
        &registration,
        json!({
            "enabled": true,
            "client_limits": [{ "client_id": "c-1", "requests_per_second": 0, "burst": 5 }]
        }),
    );
    let problems = fields(
        ops::update(
            &f.node,
            PolicyName::Registration,
            OPERATOR,
            Some(&registration.etag),
            &body,
        )
        .await
        .unwrap_err(),
    );
    let names: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(names, vec!["client_limits.0.requests_per_second", "enabled"]);
}

/// A reset puts the file back (the revision keeps counting); a second
/// node over the same store follows the sections' generation.
#[tokio::test]
async fn a_reset_and_another_node_following_the_generation() {
    let f = fixture().await;
    let other = node(&f.store, &f.clock).await;
    let view = ops::get(&f.node, PolicyName::Tokens).await.unwrap();
    let body = changed(&view, json!({ "access_token_ttl_secs": 42 }));
    let after = ops::update(&f.node, PolicyName::Tokens, OPERATOR, Some(&view.etag), &body)
        .await
        .unwrap();
    assert_eq!(
        other.get::<TokenPolicy>().access_token_ttl_secs,
        300,
        "not before its poll"
    );
    let moved = generation::read(other.repo()).await.unwrap().sections;
    assert!(other.reload_if_moved(moved).await.unwrap());
    assert_eq!(other.get::<TokenPolicy>().access_token_ttl_secs, 42);
    let reset = ops::reset(&f.node, PolicyName::Tokens, OPERATOR, Some(&after.etag))
        .await
        .unwrap();
    assert_eq!((reset.source, reset.revision), (Source::File, 2));
    assert_eq!(f.node.get::<TokenPolicy>().access_token_ttl_secs, 300);
    let moved = generation::read(other.repo()).await.unwrap().sections;
    assert!(other.reload_if_moved(moved).await.unwrap());
    assert_eq!(other.get::<TokenPolicy>().access_token_ttl_secs, 300);
    assert_eq!(f.records().await.len(), 2);
}
