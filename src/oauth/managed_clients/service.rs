//! The clients service: list, read, create, update, disable, enable and
//! delete clients live, for the Config API's `clients` routes. Each write
//! is one store transaction holding the client document
//! (`model/client_document.rs`), the bumped configuration generation every
//! node polls, and its `config_changed` audit record (operator, client,
//! the member names that changed, never a value): a crash or a failed
//! commit leaves all three or none. Then this node serves the change at
//! once (`ClientRegistry::reload_managed`), and a disable or delete
//! revokes what was issued to the client (`Repo::revoke_issued_to_client`,
//! each grant's `grant_revoked` record with it).

use super::changes::changed_members;
use super::error::ManagedClientError;
use super::metadata;
use super::view::{ClientSource, ClientView, Current, if_match_matches};
use crate::actors::client_registry::ClientRegistry;
use crate::actors::managed_snapshot::read_generation;
use crate::clock::Clock;
use crate::config::{Config, StaticClientConfig};
use crate::model::client_document::{ClientDocument, DocumentBody, DocumentState};
use crate::model::registered::RegisteredClient;
use crate::store::audit::{Actor, AuditEvent, Change, EventType, Target};
use crate::store::keys::{self, Kind};
use crate::store::kv::{KvError, MaybeCommitted, Transaction};
use crate::store::repo::{GrantRevocation, Repo, RevocationCause, ops};
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap};

/// The clients service over one OP node's store, registry and file.
pub struct ManagedClients<'a> {
    repo: &'a Repo,
    registry: &'a ClientRegistry,
    config: &'a Config,
    clock: &'a dyn Clock,
}

/// What a write decided, computed inside its transaction.
enum Decision {
    /// Nothing to change (the state or metadata asked for is the current);
    /// a repeated disable still revokes (its first call's revocation may
    /// have failed after the commit: revocation is idempotent).
    Unchanged { revoke: Option<RevocationCause> },
    /// Write (or, `None`, delete) the document; record `changed`.
    Write {
        document: Option<ClientDocument>,
        /// Delete the registration too (a registered client's delete).
        delete_registration: bool,
        changed: Vec<Change>,
        /// Revoke what was issued to the client afterwards.
        revoke: Option<RevocationCause>,
    },
}

impl<'a> ManagedClients<'a> {
    /// The service of the node `op` describes.
    pub fn of(op: &'a crate::oauth::op::OpState) -> Self {
        Self::new(
            &op.services.repo,
            &op.services.clients,
            op.config.get(),
            op.services.clock.as_ref(),
        )
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
        }
    }

    fn file_entry(&self, client_id: &str) -> Option<&'a StaticClientConfig> {
        self.config.clients.iter().find(|c| c.client_id == client_id)
    }

    /// Reads what holds `client_id` inside `tx`.
    async fn current(&self, tx: &Transaction, client_id: &str, now: u64) -> Result<Current<'a>, KvError> {
        Ok(Current {
            document: ops::find::<ClientDocument>(tx, client_id, now)
                .await?
                .map(|f| f.payload),
            file: self.file_entry(client_id),
            registered: ops::find::<RegisteredClient>(tx, client_id, now)
                .await?
                .map(|f| f.payload),
        })
    }

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
        let entry = metadata::parse(self.config, body, Some(client_id));
        self.write(operator, client_id, |current, now| {
            let view = precondition(current, client_id, Some(if_match))?;
            if view.source == ClientSource::Registered {
                return Err(ManagedClientError::RegisteredMetadata(client_id.to_string()));
            }
            let entry = entry.clone().map_err(ManagedClientError::Invalid)?;
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

    /// Runs `decide` on the client's current state in one transaction and
    /// makes its decision there: the document, the generation and the
    /// audit record together. Then reloads this node's clients and revokes
    /// what the decision says.
    async fn write<F>(&self, operator: &str, client_id: &str, decide: F) -> Result<(), ManagedClientError>
    where
        F: Fn(&Current<'a>, u64) -> Result<Decision, ManagedClientError>,
    {
        let now = self.clock.now_unix();
        let decide = &decide;
        let call_id = uuid::Uuid::new_v4().as_u128();
        // The effects of the attempt that last wrote, for a retry that
        // finds that write committed after all.
        let last = &std::sync::Mutex::new(None);
        let outcome = self
            .repo
            .store()
            .run(|tx, MaybeCommitted(maybe)| async move {
                let current = self.current(&tx, client_id, now).await?;
                let decision = match decide(&current, now) {
                    Ok(decision) => decision,
                    Err(refused) => {
                        let earlier = *last.lock().unwrap_or_else(|p| p.into_inner());
                        let own = current.document.as_ref().is_some_and(|d| d.written_by == call_id)
                            || matches!(
                                (&refused, earlier),
                                (ManagedClientError::NotFound(_), Some((_, true, _)))
                            );
                        return Ok(match (maybe, earlier) {
                            // This call's own write, committed after all.
                            (true, Some(effects)) if own => Ok(Some(effects)),
                            _ => Err(refused),
                        });
                    }
                };
                let (document, delete_registration, changed, revoke) = match decision {
                    Decision::Unchanged { revoke } => return Ok(Ok(Some((revoke, false, false)))),
                    Decision::Write {
                        document,
                        delete_registration,
                        changed,
                        revoke,
                    } => (document, delete_registration, changed, revoke),
                };
                match document {
                    Some(mut document) => {
                        document.written_by = call_id;
                        ops::upsert(&tx, client_id, &document, None, now).await?
                    }
                    None => {
                        ops::destroy(&tx, Kind::ClientConfig, client_id).await?;
                    }
                }
                if delete_registration {
                    ops::destroy(&tx, Kind::Client, client_id).await?;
                }
                let generation = read_generation(&tx).await? + 1;
                tx.set(&keys::client_config_generation_key(), &generation.to_be_bytes())?;
                let event = AuditEvent {
                    event: EventType::ConfigChanged,
                    actor: Actor::Operator(operator.to_string()),
                    targets: vec![Target::new("client", client_id)],
                    changed,
                };
                crate::store::audit::append(&tx, &event, now).await?;
                let effects = (revoke, delete_registration, true);
                *last.lock().unwrap_or_else(|p| p.into_inner()) = Some(effects);
                Ok(Ok(Some(effects)))
            })
            .await?;
        let Some((revoke, delete_registration, written)) = outcome? else {
            return Ok(());
        };
        if written {
            if let Err(error) = self.registry.reload_managed().await {
                // The poll picks the change up within its interval.
                tracing::warn!(client_id, %error, "client documents could not be reloaded after a change");
            }
            self.registry.evict(client_id);
        }
        if let Some(cause) = revoke {
            let revocation = GrantRevocation {
                now,
                keep_secs: self.config.tokens.revocation_marker_secs(),
                cause,
            };
            let revoked = match delete_registration {
                true => self.repo.revoke_by_client_id(client_id, revocation).await?,
                false => self.repo.revoke_issued_to_client(client_id, revocation).await?,
            };
            tracing::info!(
                client_id,
                revoked,
                cause = cause.as_str(),
                "revoked what was issued to the client"
            );
        }
        Ok(())
    }
}

/// The client's current view when `if_match` (if given) names its ETag.
fn precondition(
    current: &Current<'_>,
    client_id: &str,
    if_match: Option<&str>,
) -> Result<ClientView, ManagedClientError> {
    let view = current
        .view(client_id)
        .ok_or_else(|| ManagedClientError::NotFound(client_id.to_string()))?;
    match if_match {
        Some(header) if !if_match_matches(header, &view.etag) => {
            Err(ManagedClientError::PreconditionFailed { current: view.etag })
        }
        _ => Ok(view),
    }
}

fn object(value: &Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    }
}
