//! [`ManagedClients`]: the clients service over one node's store,
//! registry and file, and how it reads what holds one client id (its
//! document, the file's entry, its registration) inside a transaction.

use super::view::Current;
use crate::actors::client_registry::ClientRegistry;
use crate::clock::Clock;
use crate::config::{Config, ResourceServerConfig, StaticClientConfig};
use crate::model::client_document::ClientDocument;
use crate::model::registered::RegisteredClient;
use crate::oauth::live_sections::ResourceServers;
use crate::store::kv::{KvError, Transaction};
use crate::store::repo::{Repo, ops};
use std::sync::Arc;

/// The clients service over one OP node's store, registry and file.
pub struct ManagedClients<'a> {
    pub(super) repo: &'a Repo,
    pub(super) registry: &'a ClientRegistry,
    pub(super) config: &'a Config,
    pub(super) clock: &'a dyn Clock,
    /// The resource servers in force (`oauth/live_sections`): no client may
    /// take one's id or subject DN.
    pub(super) resource_servers: Arc<Vec<ResourceServerConfig>>,
}

impl<'a> ManagedClients<'a> {
    /// The service of the node `op` describes.
    pub fn of(op: &'a crate::oauth::op::OpState) -> Self {
        Self {
            resource_servers: op.services.sections.get::<ResourceServers>(),
            ..Self::new(
                &op.services.repo,
                &op.services.clients,
                op.config.get(),
                op.services.clock.as_ref(),
            )
        }
    }

    /// The service over these parts.
    pub fn new(
        repo: &'a Repo,
        registry: &'a ClientRegistry,
        config: &'a Config,
        clock: &'a dyn Clock,
    ) -> Self {
        Self {
            repo,
            registry,
            config,
            clock,
            resource_servers: Arc::new(config.resource_servers.clone()),
        }
    }

    pub(super) fn file_entry(&self, client_id: &str) -> Option<&'a StaticClientConfig> {
        self.config.clients.iter().find(|c| c.client_id == client_id)
    }

    /// Reads what holds `client_id` inside `tx`.
    pub(super) async fn current(
        &self,
        tx: &Transaction,
        client_id: &str,
        now: u64,
    ) -> Result<Current<'a>, KvError> {
        Ok(Current {
            document: ops::find::<ClientDocument>(tx, client_id, now)
                .await?
                .map(|f| f.payload),
            file: self.file_entry(client_id),
            registered: ops::find::<RegisteredClient>(tx, client_id, now)
                .await?
                .map(|f| f.payload),
            // Read in the write's transaction, so that a resource server
            // created meanwhile on another node makes one of the two
            // writes retry and see the other (`config/resource_servers.rs`).
            resource_servers: crate::oauth::live_sections::transaction::value_in::<ResourceServers>(
                tx,
                self.config,
                now,
            )
            .await?,
        })
    }
}
