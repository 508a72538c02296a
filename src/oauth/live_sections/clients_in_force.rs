//! The clients a section write is checked against: the file's
//! `[[clients]]` with the stored client documents applied (a metadata
//! document overrides or adds an entry, a tombstone removes one;
//! `model/client_document.rs`), read inside the write's own transaction,
//! so that the start-up rule "a resource server's id and subject DN are no
//! client's" (`config/resource_servers.rs`) also holds against clients
//! created through the clients API, even one created concurrently (the
//! store's serializable transactions make one of the two writes retry).

use crate::config::{Config, StaticClientConfig};
use crate::model::client_document::{ClientDocument, DocumentBody};
use crate::store::kv::{KvError, Transaction};
use crate::store::repo::ops;

/// `config` with its `clients` as the store's documents leave them.
pub async fn apply(tx: &Transaction, config: &mut Config, now: u64) -> Result<(), KvError> {
    for found in ops::all_of_kind::<ClientDocument>(tx, now).await? {
        let document = found.payload;
        match &document.body {
            DocumentBody::StateOnly => {}
            DocumentBody::Tombstone => config.clients.retain(|c| c.client_id != document.client_id),
            DocumentBody::Metadata(json) => {
                let Ok(entry) = serde_json::from_str::<StaticClientConfig>(json) else {
                    continue;
                };
                config.clients.retain(|c| c.client_id != document.client_id);
                config.clients.push(entry);
            }
        }
    }
    Ok(())
}
