//! [`ClientRegistry`]: one lookup for every client, each served by its
//! [`ClientActor`].
//!
//! - `[[clients]]` from config, held in memory;
//! - registered clients (RFC 7591) from the store (`model::registered`),
//!   read on each charged lookup so that an update or deletion on any node
//!   is seen at once: an actor holding another revision is replaced, a
//!   deleted or suspended client is unknown (its actor stopped).
//!
//! A static `client_id` always wins, and registration never issues one
//! (ids are UUIDs drawn by the OP, and `is_static` is checked).

use super::client::{ClientActor, ClientActorMessage};
use super::token_bucket::RateLimited;
use crate::clock::Clock;
use crate::jwks_fetch::JwksFetcher;
use crate::model::Client;
use crate::model::registered::RegisteredClient;
use crate::model::registered_budget::{RegisteredBudgets, RequestBudget};
use crate::store::repo::Repo;
use ractor::{Actor, ActorRef};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Where registered clients are read from.
pub struct RegisteredSource {
    /// The store.
    pub repo: Repo,
    /// For record expiry checks.
    pub clock: Arc<dyn Clock>,
    /// Their request budgets (`[registration]`).
    pub budgets: RegisteredBudgets,
}

/// Finds clients: static ones from config and registered ones from the
/// store, behind one lookup, each served by its actor.
pub struct ClientRegistry {
    statics: HashMap<String, Arc<Client>>,
    registered: Option<RegisteredSource>,
    fetcher: Option<JwksFetcher>,
    actors: Mutex<HashMap<String, ActorRef<ClientActorMessage>>>,
    supervisor: ractor::ActorCell,
}

impl ClientRegistry {
    /// A registry over the configured clients; actors are spawned under
    /// `supervisor`; `fetcher` fetches `jwks_uri`s.
    pub fn new(statics: Vec<Client>, fetcher: Option<JwksFetcher>, supervisor: ractor::ActorCell) -> Self {
        Self {
            statics: statics
                .into_iter()
                .map(|c| (c.client_id.clone(), Arc::new(c)))
                .collect(),
            registered: None,
            fetcher,
            actors: Mutex::new(HashMap::new()),
            supervisor,
        }
    }

    /// Also finds registered clients in `source`.
    pub fn with_registered(mut self, source: RegisteredSource) -> Self {
        self.registered = Some(source);
        self
    }

    /// Whether `client_id` is a `[[clients]]` entry (never registrable).
    pub fn is_static(&self, client_id: &str) -> bool {
        self.statics.contains_key(client_id)
    }

    /// The client's current snapshot (without charging its request budget),
    /// or `None` when no such client exists.
    pub async fn get(&self, client_id: &str) -> Option<Arc<Client>> {
        if let Some(client) = self.statics.get(client_id) {
            return Some(client.clone());
        }
        let record = self.registered_record(client_id).await?;
        self.client_of(&record).ok().map(Arc::new)
    }

    /// The client's snapshot from its actor, charging one request to its
    /// budget: `Ok(None)` for an unknown client, `Err` over the budget.
    pub async fn get_charged(&self, client_id: &str) -> Result<Option<Arc<Client>>, RateLimited> {
        let client = match self.statics.get(client_id) {
            Some(client) => client.clone(),
            None => match self.registered_record(client_id).await {
                Some(record) => match self.client_of(&record) {
                    Ok(client) => Arc::new(client),
                    Err(error) => {
                        tracing::warn!(client_id, %error, "registered client unusable");
                        self.evict(client_id);
                        return Ok(None);
                    }
                },
                None => {
                    self.evict(client_id);
                    return Ok(None);
                }
            },
        };
        let existing = self.lock().get(client_id).cloned();
        if let Some(actor) = existing
            && let Ok(answer) = ractor::call!(actor, ClientActorMessage::Snapshot)
        {
            match answer {
                // The trust checks change `trusted_since` and the revoked
                // certificates, not the revision.
                Ok(snapshot)
                    if snapshot.revision == client.revision
                        && snapshot.trusted_since == client.trusted_since
                        && snapshot.revoked_certificates == client.revoked_certificates =>
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

    /// The client a stored registration describes, with its budget.
    fn client_of(&self, record: &RegisteredClient) -> Result<Client, String> {
        let budget = self
            .registered
            .as_ref()
            .map_or_else(RequestBudget::default, |source| {
                source
                    .budgets
                    .budget(&record.client_id, &record.software_id, &record.directory)
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
                budgets: RegisteredBudgets::default(),
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
