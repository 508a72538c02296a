//! One client change as one store transaction
//! ([`ManagedClients::write`]): the current state read, the caller's
//! decision made on it (the `If-Match` precondition among its checks,
//! RFC 9110 §13.1.1), then the client document (or a registration's
//! deletion), the bumped configuration generation every node polls and the
//! `config_changed` audit record written together, so a crash or a failed
//! commit leaves all of them or none. After the commit this node reloads
//! its clients and revokes what the decision says.

use super::error::ManagedClientError;
use super::handle::ManagedClients;
use super::view::{ClientView, Current, if_match_matches};
use crate::actors::managed_snapshot::read_generation;
use crate::model::client_document::ClientDocument;
use crate::store::audit::{Actor, AuditEvent, Change, EventType, Target};
use crate::store::keys::{self, Kind};
use crate::store::kv::MaybeCommitted;
use crate::store::repo::{GrantRevocation, RevocationCause, ops};

/// What a write decided, computed inside its transaction.
pub(super) enum Decision {
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
    /// Runs `decide` on the client's current state in one transaction and
    /// makes its decision there: the document, the generation and the
    /// audit record together. Then reloads this node's clients and revokes
    /// what the decision says.
    pub(super) async fn write<F>(
        &self,
        operator: &str,
        client_id: &str,
        decide: F,
    ) -> Result<(), ManagedClientError>
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
pub(super) fn precondition(
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
