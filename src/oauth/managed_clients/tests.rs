//! The clients service against the real embedded store: every operation on
//! a stored, a static (override, tombstone) and a registered client; the
//! `If-Match` rule (RFC 9110 §13.1.1); the audit record of each write
//! (`config_changed`: names, never values); a failed commit leaving
//! neither the document nor its record; a second registry on the same
//! store (another node) following the generation.

use super::*;
use crate::actors::client_registry::{ClientRegistry, RegisteredSource};
use crate::clock::{Clock, ManualClock};
use crate::config::{ValidatedConfig, load_from_str, validate};
use crate::model::Client;
use crate::model::client_document::ClientDocument;
use crate::model::registered::RegisteredClient;
use crate::model::registered_budget::RegisteredBudgets;
use crate::protocol::client_auth::TokenEndpointAuthMethod;
use crate::protocol::registration::metadata::ClientMetadata;
use crate::store::audit::{AuditRecord, EventType, read};
use crate::store::embedded::{EmbeddedBackend, EmbeddedOptions, InjectedFault};
use crate::store::kv::{RunOptions, Store};
use crate::store::repo::Repo;
use fiducia_hsm::JoseAlg;
use ractor::{Actor, ActorRef};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const NOW: u64 = 1_800_000_000;
const OPERATOR: &str = "ops-automation";

struct Node {
    repo: Repo,
    registry: ClientRegistry,
    root: ActorRef<crate::actors::root::RootSupervisorMessage>,
}

struct Fixture {
    _dir: tempfile::TempDir,
    backend: Arc<EmbeddedBackend>,
    config: ValidatedConfig,
    clock: Arc<ManualClock>,
    node: Node,
}

fn config() -> ValidatedConfig {
    let text = "[tls]\ndev_generate = true\n[signing]\nbackend = \"software\"\n\
        [[clients]]\nclient_id = \"file-app\"\nclient_name = \"Bank App\"\n\
        redirect_uris = [\"https://app.bank.example/cb\"]\n\
        token_endpoint_auth_method = \"tls_client_auth\"\ntls_client_auth_subject_dn = \"CN=file-app\"\n";
    validate(
        load_from_str(text, Vec::new()).unwrap(),
        std::path::Path::new("/"),
    )
    .unwrap()
}

async fn node(store: Store, config: &ValidatedConfig, clock: &Arc<ManualClock>) -> Node {
    let repo = Repo::open(store).await.unwrap();
    let (root, _) = Actor::spawn(None, crate::actors::root::RootSupervisor, ())
        .await
        .unwrap();
    let statics = config
        .get()
        .clients
        .iter()
        .map(|c| Client::from_static(c).unwrap())
        .collect();
    let registry = ClientRegistry::new(statics, None, root.get_cell()).with_registered(RegisteredSource {
        repo: repo.clone(),
        clock: clock.clone(),
        budgets: Arc::new(Arc::new(RegisteredBudgets::default())),
    });
    registry.reload_managed().await.unwrap();
    Node { repo, registry, root }
}

async fn fixture() -> Fixture {
    fixture_with(RunOptions::default()).await
}

async fn fixture_with(options: RunOptions) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let backend = Arc::new(EmbeddedBackend::open(dir.path(), EmbeddedOptions::default()).unwrap());
    let store = Store::new(backend.clone()).with_options(options);
    let config = config();
    let clock = Arc::new(ManualClock::at(NOW));
    let node = node(store, &config, &clock).await;
    Fixture {
        _dir: dir,
        backend,
        config,
        clock,
        node,
    }
}

impl Fixture {
    fn service(&self) -> ManagedClients<'_> {
        ManagedClients::new(
            &self.node.repo,
            &self.node.registry,
            self.config.get(),
            self.clock.as_ref(),
        )
    }

    async fn trail(&self) -> Vec<AuditRecord> {
        read::since(self.node.repo.store(), 0, 0)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.record)
            .filter(|r| r.event == EventType::ConfigChanged)
            .collect()
    }

    async fn trail_bytes(&self) -> String {
        read::since(self.node.repo.store(), 0, 0)
            .await
            .unwrap()
            .into_iter()
            .map(|r| String::from_utf8(r.bytes).unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn shop(name: &str) -> Value {
    json!({
        "client_id": "shop-1",
        "client_name": name,
        "redirect_uris": ["https://shop.example/cb"],
        "token_endpoint_auth_method": "tls_client_auth",
        "tls_client_auth_subject_dn": "CN=shop-1,O=Shop Ltd,C=GB",
        "scopes": ["openid", "accounts"],
    })
}

fn members(record: &AuditRecord) -> Vec<&str> {
    record.changed.iter().map(|c| c.member.as_str()).collect()
}

/// A stored client through its life: create, read, update with a stale, a
/// missing and the right `If-Match` (RFC 9110 §13.1.1: 412 / RFC 6585 §3:
/// 428), disable, enable, delete; the registry serves each state at once,
/// and each write's `config_changed` record names the operator, the
/// client and the members that changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_client_is_created_updated_disabled_enabled_and_deleted() {
    let f = fixture().await;
    let s = f.service();
    let created = s.create(OPERATOR, &shop("Shop")).await.unwrap();
    assert_eq!(
        (
            created.source,
            created.state,
            created.revision,
            created.etag.as_str()
        ),
        (ClientSource::Stored, ClientState::Active, 1, "\"r1\"")
    );
    assert_eq!(created.metadata["client_name"], "Shop");
    let served = f.node.registry.get_charged("shop-1").await.unwrap().unwrap();
    assert_eq!((served.client_name.as_str(), served.revision), ("Shop", 1));
    assert!(
        f.node.registry.is_static("shop-1"),
        "never registrable once configured"
    );
    assert!(matches!(
        s.create(OPERATOR, &shop("Again")).await,
        Err(ManagedClientError::Conflict(_))
    ));

    assert!(matches!(
        s.update(OPERATOR, "shop-1", None, &shop("Renamed")).await,
        Err(ManagedClientError::PreconditionRequired)
    ));
    match s
        .update(OPERATOR, "shop-1", Some("\"r0\""), &shop("Renamed"))
        .await
    {
        Err(ManagedClientError::PreconditionFailed { current }) => assert_eq!(current, "\"r1\""),
        other => panic!("a stale If-Match must fail: {other:?}"),
    }
    let updated = s
        .update(OPERATOR, "shop-1", Some("\"r1\""), &shop("Renamed"))
        .await
        .unwrap();
    assert_eq!((updated.revision, updated.etag.as_str()), (2, "\"r2\""));
    let served = f.node.registry.get_charged("shop-1").await.unwrap().unwrap();
    assert_eq!((served.client_name.as_str(), served.revision), ("Renamed", 2));
    assert_eq!(s.get("shop-1").await.unwrap(), updated);

    let disabled = s.disable(OPERATOR, "shop-1", Some("\"r2\"")).await.unwrap();
    assert_eq!((disabled.state, disabled.revision), (ClientState::Disabled, 3));
    assert!(f.node.registry.get_charged("shop-1").await.unwrap().is_none());
    assert!(f.node.registry.get("shop-1").await.is_none());

    f.clock.advance(Duration::from_secs(10));
    let enabled = s.enable(OPERATOR, "shop-1", None).await.unwrap();
    assert_eq!((enabled.state, enabled.revision), (ClientState::Active, 4));
    let served = f.node.registry.get("shop-1").await.unwrap();
    assert_eq!(
        served.trusted_since,
        NOW + 10,
        "tokens from before the disable stay refused"
    );

    s.delete(OPERATOR, "shop-1", Some("\"r4\"")).await.unwrap();
    assert!(matches!(
        s.get("shop-1").await,
        Err(ManagedClientError::NotFound(_))
    ));
    assert!(f.node.registry.get("shop-1").await.is_none());
    assert!(s.list().await.unwrap().iter().all(|v| v.client_id != "shop-1"));
    // A new client under the id: its revisions go on (no ETag repeats).
    let again = s.create(OPERATOR, &shop("New Shop")).await.unwrap();
    assert_eq!(again.revision, 6);

    let trail = f.trail().await;
    assert_eq!(trail.len(), 6);
    for record in &trail {
        assert_eq!(
            record.actor,
            crate::store::audit::Actor::Operator(OPERATOR.into())
        );
        assert_eq!(record.targets[0].kind, "client");
        assert_eq!(record.targets[0].id, "shop-1");
    }
    let mut by_time = trail.clone();
    by_time.sort_by_key(|r| (r.time, r.seq));
    assert!(members(&by_time[0]).contains(&"redirect_uris"));
    assert!(members(&by_time[0]).contains(&"state"));
    assert_eq!(members(&by_time[1]), vec!["client_name"]);
    let states: Vec<_> = by_time[2..5]
        .iter()
        .map(|r| (r.changed[0].member.as_str(), r.changed[0].to.as_deref()))
        .collect();
    assert_eq!(
        states,
        vec![
            ("state", Some("disabled")),
            ("state", Some("active")),
            ("state", Some("deleted"))
        ]
    );
    f.node.root.stop(None);
}

/// A `[[clients]]` entry: read as static at revision 0; an update
/// overrides it with a document (the file is the bootstrap); disable and
/// enable; delete leaves a tombstone that hides the entry, and a create
/// brings the id back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_static_client_is_overridden_disabled_and_hidden_by_a_tombstone() {
    let f = fixture().await;
    let s = f.service();
    let file = s.get("file-app").await.unwrap();
    assert_eq!(
        (file.source, file.state, file.revision, file.etag.as_str()),
        (ClientSource::Static, ClientState::Active, 0, "\"r0\"")
    );
    assert!(matches!(
        s.create(OPERATOR, &json!({ "client_id": "file-app", "client_name": "X", "redirect_uris": ["https://x.example/cb"], "token_endpoint_auth_method": "tls_client_auth", "tls_client_auth_subject_dn": "CN=x" })).await,
        Err(ManagedClientError::Conflict(_))
    ));
    let mut body = file.metadata.clone();
    body["scopes"] = json!(["openid", "payments"]);
    let overridden = s
        .update(OPERATOR, "file-app", Some("\"r0\""), &body)
        .await
        .unwrap();
    assert_eq!(
        (overridden.source, overridden.revision),
        (ClientSource::Static, 1)
    );
    let served = f.node.registry.get_charged("file-app").await.unwrap().unwrap();
    assert_eq!(served.scopes, vec!["openid", "payments"]);
    assert_eq!(members(&f.trail().await[0]), vec!["scopes"]);

    s.disable(OPERATOR, "file-app", None).await.unwrap();
    assert!(f.node.registry.get_charged("file-app").await.unwrap().is_none());
    s.enable(OPERATOR, "file-app", Some("\"r2\"")).await.unwrap();
    let served = f.node.registry.get("file-app").await.unwrap();
    assert_eq!(served.scopes, vec!["openid", "payments"], "the override stays");

    s.delete(OPERATOR, "file-app", Some("\"r3\"")).await.unwrap();
    assert!(
        f.node.registry.get("file-app").await.is_none(),
        "the tombstone hides the file entry"
    );
    assert!(matches!(
        s.get("file-app").await,
        Err(ManagedClientError::NotFound(_))
    ));
    assert!(s.list().await.unwrap().iter().all(|v| v.client_id != "file-app"));
    let back = s.create(OPERATOR, &file.metadata).await.unwrap();
    assert_eq!((back.source, back.revision), (ClientSource::Static, 5));
    assert!(f.node.registry.get("file-app").await.is_some());
    f.node.root.stop(None);
}

/// Disabling a file entry keeps it following the file: the document holds
/// only its state, and enabling it serves the file's metadata with the
/// new `trusted_since`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_file_entry_keeps_its_file_metadata() {
    let f = fixture().await;
    let s = f.service();
    let disabled = s.disable(OPERATOR, "file-app", Some("\"r0\"")).await.unwrap();
    assert_eq!(
        (disabled.source, disabled.state),
        (ClientSource::Static, ClientState::Disabled)
    );
    assert!(f.node.registry.get("file-app").await.is_none());
    f.clock.advance(Duration::from_secs(5));
    s.enable(OPERATOR, "file-app", None).await.unwrap();
    let served = f.node.registry.get_charged("file-app").await.unwrap().unwrap();
    assert_eq!(
        (served.client_name.as_str(), served.trusted_since, served.revision),
        ("Bank App", NOW + 5, 2)
    );
    f.node.root.stop(None);
}

fn registered(client_id: &str) -> RegisteredClient {
    RegisteredClient {
        client_id: client_id.into(),
        metadata: ClientMetadata {
            client_name: "Registered".into(),
            redirect_uris: vec!["https://fintech.example/cb".into()],
            token_endpoint_auth_method: TokenEndpointAuthMethod::TlsClientAuth,
            token_endpoint_auth_signing_alg: None,
            scopes: vec!["openid".into()],
            jwks_uri: Some("https://fintech.example/jwks".into()),
            jwks: None,
            tls_client_auth_subject_dn: Some("CN=fintech".into()),
            id_token_signed_response_alg: JoseAlg::Es256,
            authorization_signed_response_alg: JoseAlg::Es256,
            request_object_signing_alg: None,
            require_signed_request_object: false,
            authorization_details_types: vec![],
            dpop_bound_access_tokens: false,
            tls_client_certificate_bound_access_tokens: true,
            id_token_encryption: None,
            ciba: None,
        },
        directory: "d".into(),
        software_id: "s".into(),
        org_id: "o".into(),
        software_statement: "x.y.z".into(),
        issued_at: NOW,
        updated_at: NOW,
        revision: 1,
        suspended: false,
        trusted_since: 0,
        revoked_certificates: Vec::new(),
        transport_subject_dn: None,
        descriptive_metadata: None,
    }
}

/// A registered (RFC 7591) client can be listed, read, disabled, enabled
/// and deleted here; its metadata update is RFC 7592's and refused with
/// that reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registered_client_is_disabled_enabled_and_deleted_but_not_updated() {
    let f = fixture().await;
    let s = f.service();
    f.node
        .repo
        .upsert("dcr-1", &registered("dcr-1"), None, NOW)
        .await
        .unwrap();
    let view = s.get("dcr-1").await.unwrap();
    assert_eq!(
        (view.source, view.state, view.etag.as_str()),
        (ClientSource::Registered, ClientState::Active, "\"g1-r0\"")
    );
    assert_eq!(view.metadata["client_name"], "Registered");
    let sources: Vec<_> = s
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|v| (v.client_id, v.source))
        .collect();
    assert_eq!(
        sources,
        vec![
            ("dcr-1".into(), ClientSource::Registered),
            ("file-app".into(), ClientSource::Static)
        ]
    );
    match s.update(OPERATOR, "dcr-1", Some("\"g1-r0\""), &shop("x")).await {
        Err(ManagedClientError::RegisteredMetadata(id)) => {
            assert_eq!(id, "dcr-1");
            let text = ManagedClientError::RegisteredMetadata(id).to_string();
            assert!(text.contains("RFC 7592"), "{text}");
        }
        other => panic!("a registered client's metadata is RFC 7592's: {other:?}"),
    }
    assert!(f.node.registry.get("dcr-1").await.is_some());
    let disabled = s.disable(OPERATOR, "dcr-1", Some("\"g1-r0\"")).await.unwrap();
    assert_eq!(
        (disabled.state, disabled.etag.as_str()),
        (ClientState::Disabled, "\"g1-r1\"")
    );
    assert!(f.node.registry.get_charged("dcr-1").await.unwrap().is_none());
    assert!(!f.node.registry.is_static("dcr-1"));
    f.clock.advance(Duration::from_secs(3));
    s.enable(OPERATOR, "dcr-1", None).await.unwrap();
    let served = f.node.registry.get_charged("dcr-1").await.unwrap().unwrap();
    assert_eq!(served.trusted_since, NOW + 3);
    s.delete(OPERATOR, "dcr-1", None).await.unwrap();
    assert!(
        f.node
            .repo
            .find::<RegisteredClient>("dcr-1", f.clock.now_unix())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        f.node
            .repo
            .find::<ClientDocument>("dcr-1", f.clock.now_unix())
            .await
            .unwrap()
            .is_none()
    );
    assert!(f.node.registry.get("dcr-1").await.is_none());
    assert_eq!(f.trail().await.len(), 3);
    f.node.root.stop(None);
}

/// Invalid metadata: every bad member reported on its own with the start-
/// up checks' messages (FAPI 2.0 §5.3.2.2 https redirect URIs, the auth
/// method's needs, the OP's signing alg), unknown members (a client
/// secret) named, and no value ever echoed; nothing is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_metadata_is_reported_per_field_without_values() {
    let f = fixture().await;
    let s = f.service();
    let body = json!({
        "client_id": "bad-1",
        "client_name": "Bad",
        "redirect_uris": ["http://plain.example/cb"],
        "token_endpoint_auth_method": "private_key_jwt",
        "id_token_signed_response_alg": "PS256",
    });
    let Err(ManagedClientError::Invalid(problems)) = s.create(OPERATOR, &body).await else {
        panic!("must be refused");
    };
    let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        vec![
            "redirect_uris",
            "token_endpoint_auth_method",
            "id_token_signed_response_alg"
        ]
    );

    let secret = "s3cr3t-VALUE-never-echoed";
    let body = json!({
        "client_id": "bad-2",
        "client_name": "Bad",
        "redirect_uris": ["https://ok.example/cb"],
        "token_endpoint_auth_method": secret,
        "client_secret": secret,
        "burst": secret,
    });
    let Err(ManagedClientError::Invalid(problems)) = s.create(OPERATOR, &body).await else {
        panic!("must be refused");
    };
    let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        vec!["burst", "client_secret", "token_endpoint_auth_method"]
    );
    assert!(!format!("{problems:?}").contains(secret));
    let Err(ManagedClientError::Invalid(problems)) = s.create(OPERATOR, &json!({ "client_name": "x" })).await
    else {
        panic!("must be refused");
    };
    let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        vec!["client_id", "redirect_uris", "token_endpoint_auth_method"]
    );
    let Err(ManagedClientError::Invalid(problems)) = s.create(OPERATOR, &json!(["not", "an object"])).await
    else {
        panic!("must be refused");
    };
    assert_eq!(problems[0].field, "");
    let mut bad_id = shop("x");
    bad_id["client_id"] = json!("../etc");
    let Err(ManagedClientError::Invalid(problems)) = s.create(OPERATOR, &bad_id).await else {
        panic!("must be refused");
    };
    assert_eq!(problems[0].field, "client_id");
    let mut relative = shop("x");
    relative["token_endpoint_auth_method"] = json!("private_key_jwt");
    relative["jwks_file"] = json!("keys/jwks.json");
    let Err(ManagedClientError::Invalid(problems)) = s.create(OPERATOR, &relative).await else {
        panic!("must be refused");
    };
    assert_eq!(problems[0].field, "jwks_file");
    // An absolute key file this node cannot read: named, not served.
    relative["jwks_file"] = json!("/nonexistent/fiducia-test/jwks.json");
    let Err(ManagedClientError::Invalid(problems)) = s.create(OPERATOR, &relative).await else {
        panic!("must be refused");
    };
    assert_eq!(problems[0].field, "jwks_file");
    // An update naming another id.
    s.create(OPERATOR, &shop("Shop")).await.unwrap();
    let mut other = shop("Shop");
    other["client_id"] = json!("shop-2");
    assert!(matches!(
        s.update(OPERATOR, "shop-1", Some("\"r1\""), &other).await,
        Err(ManagedClientError::Invalid(p)) if p[0].field == "client_id"
    ));
    assert_eq!(f.trail().await.len(), 1, "only the valid create was written");
    assert!(!f.trail_bytes().await.contains(secret));
    f.node.root.stop(None);
}

/// Nothing a client's metadata holds is in the trail: its record names
/// members, never values (issue 24: nothing secret in a record). Client
/// secrets themselves are refused above (FAPI clients have none).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trail_names_members_never_values() {
    let f = fixture().await;
    let s = f.service();
    let marker = "MARKER-7f3a9";
    let body = json!({
        "client_id": "private-1",
        "client_name": format!("Name {marker}"),
        "redirect_uris": [format!("https://cb.example/{marker}")],
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks_uri": format!("https://keys.example/{marker}/jwks"),
    });
    s.create(OPERATOR, &body).await.unwrap();
    let mut changed = body.clone();
    changed["jwks_uri"] = json!(format!("https://keys.example/{marker}/rotated"));
    s.update(OPERATOR, "private-1", Some("\"r1\""), &changed)
        .await
        .unwrap();
    let trail = f.trail_bytes().await;
    assert!(trail.contains("jwks_uri"), "the member is named");
    assert!(!trail.contains(marker), "no value is recorded: {trail}");
    f.node.root.stop(None);
}

/// The document, the generation and the audit record are one transaction:
/// a commit that fails (the batch lost before the disk, and no retry
/// allowed) leaves none of them; one whose acknowledgement is lost leaves
/// all of them once, and the retry recognises its own write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_commit_leaves_neither_document_nor_record() {
    let f = fixture_with(RunOptions {
        timeout: Duration::from_secs(5),
        retry_limit: 1,
    })
    .await;
    let s = f.service();
    f.backend.inject_faults(&[InjectedFault::UnknownWithoutApply]);
    assert!(matches!(
        s.create(OPERATOR, &shop("Shop")).await,
        Err(ManagedClientError::Store(_))
    ));
    let now = f.clock.now_unix();
    assert!(
        f.node
            .repo
            .find::<ClientDocument>("shop-1", now)
            .await
            .unwrap()
            .is_none()
    );
    assert!(f.trail().await.is_empty());
    assert_eq!(
        crate::actors::managed_snapshot::generation(&f.node.repo)
            .await
            .unwrap(),
        0
    );
    assert!(f.node.registry.get("shop-1").await.is_none());
    f.node.root.stop(None);

    let f = fixture().await;
    let s = f.service();
    f.backend.inject_faults(&[InjectedFault::UnknownAfterApply]);
    assert_eq!(s.create(OPERATOR, &shop("Shop")).await.unwrap().revision, 1);
    let now = f.clock.now_unix();
    assert!(
        f.node
            .repo
            .find::<ClientDocument>("shop-1", now)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(f.trail().await.len(), 1);
    assert_eq!(
        crate::actors::managed_snapshot::generation(&f.node.repo)
            .await
            .unwrap(),
        1
    );
    f.node.root.stop(None);
}

/// Another node on the same store: it serves a change once its poll sees
/// the generation move, without a store read per lookup in between.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_node_follows_the_generation() {
    let f = fixture().await;
    let other = node(f.node.repo.store().clone(), &f.config, &f.clock).await;
    assert!(
        !other.registry.poll_managed().await.unwrap(),
        "nothing changed yet"
    );
    f.service().create(OPERATOR, &shop("Shop")).await.unwrap();
    assert!(
        other.registry.get("shop-1").await.is_none(),
        "not before its poll"
    );
    assert!(other.registry.poll_managed().await.unwrap());
    assert_eq!(other.registry.get("shop-1").await.unwrap().client_name, "Shop");
    f.service().disable(OPERATOR, "file-app", None).await.unwrap();
    assert!(other.registry.get_charged("file-app").await.unwrap().is_some());
    assert!(other.registry.poll_managed().await.unwrap());
    assert!(other.registry.get_charged("file-app").await.unwrap().is_none());
    assert_eq!(other.registry.managed_generation(), 2);
    other.root.stop(None);
    f.node.root.stop(None);
}

/// A lost race (RFC 9110 §13.1.1, issue 24 "412 on a lost race"): two
/// updates with the same `If-Match` at once; the store serializes them, so
/// exactly one applies and the other fails its precondition.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_concurrent_updates_with_one_etag_one_wins() {
    let f = fixture().await;
    let s = f.service();
    s.create(OPERATOR, &shop("Shop")).await.unwrap();
    let (one, two) = (shop("First"), shop("Second"));
    let (first, second) = tokio::join!(
        s.update(OPERATOR, "shop-1", Some("\"r1\""), &one),
        s.update(OPERATOR, "shop-1", Some("\"r1\""), &two),
    );
    let won = [&first, &second].iter().filter(|r| r.is_ok()).count();
    let lost = [&first, &second]
        .iter()
        .filter(
            |r| matches!(r, Err(ManagedClientError::PreconditionFailed { current }) if current == "\"r2\""),
        )
        .count();
    assert_eq!((won, lost), (1, 1), "{first:?} {second:?}");
    assert_eq!(s.get("shop-1").await.unwrap().revision, 2);
    assert_eq!(f.trail().await.len(), 2);
    f.node.root.stop(None);
}

/// RFC 8705 §2.1.2 and `config/resource_servers.rs`: a client takes no
/// resource server's subject DN, judged by the resource servers as the
/// create's own transaction reads them (a section document another node
/// wrote, which this service's snapshot has not seen).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_takes_no_subject_dn_of_a_resource_server_in_the_store() {
    let f = fixture().await;
    let servers = json!([{ "id": "reports-gw", "tls_client_auth_subject_dn": "CN=shop-1,O=Shop Ltd,C=GB" }]);
    let document = crate::model::section_document::SectionDocument {
        section: "resource_servers".into(),
        revision: 1,
        value: Some(servers.to_string()),
        updated_at: NOW,
        written_by: 1,
    };
    f.node
        .repo
        .upsert("resource_servers", &document, None, NOW)
        .await
        .unwrap();
    let Err(ManagedClientError::Invalid(problems)) = f.service().create(OPERATOR, &shop("Shop")).await else {
        panic!("refused");
    };
    assert_eq!(problems[0].field, "tls_client_auth_subject_dn", "{problems:?}");
    assert!(f.trail().await.is_empty(), "nothing written");
    f.node.root.stop(None);
}
