//! The client documents of the store (`model/client_document.rs`) as this
//! node serves them: an immutable snapshot, swapped whole when the store's
//! client configuration generation moves (`keys.rs`
//! `client_config_generation_key`), so that a lookup reads it without a
//! lock or a store read (`ClientRegistry` holds it in an `ArcSwap`).

use crate::config::StaticClientConfig;
use crate::model::Client;
use crate::model::client_document::{ClientDocument, DocumentBody, DocumentState};
use crate::store::keys;
use crate::store::kv::{KvError, Transaction};
use crate::store::repo::Repo;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// What a document makes of its client on this node.
#[derive(Debug, Clone)]
pub enum Managed {
    /// Served from the document's metadata (overriding a file entry).
    Active(Arc<Client>),
    /// Refused as an unknown client: disabled, deleted (tombstone), or
    /// metadata this node could not build (a `jwks_file` it lacks).
    Refused,
    /// A client whose document holds only its state and leaves it active:
    /// served from its registration (the registry turns a file entry's
    /// into `Active` at load), not honouring tokens issued before
    /// `trusted_since`.
    Underlying {
        /// Tokens issued before this are not honoured (enabled again).
        trusted_since: u64,
    },
}

/// One node's view of every client document.
#[derive(Debug, Default)]
pub struct ManagedSnapshot {
    /// The store's generation the documents were read at (or after).
    pub generation: u64,
    /// By client id.
    pub entries: HashMap<String, Managed>,
    /// Each document's revision, to tell which clients changed.
    pub revisions: HashMap<String, u64>,
    /// Ids a document configures (metadata or tombstone, not a registered
    /// client's state): never registrable.
    pub configured: HashSet<String>,
}

impl ManagedSnapshot {
    /// The snapshot of `documents` read at `generation`.
    pub fn from_documents(generation: u64, documents: Vec<ClientDocument>) -> Self {
        let mut snapshot = Self {
            generation,
            ..Self::default()
        };
        for document in documents {
            snapshot
                .revisions
                .insert(document.client_id.clone(), document.revision);
            if document.body != DocumentBody::StateOnly {
                snapshot.configured.insert(document.client_id.clone());
            }
            let entry = entry_of(&document);
            snapshot.entries.insert(document.client_id, entry);
        }
        snapshot
    }

    /// Ids whose document differs between `self` and `newer` (added,
    /// removed or another revision): their actors are to be replaced.
    pub fn changed_ids<'a>(&'a self, newer: &'a ManagedSnapshot) -> Vec<&'a str> {
        let mut ids: Vec<&str> = newer
            .revisions
            .iter()
            .filter(|(id, rev)| self.revisions.get(id.as_str()) != Some(rev))
            .map(|(id, _)| id.as_str())
            .collect();
        ids.extend(
            self.revisions
                .keys()
                .filter(|id| !newer.revisions.contains_key(id.as_str()))
                .map(String::as_str),
        );
        ids
    }
}

fn entry_of(document: &ClientDocument) -> Managed {
    if document.state == DocumentState::Disabled {
        return Managed::Refused;
    }
    match &document.body {
        DocumentBody::Tombstone => Managed::Refused,
        DocumentBody::StateOnly => Managed::Underlying {
            trusted_since: document.trusted_since,
        },
        DocumentBody::Metadata(json) => match client_of(document, json) {
            Ok(client) => Managed::Active(Arc::new(client)),
            Err(error) => {
                tracing::warn!(client_id = %document.client_id, %error, "stored client document unusable on this node: the client is refused");
                Managed::Refused
            }
        },
    }
}

/// The client a stored metadata document describes, at its revision.
pub fn client_of(document: &ClientDocument, json: &str) -> anyhow::Result<Client> {
    let config: StaticClientConfig = serde_json::from_str(json)?;
    let mut client = Client::from_static(&config)?;
    client.revision = document.revision;
    client.trusted_since = document.trusted_since;
    Ok(client)
}

/// The generation as `tx` reads it (0 before the first document change).
pub async fn read_generation(tx: &Transaction) -> Result<u64, KvError> {
    Ok(match tx.get(&keys::client_config_generation_key()).await? {
        None => 0,
        Some(bytes) => u64::from_be_bytes(
            <[u8; 8]>::try_from(bytes.as_slice())
                .map_err(|_| KvError::Corrupt("client configuration generation is not 8 bytes".into()))?,
        ),
    })
}

/// The store's generation now (one read).
pub async fn generation(repo: &Repo) -> Result<u64, KvError> {
    repo.store()
        .run(|tx, _| async move { read_generation(&tx).await })
        .await
}

/// Reads the generation, then every document: a document written after the
/// generation was read is seen at once or at the next generation's reload.
pub async fn load(repo: &Repo, now: u64) -> Result<ManagedSnapshot, KvError> {
    let generation = generation(repo).await?;
    let documents = repo
        .list::<ClientDocument>(now)
        .await?
        .into_iter()
        .map(|found| found.payload)
        .collect();
    Ok(ManagedSnapshot::from_documents(generation, documents))
}
