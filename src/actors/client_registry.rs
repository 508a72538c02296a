//! [`ClientRegistry`]: one lookup for every client, each served by its
//! [`ClientActor`].
//!
//! - `[[clients]]` from config, held in memory;
//! - registered clients (RFC 7591) from the store (`model::registered`),
//!   read on each charged lookup so that an update or deletion on any node
//!   is seen at once: an actor holding another revision is replaced, a
//!   deleted or suspended client is unknown (its actor stopped).
//!
//! - client documents an operator changed live (`model/client_document.rs`,
//!   `oauth/managed_clients/`), held as an immutable snapshot
//!   (`managed_snapshot.rs`) swapped whole when the store's generation
//!   moves: read first, without a lock or a store read. A document
//!   overrides the file's entry of its id, a tombstone or a disabled state
//!   makes the client unknown (RFC 6749 §5.2 `invalid_client` wherever it
//!   is looked up), and a registered client's document only carries its
//!   state. The node that wrote a document reloads at once
//!   ([`ClientRegistry::reload_managed`]); the others when their poll
//!   ([`ClientRegistry::poll_managed`], `store.client_config_poll_ms`) sees
//!   the generation move. Actors of changed clients are replaced.
//!
//! A configured `client_id` (file entry or client document) always wins
//! over a registration, and registration never issues one (ids are UUIDs
//! drawn by the OP, and `is_static` is checked).

use super::client::{ClientActor, ClientActorMessage};
use super::managed_snapshot::{self, Managed, ManagedSnapshot};
use super::token_bucket::RateLimited;
use crate::clock::Clock;
use crate::jwks_fetch::JwksFetcher;
use crate::model::Client;
use crate::model::registered::RegisteredClient;
use crate::model::registered_budget::{BudgetSource, RequestBudget};
use crate::store::kv::KvError;
use crate::store::repo::Repo;
use arc_swap::ArcSwap;
use ractor::{Actor, ActorRef};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Where registered clients are read from.
pub struct RegisteredSource {
    /// The store.
    pub repo: Repo,
    /// For record expiry checks.
    pub clock: Arc<dyn Clock>,
    /// Their request budgets (`[registration]` as the node runs it).
    pub budgets: Arc<dyn BudgetSource>,
}

/// Finds clients: static ones from config and registered ones from the
/// store, behind one lookup, each served by its actor.
pub struct ClientRegistry {
    statics: HashMap<String, Arc<Client>>,
    managed: ArcSwap<ManagedSnapshot>,
    registered: Option<RegisteredSource>,
    fetcher: Option<JwksFetcher>,
    actors: Mutex<HashMap<String, ActorRef<ClientActorMessage>>>,
    supervisor: ractor::ActorCell,
    live_directory: Option<LiveDirectory>,
}

/// A trusted directory (by issuer) as this node runs it now: `None` when
/// it is not trusted, else the request budget it gives its clients.
pub type LiveDirectory = Arc<dyn Fn(&str) -> Option<RequestBudget> + Send + Sync>;

impl ClientRegistry {
    /// A registry over the configured clients; actors are spawned under
    /// `supervisor`; `fetcher` fetches `jwks_uri`s.
    pub fn new(statics: Vec<Client>, fetcher: Option<JwksFetcher>, supervisor: ractor::ActorCell) -> Self {
        Self {
            statics: statics
                .into_iter()
                .map(|c| (c.client_id.clone(), Arc::new(c)))
                .collect(),
            managed: ArcSwap::from_pointee(ManagedSnapshot::default()),
            registered: None,
            fetcher,
            actors: Mutex::new(HashMap::new()),
            supervisor,
            live_directory: None,
        }
    }

    /// Looks each registered client's directory up in `directory` (the
    /// directories in force, changed live through `oauth/live_sections`):
    /// a client whose directory is not trusted now is refused as unknown
    /// (its statement's attestation no longer stands, and no trust check
    /// could re-examine it; it is not deleted: the directory added again
    /// serves it again), and a client's budget from its directory is the
    /// directory's in force.
    pub fn with_live_directories(mut self, directory: LiveDirectory) -> Self {
        self.live_directory = Some(directory);
        self
    }

    /// Also finds registered clients in `source`.
    pub fn with_registered(mut self, source: RegisteredSource) -> Self {
        self.registered = Some(source);
        self
    }

    /// Whether `client_id` is configured rather than registered: a
    /// `[[clients]]` entry or a client document with metadata or a
    /// tombstone (never registrable).
    pub fn is_static(&self, client_id: &str) -> bool {
        self.statics.contains_key(client_id) || self.managed.load().configured.contains(client_id)
    }

    /// Whether `client_id` is an entry of the file (whatever a document
    /// says about it now).
    pub fn is_file_entry(&self, client_id: &str) -> bool {
        self.statics.contains_key(client_id)
    }

    /// The configured clients this node serves now: each file entry as its
    /// client document leaves it (replaced, or gone when disabled or
    /// deleted), then the documents' own clients (not registered ones).
    pub fn configured_clients(&self) -> Vec<Arc<Client>> {
        let managed = self.managed.load();
        let mut clients: Vec<Arc<Client>> = self
            .statics
            .iter()
            .filter_map(|(id, file)| match managed.entries.get(id) {
                None => Some(file.clone()),
                Some(Managed::Active(client)) => Some(client.clone()),
                Some(Managed::Refused | Managed::Underlying { .. }) => None,
            })
            .collect();
        clients.extend(managed.entries.iter().filter_map(|(id, entry)| match entry {
            Managed::Active(client) if !self.statics.contains_key(id) && managed.configured.contains(id) => {
                Some(client.clone())
            }
            _ => None,
        }));
        clients
    }

    /// The client documents' generation this node serves.
    pub fn managed_generation(&self) -> u64 {
        self.managed.load().generation
    }

    /// Reads every client document again and serves them from now on
    /// (after a change on this node, or when [`Self::poll_managed`] saw the
    /// generation move); the actors of clients whose document changed are
    /// replaced. A no-op without a store.
    pub async fn reload_managed(&self) -> Result<(), KvError> {
        let Some(source) = self.registered.as_ref() else {
            return Ok(());
        };
        let mut newer = managed_snapshot::load(&source.repo, source.clock.now_unix()).await?;
        // A file entry whose document holds only its state (enabled again
        // after a disable): served from the file with the document's
        // revision and `trusted_since`, built once here, not per lookup.
        for (client_id, entry) in newer.entries.iter_mut() {
            if let Managed::Underlying { trusted_since } = *entry
                && let Some(file) = self.statics.get(client_id)
            {
                let mut client = Client::clone(file);
                client.trusted_since = trusted_since;
                client.revision = newer.revisions.get(client_id).copied().unwrap_or_default();
                *entry = Managed::Active(Arc::new(client));
            }
        }
        let older = self.managed.load_full();
        if newer.generation < older.generation {
            return Ok(()); // a concurrent reload already swapped in a newer one
        }
        let changed: Vec<String> = older
            .changed_ids(&newer)
            .into_iter()
            .map(str::to_string)
            .collect();
        self.managed.store(Arc::new(newer));
        for client_id in &changed {
            self.evict(client_id);
        }
        Ok(())
    }

    /// One poll: reads the store's generation (one small read) and reloads
    /// when it differs from the one served; whether it reloaded.
    pub async fn poll_managed(&self) -> Result<bool, KvError> {
        let Some(source) = self.registered.as_ref() else {
            return Ok(false);
        };
        let generation = managed_snapshot::generation(&source.repo).await?;
        self.reload_managed_if_moved(generation).await
    }

    /// Reloads when `generation` (the store's, as a poll read it) differs
    /// from the one served; whether it reloaded.
    pub async fn reload_managed_if_moved(&self, generation: u64) -> Result<bool, KvError> {
        if self.registered.is_none() || generation == self.managed.load().generation {
            return Ok(false);
        }
        self.reload_managed().await?;
        Ok(true)
    }

    /// The client's current snapshot (without charging its request budget),
    /// or `None` when no such client exists or it is disabled or deleted.
    pub async fn get(&self, client_id: &str) -> Option<Arc<Client>> {
        self.resolve(client_id).await
    }

    /// The client as served now: its document's (a disabled or deleted one
    /// is `None`), else the file's entry, else its registration.
    async fn resolve(&self, client_id: &str) -> Option<Arc<Client>> {
        let mut floor = 0;
        let managed = self.managed.load();
        // Without documents (the common case) no hashing at all.
        let entry = match managed.entries.is_empty() {
            true => None,
            false => managed.entries.get(client_id),
        };
        match entry {
            Some(Managed::Active(client)) => return Some(client.clone()),
            Some(Managed::Refused) => return None,
            Some(Managed::Underlying { trusted_since }) => floor = *trusted_since,
            None => {}
        }
        if let Some(client) = self.statics.get(client_id) {
            return Some(client.clone());
        }
        let record = self.registered_record(client_id).await?;
        let live = match &self.live_directory {
            Some(directory) => Some(directory(&record.directory)?),
            None => None,
        };
        match self.client_of(&record, live) {
            Ok(mut client) => {
                client.trusted_since = client.trusted_since.max(floor);
                Some(Arc::new(client))
            }
            Err(error) => {
                tracing::warn!(client_id, %error, "registered client unusable");
                None
            }
        }
    }

    /// The client's snapshot from its actor, charging one request to its
    /// budget: `Ok(None)` for an unknown (or disabled, or deleted) client,
    /// `Err` over the budget.
    pub async fn get_charged(&self, client_id: &str) -> Result<Option<Arc<Client>>, RateLimited> {
        let Some(client) = self.resolve(client_id).await else {
            self.evict(client_id);
            return Ok(None);
        };
        let existing = self.lock().get(client_id).cloned();
        if let Some(actor) = existing
            && let Ok(answer) = ractor::call!(actor, ClientActorMessage::Snapshot)
        {
            match answer {
                // The trust checks change `trusted_since` and the revoked
                // certificates, not the revision; a directory or the
                // registration policy changed live may change the budget
                // (its actor's bucket is sized at spawn).
                Ok(snapshot)
                    if snapshot.revision == client.revision
                        && snapshot.trusted_since == client.trusted_since
                        && snapshot.revoked_certificates == client.revoked_certificates
                        && snapshot.requests_per_second == client.requests_per_second
                        && snapshot.burst == client.burst =>
                {
                    return Ok(Some(snapshot));
                }
                Ok(_) => self.evict(client_id),
                Err(limited) => return Err(limited),
            }
        }
        let args = (client.clone(), self.fetcher.clone());
        match Actor::spawn_linked(None, ClientActor, args, self.supervisor.clone()).await {
            Ok((actor, _)) => {
                self.lock().insert(client_id.to_string(), actor.clone());
                match ractor::call!(actor, ClientActorMessage::Snapshot) {
                    Ok(answer) => answer.map(Some),
                    Err(_) => Ok(Some(client)),
                }
            }
            Err(e) => {
                tracing::warn!(client_id, error = %e, "client actor did not start; serving the stored snapshot");
                Ok(Some(client))
            }
        }
    }

    /// Fetches the client's `jwks_uri` again (an assertion named an unknown
    /// `kid`) and returns the new snapshot; `None` without a running actor.
    pub async fn refetch_jwks(&self, client_id: &str) -> Option<Arc<Client>> {
        let actor = self.lock().get(client_id).cloned()?;
        ractor::call!(actor, ClientActorMessage::RefetchJwks).ok()
    }

    /// Stops the client's actor (after an update or deletion on this node;
    /// other nodes notice the new revision on their next lookup).
    pub fn evict(&self, client_id: &str) {
        if let Some(actor) = self.lock().remove(client_id) {
            actor.stop(Some("registration changed".into()));
        }
    }

    /// The client a stored registration describes, with its budget
    /// (`directory`: its directory's in force, when live).
    fn client_of(
        &self,
        record: &RegisteredClient,
        directory: Option<RequestBudget>,
    ) -> Result<Client, String> {
        let budget = self
            .registered
            .as_ref()
            .map_or_else(RequestBudget::default, |source| {
                source.budgets.budgets().budget_with(
                    &record.client_id,
                    &record.software_id,
                    &record.directory,
                    directory,
                )
            });
        Client::from_registered(record, budget)
    }

    /// The stored registration, unless missing, unreadable or suspended.
    async fn registered_record(&self, client_id: &str) -> Option<RegisteredClient> {
        let source = self.registered.as_ref()?;
        match source
            .repo
            .find::<RegisteredClient>(client_id, source.clock.now_unix())
            .await
        {
            Ok(found) => found.map(|f| f.payload).filter(|r| !r.suspended),
            Err(error) => {
                tracing::warn!(client_id, %error, "registered client could not be read");
                None
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, ActorRef<ClientActorMessage>>> {
        self.actors.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::protocol::client_auth::TokenEndpointAuthMethod;
    use crate::protocol::registration::metadata::ClientMetadata;
    use crate::store::embedded::{EmbeddedBackend, EmbeddedOptions};
    use crate::store::kv::Store;
    use fiducia_hsm::JoseAlg;

    const NOW: u64 = 1_800_000_000;

    fn registered(client_id: &str, revision: u64, scopes: &[&str]) -> RegisteredClient {
        RegisteredClient {
            client_id: client_id.into(),
            metadata: ClientMetadata {
                client_name: "Registered".into(),
                redirect_uris: vec!["https://fintech.example/cb".into()],
                token_endpoint_auth_method: TokenEndpointAuthMethod::PrivateKeyJwt,
                token_endpoint_auth_signing_alg: None,
                scopes: scopes.iter().map(|s| s.to_string()).collect(),
                jwks_uri: Some("https://fintech.example/jwks".into()),
                jwks: None,
                tls_client_auth_subject_dn: None,
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
            revision,
            suspended: false,
            trusted_since: 0,
            revoked_certificates: Vec::new(),
            transport_subject_dn: None,
            descriptive_metadata: None,
        }
    }

    /// Registered clients are found like static ones, an update is seen at
    /// the next lookup (new revision), and a suspended or deleted client is
    /// unknown (the seam continuous trust checks use).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn registered_clients_follow_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let backend = Arc::new(EmbeddedBackend::open(dir.path(), EmbeddedOptions::default()).unwrap());
        let repo = Repo::open(Store::new(backend)).await.unwrap();
        let (root, _) = Actor::spawn(None, crate::actors::root::RootSupervisor, ())
            .await
            .unwrap();
        let fixed =
            Client::from_registered(&registered("static-1", 0, &["openid"]), RequestBudget::default())
                .unwrap();
        let registry =
            ClientRegistry::new(vec![fixed], None, root.get_cell()).with_registered(RegisteredSource {
                repo: repo.clone(),
                clock: Arc::new(ManualClock::at(NOW)),
                budgets: Arc::new(Arc::new(
                    crate::model::registered_budget::RegisteredBudgets::default(),
                )),
            });
        assert!(registry.is_static("static-1"));
        assert!(registry.get_charged("dcr-1").await.unwrap().is_none());

        repo.upsert("dcr-1", &registered("dcr-1", 1, &["openid"]), None, NOW)
            .await
            .unwrap();
        let first = registry.get_charged("dcr-1").await.unwrap().unwrap();
        assert_eq!(first.scopes, vec!["openid"]);
        repo.upsert(
            "dcr-1",
            &registered("dcr-1", 2, &["openid", "accounts"]),
            None,
            NOW,
        )
        .await
        .unwrap();
        let second = registry.get_charged("dcr-1").await.unwrap().unwrap();
        assert_eq!((second.revision, second.scopes.len()), (2, 2));

        let mut suspended = registered("dcr-1", 3, &["openid"]);
        suspended.suspended = true;
        repo.upsert("dcr-1", &suspended, None, NOW).await.unwrap();
        assert!(registry.get_charged("dcr-1").await.unwrap().is_none());
        assert!(registry.get("dcr-1").await.is_none());

        repo.upsert("dcr-1", &registered("dcr-1", 4, &["openid"]), None, NOW)
            .await
            .unwrap();
        assert!(registry.get("dcr-1").await.is_some());
        repo.destroy(crate::store::keys::Kind::Client, "dcr-1")
            .await
            .unwrap();
        assert!(registry.get_charged("dcr-1").await.unwrap().is_none());
        root.stop(None);
    }
}
