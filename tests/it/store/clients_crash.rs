//! A client change through the clients service (`oauth::managed_clients`)
//! is one transaction holding the client document, the configuration
//! generation and its `config_changed` audit record, on every backend: a
//! commit lost before it reached the store (with no retry allowed) leaves
//! none of them, a commit whose acknowledgement was lost leaves all of
//! them once (the retry recognises its own write). On the embedded backend
//! the faults are injected in its group commit; on PostgreSQL the
//! connection's server process is killed before the commit is sent, or the
//! connection dropped after it (`PostgresBackend::inject_faults`).

use super::conformance::Factory;
use fiducia::actors::client_registry::{ClientRegistry, RegisteredSource};
use fiducia::clock::{Clock, SystemClock};
use fiducia::model::client_document::ClientDocument;
use fiducia::model::registered_budget::RegisteredBudgets;
use fiducia::oauth::managed_clients::{ManagedClientError, ManagedClients};
use fiducia::store::audit::{EventType, read};
use fiducia::store::embedded::InjectedFault;
use fiducia::store::kv::RunOptions;
use fiducia::store::repo::Repo;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

fn config() -> fiducia::config::ValidatedConfig {
    let text = "[tls]\ndev_generate = true\n[signing]\nbackend = \"software\"\n";
    fiducia::config::validate(
        fiducia::config::load_from_str(text, Vec::new()).unwrap(),
        std::path::Path::new("/"),
    )
    .unwrap()
}

fn body(client_id: &str) -> serde_json::Value {
    json!({
        "client_id": client_id,
        "client_name": "Shop",
        "redirect_uris": ["https://shop.example/cb"],
        "token_endpoint_auth_method": "tls_client_auth",
        "tls_client_auth_subject_dn": format!("CN={client_id}"),
    })
}

/// What the store holds for `client_id`: its document, its
/// `config_changed` records.
async fn held(repo: &Repo, client_id: &str) -> (bool, usize) {
    let now = SystemClock.now_unix();
    let document = repo
        .find::<ClientDocument>(client_id, now)
        .await
        .unwrap()
        .is_some();
    let records = read::since(repo.store(), 0, 0)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.record.event == EventType::ConfigChanged && r.record.targets[0].id == client_id)
        .count();
    (document, records)
}

async fn both_or_neither(factory: impl Factory) {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let repo = Repo::open(factory.store()).await.unwrap();
    let once = Repo::open(factory.store().with_options(RunOptions {
        timeout: Duration::from_secs(5),
        retry_limit: 1,
    }))
    .await
    .unwrap();
    let (root, _) = ractor::Actor::spawn(None, fiducia::actors::root::RootSupervisor, ())
        .await
        .unwrap();
    let registry = ClientRegistry::new(Vec::new(), None, root.get_cell()).with_registered(RegisteredSource {
        repo: repo.clone(),
        clock: clock.clone(),
        budgets: std::sync::Arc::new(std::sync::Arc::new(RegisteredBudgets::default())),
    });
    let config = config();

    if !factory.inject_faults(&[InjectedFault::UnknownWithoutApply]) {
        root.stop(None);
        return;
    }
    let service = ManagedClients::new(&once, &registry, config.get(), clock.as_ref());
    let lost = service.create("ops", &body("lost-1")).await;
    assert!(matches!(lost, Err(ManagedClientError::Store(_))), "{lost:?}");
    assert_eq!(
        held(&repo, "lost-1").await,
        (false, 0),
        "neither the document nor its record"
    );

    factory.inject_faults(&[InjectedFault::UnknownAfterApply]);
    let service = ManagedClients::new(&repo, &registry, config.get(), clock.as_ref());
    let made = service.create("ops", &body("kept-1")).await.unwrap();
    assert_eq!(made.revision, 1);
    assert_eq!(held(&repo, "kept-1").await, (true, 1), "both, once");
    assert!(registry.get("kept-1").await.is_some());
    root.stop(None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_client_change_is_one_transaction() {
    both_or_neither(super::EmbeddedFactory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_client_change_is_one_transaction() {
    let Some(factory) = super::postgres::PostgresFactory::new().await else {
        return;
    };
    both_or_neither(factory).await;
}
