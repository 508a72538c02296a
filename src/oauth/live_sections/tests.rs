//! The mechanism against the real embedded store, over a test section
//! (`[[resource_servers]]` as a list keyed by `id`): a write is one
//! transaction (document, generation, `config_changed` record: names,
//! never values), `If-Match` (RFC 9110 §13.1.1: 412 stale, 428 none), the
//! start-up checks' messages one per field, a reset back to the file with
//! the revision still counting, a second node following the generation,
//! and a commit of unknown outcome leaving all or nothing.

use super::section::{DynSection, Erased};
use super::*;
use super::{ResourceServers, TrustedDirectories};
use crate::clock::{Clock, ManualClock};
use crate::config::{ValidatedConfig, load_from_str, validate};
use crate::model::section_document::SectionDocument;
use crate::store::audit::{AuditRecord, EventType, read};
use crate::store::embedded::{EmbeddedBackend, EmbeddedOptions, InjectedFault};
use crate::store::kv::{RunOptions, Store};
use crate::store::repo::Repo;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const NOW: u64 = 1_800_000_000;
const OPERATOR: &str = "ops@https://idp.bank.example";

/// The section the tests write: the resource servers, as served.
type Servers = ResourceServers;

static TEST_SECTIONS: &[&dyn DynSection] = &[&Erased::<Servers>::new()];

fn config() -> Arc<ValidatedConfig> {
    let text = "[tls]\ndev_generate = true\nclient_ca = [\"/ca.pem\"]\n[signing]\nbackend = \"software\"\n\
        [[clients]]\nclient_id = \"fintech\"\nclient_name = \"Fintech\"\n\
        redirect_uris = [\"https://fintech.example/cb\"]\n\
        token_endpoint_auth_method = \"tls_client_auth\"\ntls_client_auth_subject_dn = \"CN=fintech,O=Org,C=GB\"\n\
        [[resource_servers]]\nid = \"api-gateway\"\ntls_client_auth_subject_dn = \"CN=api-gateway,O=Bank,C=GB\"\n";
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
    backend: Arc<EmbeddedBackend>,
    store: Store,
    clock: Arc<ManualClock>,
    node: LiveSections,
}

async fn fixture() -> Fixture {
    fixture_with(RunOptions::default()).await
}

async fn fixture_with(options: RunOptions) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let backend = Arc::new(EmbeddedBackend::open(dir.path(), EmbeddedOptions::default()).unwrap());
    let store = Store::new(backend.clone()).with_options(options);
    let clock = Arc::new(ManualClock::at(NOW));
    let node = node(&store, &clock).await;
    Fixture {
        _dir: dir,
        backend,
        store,
        clock,
        node,
    }
}

async fn node(store: &Store, clock: &Arc<ManualClock>) -> LiveSections {
    let repo = Repo::open(store.clone()).await.unwrap();
    let node = LiveSections::with_sections(config(), repo, clock.clone(), TEST_SECTIONS);
    node.reload().await.unwrap();
    node
}

impl Fixture {
    async fn trail(&self) -> Vec<AuditRecord> {
        read::since(&self.store, 0, 0)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.record)
            .filter(|r| r.event == EventType::ConfigChanged)
            .collect()
    }

    fn ids(&self) -> Vec<String> {
        self.node
            .get::<Servers>()
            .iter()
            .map(|rs| rs.id.clone())
            .collect()
    }
}

fn server(id: &str) -> Value {
    json!({ "id": id, "tls_client_auth_subject_dn": format!("CN={id},O=Bank,C=GB") })
}

#[tokio::test]
async fn a_create_is_one_transaction_in_force_at_once_and_recorded_by_name() {
    let f = fixture().await;
    assert_eq!(f.ids(), vec!["api-gateway"]);
    assert_eq!(f.node.effective::<Servers>().1, Source::File);
    let view = f
        .node
        .create_item::<Servers>(OPERATOR, &server("reports"))
        .await
        .unwrap();
    assert_eq!(view.source, Source::Store);
    // In force on this node at once: the whole section, the file's item kept.
    assert_eq!(f.ids(), vec!["api-gateway", "reports"]);
    let (_, source, revision) = f.node.effective::<Servers>();
    assert_eq!((source, revision), (Source::Store, 1));
    let list = f.node.list_items::<Servers>().await.unwrap();
    assert_eq!(list.items[0].source, Source::File);
    assert_eq!(list.items[1].source, Source::Store);
    let trail = f.trail().await;
    assert_eq!(trail.len(), 1);
    let record = serde_json::to_value(&trail[0]).unwrap();
    assert_eq!(record["targets"][0]["id"], "resource_servers");
    assert_eq!(record["targets"][1]["id"], "reports");
    let text = record.to_string();
    assert!(text.contains("tls_client_auth_subject_dn"), "{text}");
    assert!(!text.contains("CN=reports"), "names only, never values: {text}");
    // A second create of the id: 409.
    assert!(matches!(
        f.node.create_item::<Servers>(OPERATOR, &server("reports")).await,
        Err(SectionError::Conflict)
    ));
}

/// RFC 9110 §13.1.1 (412 on a stale tag) and RFC 6585 §3 (428 without).
#[tokio::test]
async fn updates_and_deletes_need_the_items_current_etag_rfc9110_s13_1_1() {
    let f = fixture().await;
    let before = f.node.get_item::<Servers>("api-gateway").await.unwrap();
    let body = json!({ "tls_client_auth_subject_dn": "CN=gw2,O=Bank,C=GB" });
    assert!(matches!(
        f.node
            .update_item::<Servers>(OPERATOR, "api-gateway", None, &body)
            .await,
        Err(SectionError::PreconditionRequired)
    ));
    assert!(matches!(
        f.node
            .update_item::<Servers>(OPERATOR, "api-gateway", Some("\"i0\""), &body)
            .await,
        Err(SectionError::PreconditionFailed { .. })
    ));
    let after = f
        .node
        .update_item::<Servers>(OPERATOR, "api-gateway", Some(&before.etag), &body)
        .await
        .unwrap();
    assert_ne!(after.etag, before.etag);
    assert_eq!(after.item.tls_client_auth_subject_dn, "CN=gw2,O=Bank,C=GB");
    // The old tag is stale now.
    assert!(matches!(
        f.node
            .update_item::<Servers>(OPERATOR, "api-gateway", Some(&before.etag), &body)
            .await,
        Err(SectionError::PreconditionFailed { .. })
    ));
    // The same value again changes nothing and records nothing.
    let revision = f.node.effective::<Servers>().2;
    f.node
        .update_item::<Servers>(OPERATOR, "api-gateway", Some(&after.etag), &body)
        .await
        .unwrap();
    assert_eq!(f.node.effective::<Servers>().2, revision);
    assert_eq!(f.trail().await.len(), 1);
    assert!(matches!(
        f.node
            .delete_item::<Servers>(OPERATOR, "api-gateway", Some(&before.etag))
            .await,
        Err(SectionError::PreconditionFailed { .. })
    ));
    f.node
        .delete_item::<Servers>(OPERATOR, "api-gateway", Some(&after.etag))
        .await
        .unwrap();
    assert!(f.ids().is_empty());
    assert!(matches!(
        f.node.get_item::<Servers>("api-gateway").await,
        Err(SectionError::NotFound)
    ));
}

/// The start-up checks (`config/resource_servers.rs`,
/// `config/interaction_apps.rs`) with their messages, one per field.
#[tokio::test]
async fn a_bad_item_gets_one_problem_per_field_with_the_start_up_messages() {
    let f = fixture().await;
    let bad = json!({
        "id": "fintech",
        "tls_client_auth_subject_dn": "not a dn",
        "interaction_login_url": "http://login.bank.example",
        "interaction_burst": 0
    });
    let Err(SectionError::Invalid(problems)) = f.node.create_item::<Servers>(OPERATOR, &bad).await else {
        panic!("refused");
    };
    let mut fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    fields.sort();
    assert_eq!(
        fields,
        vec![
            "id",
            "interaction_burst",
            "interaction_login_url",
            "tls_client_auth_subject_dn"
        ],
        "{problems:?}"
    );
    let id = problems.iter().find(|p| p.field == "id").unwrap();
    assert!(id.message.contains("a client has this client_id"), "{id:?}");
    // Unknown, missing and ill-typed members, each its own.
    let Err(SectionError::Invalid(problems)) = f
        .node
        .create_item::<Servers>(OPERATOR, &json!({ "id": 7, "bogus": true }))
        .await
    else {
        panic!("refused");
    };
    let mut fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    fields.sort();
    assert_eq!(fields, vec!["bogus", "id", "tls_client_auth_subject_dn"]);
    assert!(f.trail().await.is_empty(), "nothing written");
}

#[tokio::test]
async fn a_reset_puts_the_file_back_and_the_revision_keeps_counting() {
    let f = fixture().await;
    f.node
        .create_item::<Servers>(OPERATOR, &server("reports"))
        .await
        .unwrap();
    let list = f.node.list_items::<Servers>().await.unwrap();
    assert!(matches!(
        f.node.reset::<Servers>(OPERATOR, None).await,
        Err(SectionError::PreconditionRequired)
    ));
    assert!(matches!(
        f.node.reset::<Servers>(OPERATOR, Some("\"s0-0\"")).await,
        Err(SectionError::PreconditionFailed { .. })
    ));
    let reset = f.node.reset::<Servers>(OPERATOR, Some(&list.etag)).await.unwrap();
    assert_eq!((reset.source, reset.revision), (Source::File, 2));
    assert_eq!(f.ids(), vec!["api-gateway"]);
    let after = f.node.list_items::<Servers>().await.unwrap();
    assert_ne!(after.etag, list.etag);
    let document = f
        .node
        .repo()
        .find::<SectionDocument>("resource_servers", NOW)
        .await
        .unwrap()
        .unwrap()
        .payload;
    assert_eq!((document.revision, document.value), (2, None));
    assert_eq!(f.trail().await.len(), 2);
}

#[tokio::test]
async fn another_node_on_the_store_follows_the_generation() {
    let f = fixture().await;
    let other = node(&f.store, &f.clock).await;
    let generation = generation::read(other.repo()).await.unwrap().sections;
    assert!(!other.reload_if_moved(generation).await.unwrap());
    f.node
        .create_item::<Servers>(OPERATOR, &server("reports"))
        .await
        .unwrap();
    assert_eq!(other.get::<Servers>().len(), 1, "not before its poll");
    let moved = generation::read(other.repo()).await.unwrap();
    assert_eq!(moved.sections, generation + 1);
    assert_eq!(moved.clients, 0, "the clients' generation is its own");
    assert!(other.reload_if_moved(moved.sections).await.unwrap());
    assert_eq!(other.get::<Servers>().len(), 2);
    assert_eq!(other.effective_config().resource_servers.len(), 2);
}

/// A commit whose outcome is unknown: not applied, the change is refused
/// with nothing of it stored; applied, the retry recognises its own write.
#[tokio::test]
async fn a_commit_of_unknown_outcome_leaves_all_or_nothing() {
    let f = fixture_with(RunOptions {
        timeout: Duration::from_secs(5),
        retry_limit: 1,
    })
    .await;
    f.backend.inject_faults(&[InjectedFault::UnknownWithoutApply]);
    assert!(matches!(
        f.node.create_item::<Servers>(OPERATOR, &server("reports")).await,
        Err(SectionError::Store(_))
    ));
    let now = f.clock.now_unix();
    assert!(
        f.node
            .repo()
            .find::<SectionDocument>("resource_servers", now)
            .await
            .unwrap()
            .is_none()
    );
    assert!(f.trail().await.is_empty());
    assert_eq!(generation::read(f.node.repo()).await.unwrap().sections, 0);
    let f = fixture().await;
    f.backend.inject_faults(&[InjectedFault::UnknownAfterApply]);
    let view = f
        .node
        .create_item::<Servers>(OPERATOR, &server("reports"))
        .await
        .unwrap();
    assert_eq!(view.item.id, "reports");
    assert_eq!(f.node.effective::<Servers>().2, 1);
    assert_eq!(f.trail().await.len(), 1, "one write, one record");
}

/// The start-up rule of `config/interaction_apps.rs` holds for a removal:
/// an interaction app `login.interaction_app` names cannot go (the
/// registered section, `resource_servers.rs`), and the refusal names the
/// field that needs it.
#[tokio::test]
async fn a_removal_the_rest_of_the_configuration_needs_is_refused() {
    let text = "[tls]\ndev_generate = true\nclient_ca = [\"/ca.pem\"]\n[signing]\nbackend = \"software\"\n\
        [login]\ninteraction_app = \"bank-login\"\n\
        [[resource_servers]]\nid = \"bank-login\"\ntls_client_auth_subject_dn = \"CN=bank-login,O=Bank,C=GB\"\n\
        interaction_login_url = \"https://login.bank.example/start\"\n";
    let config = Arc::new(
        validate(
            load_from_str(text, Vec::new()).unwrap(),
            std::path::Path::new("/"),
        )
        .unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let backend = Arc::new(EmbeddedBackend::open(dir.path(), EmbeddedOptions::default()).unwrap());
    let repo = Repo::open(Store::new(backend)).await.unwrap();
    let node = LiveSections::new(config, repo, Arc::new(ManualClock::at(NOW)));
    node.reload().await.unwrap();
    let app = node.get_item::<ResourceServers>("bank-login").await.unwrap();
    let Err(SectionError::Refused(problems)) = node
        .delete_item::<ResourceServers>(OPERATOR, "bank-login", Some(&app.etag))
        .await
    else {
        panic!("refused");
    };
    assert_eq!(problems[0].field, "login.interaction_app", "{problems:?}");
    assert_eq!(node.get::<ResourceServers>().len(), 1, "nothing changed");
}

/// `jwks_file` through the API (`trusted_directories.rs`): a directory
/// carried over from the file keeps its own, unchanged, through an update
/// of another member; a new one naming a file, or a changed path, is
/// refused (a path on one node's disk is not an API value).
#[tokio::test]
async fn a_jwks_file_is_kept_from_the_file_and_refused_from_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let jwks = dir.path().join("directory-jwks.json");
    std::fs::write(&jwks, "{\"keys\":[]}").unwrap();
    let text = format!(
        "[tls]\ndev_generate = true\n[signing]\nbackend = \"software\"\n\
         [[registration.trusted_directories]]\nissuer = \"file-directory\"\njwks_file = \"{}\"\n",
        jwks.display()
    );
    let config = Arc::new(
        validate(
            load_from_str(&text, Vec::new()).unwrap(),
            std::path::Path::new("/"),
        )
        .unwrap(),
    );
    let backend =
        Arc::new(EmbeddedBackend::open(&dir.path().join("store"), EmbeddedOptions::default()).unwrap());
    let repo = Repo::open(Store::new(backend)).await.unwrap();
    let node = LiveSections::new(config, repo, Arc::new(ManualClock::at(NOW)));
    node.reload().await.unwrap();
    let current = node
        .get_item::<TrustedDirectories>("file-directory")
        .await
        .unwrap();
    let mut kept = serde_json::to_value(&current.item).unwrap();
    kept["requests_per_second"] = json!(5);
    let updated = node
        .update_item::<TrustedDirectories>(OPERATOR, "file-directory", Some(&current.etag), &kept)
        .await
        .unwrap();
    assert_eq!(updated.item.jwks_file.as_deref(), Some(jwks.as_path()));
    assert_eq!(updated.item.requests_per_second, 5);
    let mut moved = kept.clone();
    moved["jwks_file"] = json!(dir.path().join("other.json"));
    let Err(SectionError::Invalid(problems)) = node
        .update_item::<TrustedDirectories>(OPERATOR, "file-directory", Some(&updated.etag), &moved)
        .await
    else {
        panic!("refused");
    };
    assert!(problems.iter().any(|p| p.field == "jwks_file"), "{problems:?}");
    let new = json!({ "issuer": "https://new.directory.example/", "jwks_file": jwks });
    let Err(SectionError::Invalid(problems)) = node.create_item::<TrustedDirectories>(OPERATOR, &new).await
    else {
        panic!("refused");
    };
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].field, "jwks_file");
    assert!(!problems[0].message.contains("directory-jwks"), "no value echoed");
}
