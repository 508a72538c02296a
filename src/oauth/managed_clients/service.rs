//! The clients service: list, read, create, update, disable, enable and
//! delete clients live, for the Config API's `clients` routes. Each write
//! is one store transaction (`transaction.rs`) holding the client document
//! (`model/client_document.rs`), the bumped configuration generation every
//! node polls, and its `config_changed` audit record (operator, client,
//! the member names that changed, never a value): a crash or a failed
//! commit leaves all three or none. Then this node serves the change at
//! once (`ClientRegistry::reload_managed`), and a disable or delete
//! revokes what was issued to the client (`Repo::revoke_issued_to_client`,
//! each grant's `grant_revoked` record with it).

use super::changes::changed_members;
use super::error::ManagedClientError;
use super::handle::ManagedClients;
use super::metadata;
use super::transaction::{Decision, precondition};
use super::view::{ClientSource, ClientView, Current};
use crate::model::client_document::{ClientDocument, DocumentBody, DocumentState};
use crate::model::registered::RegisteredClient;
use crate::store::audit::Change;
use crate::store::kv::KvError;
use crate::store::repo::RevocationCause;
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap};

impl ManagedClients<'_> {
    /// Every client: the file's entries, the stored documents and the
    /// registrations, each once (its document applied), by client id.
    pub async fn list(&self) -> Result<Vec<ClientView>, ManagedClientError> {
        let now = self.clock.now_unix();
        let mut documents: HashMap<String, ClientDocument> = self
            .repo
            .list::<ClientDocument>(now)
            .await?
            .into_iter()
            .map(|f| (f.payload.client_id.clone(), f.payload))
            .collect();
        let mut registered: HashMap<String, RegisteredClient> = self
            .repo
            .list::<RegisteredClient>(now)
            .await?
            .into_iter()
            .map(|f| (f.payload.client_id.clone(), f.payload))
            .collect();
        let mut ids: BTreeSet<String> = self.config.clients.iter().map(|c| c.client_id.clone()).collect();
        ids.extend(documents.keys().cloned());
        ids.extend(registered.keys().cloned());
        let mut views = Vec::with_capacity(ids.len());
        for id in ids {
            let current = Current {
                document: documents.remove(&id),
                file: self.file_entry(&id),
                registered: registered.remove(&id),
                resource_servers: Vec::new(),
            };
            views.extend(current.view(&id));
        }
        Ok(views)
    }

    /// One client.
    pub async fn get(&self, client_id: &str) -> Result<ClientView, ManagedClientError> {
        let now = self.clock.now_unix();
        let current = self
            .repo
            .store()
            .run(|tx, _| async move { self.current(&tx, client_id, now).await })
            .await?;
        current
            .view(client_id)
            .ok_or_else(|| ManagedClientError::NotFound(client_id.to_string()))
    }

    /// Creates a client from a `[[clients]]` entry's members (`body`, a
    /// JSON object): refused when its id exists (a file entry, a stored or
    /// registered client); allowed over a deleted one's tombstone.
    pub async fn create(&self, operator: &str, body: &Value) -> Result<ClientView, ManagedClientError> {
        let entry = metadata::parse(self.config, body, None).map_err(ManagedClientError::Invalid)?;
        let reserved = metadata::resource_server_problems(&self.resource_servers, &entry);
        if !reserved.is_empty() {
            return Err(ManagedClientError::Invalid(reserved));
        }
        let checked_entry = entry.clone();
        let client_id = entry.client_id.clone();
        let json = serde_json::to_string(&entry).map_err(|e| KvError::Backend(e.to_string()))?;
        let given: Vec<String> = match body {
            Value::Object(map) => {
                let mut names: Vec<String> = map.keys().cloned().collect();
                names.sort();
                names
            }
            _ => Vec::new(),
        };
        self.write(operator, &client_id, |current, now| {
            let tombstone = current
                .document
                .as_ref()
                .filter(|d| d.body == DocumentBody::Tombstone);
            if current.view(&client_id).is_some()
                || current.registered.is_some()
                || (current.file.is_some() && tombstone.is_none())
            {
                return Err(ManagedClientError::Conflict(client_id.clone()));
            }
            // Again against the resource servers as this transaction reads them.
            let reserved = metadata::resource_server_problems(&current.resource_servers, &checked_entry);
            if !reserved.is_empty() {
                return Err(ManagedClientError::Invalid(reserved));
            }
            let revision = current.document.as_ref().map_or(0, |d| d.revision) + 1;
            let mut changed: Vec<Change> = given.iter().map(|m| Change::member(m)).collect();
            changed.push(Change::state("state", None, DocumentState::Active.as_str()));
            Ok(Decision::Write {
                document: Some(ClientDocument {
                    client_id: client_id.clone(),
                    revision,
                    state: DocumentState::Active,
                    body: DocumentBody::Metadata(json.clone()),
                    // Nothing issued under this id before now is its.
                    trusted_since: now,
                    updated_at: now,
                    written_by: 0,
                }),
                delete_registration: false,
                changed,
                revoke: None,
            })
        })
        .await?;
        self.get(&client_id).await
    }

    /// Replaces a static or stored client's metadata with `body` (a
    /// `[[clients]]` entry's members; `client_id` may be left out) when
    /// `if_match` names its current ETag (RFC 9110 §13.1.1). A file entry
    /// gets a document overriding it; its state and `trusted_since` stay.
    pub async fn update(
        &self,
        operator: &str,
        client_id: &str,
        if_match: Option<&str>,
        body: &Value,
    ) -> Result<ClientView, ManagedClientError> {
        let if_match = if_match.ok_or(ManagedClientError::PreconditionRequired)?;
        let entry = metadata::parse(self.config, body, Some(client_id)).and_then(|entry| {
            let reserved = metadata::resource_server_problems(&self.resource_servers, &entry);
            match reserved.is_empty() {
                true => Ok(entry),
                false => Err(reserved),
            }
        });
        self.write(operator, client_id, |current, now| {
            let view = precondition(current, client_id, Some(if_match))?;
            if view.source == ClientSource::Registered {
                return Err(ManagedClientError::RegisteredMetadata(client_id.to_string()));
            }
            let entry = entry.clone().map_err(ManagedClientError::Invalid)?;
            // Again against the resource servers as this transaction reads them.
            let reserved = metadata::resource_server_problems(&current.resource_servers, &entry);
            if !reserved.is_empty() {
                return Err(ManagedClientError::Invalid(reserved));
            }
            let after = serde_json::to_value(&entry).map_err(|e| KvError::Backend(e.to_string()))?;
            let changed = changed_members(&object(&view.metadata), &object(&after));
            if changed.is_empty() {
                return Ok(Decision::Unchanged { revoke: None });
            }
            let previous = current.document.as_ref();
            Ok(Decision::Write {
                document: Some(ClientDocument {
                    client_id: client_id.to_string(),
                    revision: view.revision + 1,
                    state: previous.map_or(DocumentState::Active, |d| d.state),
                    body: DocumentBody::Metadata(after.to_string()),
                    trusted_since: previous.map_or(0, |d| d.trusted_since),
                    updated_at: now,
                    written_by: 0,
                }),
                delete_registration: false,
                changed: changed.iter().map(|m| Change::member(m)).collect(),
                revoke: None,
            })
        })
        .await?;
        self.get(client_id).await
    }

    /// Disables a client of any source: it is refused as unknown
    /// everywhere (RFC 6749 §5.2 `invalid_client`) and what was issued to
    /// it is revoked. `if_match`, when given, must name its current ETag.
    pub async fn disable(
        &self,
        operator: &str,
        client_id: &str,
        if_match: Option<&str>,
    ) -> Result<ClientView, ManagedClientError> {
        self.set_state(operator, client_id, if_match, DocumentState::Disabled)
            .await
    }

    /// Enables a disabled client again; tokens issued before now stay
    /// refused (`trusted_since`, `oauth/trusted_since.rs`).
    pub async fn enable(
        &self,
        operator: &str,
        client_id: &str,
        if_match: Option<&str>,
    ) -> Result<ClientView, ManagedClientError> {
        self.set_state(operator, client_id, if_match, DocumentState::Active)
            .await
    }

    async fn set_state(
        &self,
        operator: &str,
        client_id: &str,
        if_match: Option<&str>,
        state: DocumentState,
    ) -> Result<ClientView, ManagedClientError> {
        self.write(operator, client_id, |current, now| {
            let view = precondition(current, client_id, if_match)?;
            let before = current
                .document
                .as_ref()
                .map_or(DocumentState::Active, |d| d.state);
            if before == state {
                let revoke = (state == DocumentState::Disabled).then_some(RevocationCause::ClientDisabled);
                return Ok(Decision::Unchanged { revoke });
            }
            let (body, trusted_since) = match &current.document {
                Some(document) => (document.body.clone(), document.trusted_since),
                None => (DocumentBody::StateOnly, 0),
            };
            let trusted_since = match state {
                DocumentState::Active => now,
                DocumentState::Disabled => trusted_since,
            };
            Ok(Decision::Write {
                document: Some(ClientDocument {
                    client_id: client_id.to_string(),
                    revision: view.revision + 1,
                    state,
                    body,
                    trusted_since,
                    updated_at: now,
                    written_by: 0,
                }),
                delete_registration: false,
                changed: vec![Change::state("state", Some(before.as_str()), state.as_str())],
                revoke: (state == DocumentState::Disabled).then_some(RevocationCause::ClientDisabled),
            })
        })
        .await?;
        self.get(client_id).await
    }

    /// Deletes a client: a file entry or stored client gets a tombstone (a
    /// later create of the id is a new client), a registration is deleted
    /// (RFC 7592 §2.3's effect, its registration access tokens with it);
    /// what was issued to it is revoked.
    pub async fn delete(
        &self,
        operator: &str,
        client_id: &str,
        if_match: Option<&str>,
    ) -> Result<(), ManagedClientError> {
        self.write(operator, client_id, |current, now| {
            let view = precondition(current, client_id, if_match)?;
            let changed = vec![Change::state("state", Some(view.state.as_str()), "deleted")];
            if view.source == ClientSource::Registered {
                return Ok(Decision::Write {
                    document: None,
                    delete_registration: true,
                    changed,
                    revoke: Some(RevocationCause::ClientRemoved),
                });
            }
            Ok(Decision::Write {
                document: Some(ClientDocument {
                    client_id: client_id.to_string(),
                    revision: view.revision + 1,
                    state: DocumentState::Active,
                    body: DocumentBody::Tombstone,
                    trusted_since: now,
                    updated_at: now,
                    written_by: 0,
                }),
                delete_registration: false,
                changed,
                revoke: Some(RevocationCause::ClientRemoved),
            })
        })
        .await
    }
}

fn object(value: &Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    }
}
