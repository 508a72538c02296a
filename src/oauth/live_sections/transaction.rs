//! One section change as one store transaction
//! ([`LiveSections::write`]): the section's document read, the caller's
//! decision made on it (the `If-Match` precondition among its checks, RFC
//! 9110 §13.1.1), the result checked as at start-up (`validate.rs`), then
//! the document, the bumped section generation every node polls and the
//! `config_changed` audit record (operator, targets, the member names that
//! changed, never a value) written together, so a crash or a failed commit
//! leaves all of them or none. After the commit this node runs the change
//! at once; the others on their next poll.

use super::error::SectionError;
use super::etag;
use super::generation::read_sections;
use super::section::Section;
use super::snapshot::{LiveSections, Source};
use super::validate::section_problems;
use crate::config::Config;
use crate::model::section_document::SectionDocument;
use crate::store::audit::{Actor, AuditEvent, Change, EventType, Target};
use crate::store::keys;
use crate::store::kv::{KvError, MaybeCommitted, Transaction};
use crate::store::repo::ops;

/// A section as the store holds it inside a transaction.
#[derive(Debug)]
pub struct Current<S: Section> {
    /// The value in force: the document's, or the file's.
    pub value: S::Value,
    /// File or store.
    pub source: Source,
    /// The document's revision (0: never written).
    pub revision: u64,
}

impl<S: Section> Clone for Current<S> {
    fn clone(&self) -> Self {
        Self {
            value: self.value.clone(),
            source: self.source,
            revision: self.revision,
        }
    }
}

impl<S: Section> Current<S> {
    /// The section's strong ETag.
    pub fn etag(&self) -> String {
        etag::of_section(self.revision, &self.value)
    }
}

/// What a write decided, computed inside its transaction.
pub enum Decision<S: Section> {
    /// Nothing to change.
    Unchanged,
    /// Store `value` (`None`: reset to the file's) and record the change.
    Write {
        /// The new value, or `None` to reset.
        value: Option<S::Value>,
        /// What the audit record names (the section is added first).
        targets: Vec<Target>,
        /// The member names that changed.
        changed: Vec<Change>,
    },
}

impl LiveSections {
    /// Section `S` as `tx` reads it.
    pub async fn current<S: Section>(&self, tx: &Transaction, now: u64) -> Result<Current<S>, KvError> {
        let document = ops::find::<SectionDocument>(tx, S::NAME, now)
            .await?
            .map(|f| f.payload);
        current_of::<S>(self.file(), document.as_ref())
    }

    /// Section `S` as the store holds it now.
    pub async fn read<S: Section>(&self) -> Result<Current<S>, KvError> {
        let now = self.clock().now_unix();
        self.repo()
            .store()
            .run(|tx, _| async move { self.current::<S>(&tx, now).await })
            .await
    }

    /// Runs `decide` on section `S` as the store holds it (with the
    /// configuration the value is checked against: the file with every
    /// section as this node runs them) in one transaction and makes its
    /// decision there: the document, the generation and the audit record
    /// together. A value that fails the start-up checks is refused
    /// ([`SectionError::Refused`]). This node runs the result at once.
    pub async fn write<S, F>(&self, operator: &str, decide: F) -> Result<Current<S>, SectionError>
    where
        S: Section,
        F: Fn(&Current<S>, &Config) -> Result<Decision<S>, SectionError>,
    {
        let now = self.clock().now_unix();
        let base = &self.effective_config();
        let decide = &decide;
        let call_id = uuid::Uuid::new_v4().as_u128();
        // What the attempt that last wrote left, for a retry that finds
        // that write committed after all.
        let last: &std::sync::Mutex<Option<Current<S>>> = &std::sync::Mutex::new(None);
        let outcome = self
            .repo()
            .store()
            .run(|tx, MaybeCommitted(maybe)| async move {
                let document = ops::find::<SectionDocument>(&tx, S::NAME, now)
                    .await?
                    .map(|f| f.payload);
                let earlier = last.lock().unwrap_or_else(|p| p.into_inner()).clone();
                if maybe
                    && document.as_ref().is_some_and(|d| d.written_by == call_id)
                    && let Some(written) = earlier
                {
                    // This call's own write, committed after all.
                    return Ok(Ok((written, true)));
                }
                let current = current_of::<S>(self.file(), document.as_ref())?;
                let (value, mut targets, changed) = match decide(&current, base) {
                    Err(refused) => return Ok(Err(refused)),
                    Ok(Decision::Unchanged) => return Ok(Ok((current, false))),
                    Ok(Decision::Write {
                        value,
                        targets,
                        changed,
                    }) => (value, targets, changed),
                };
                let in_force = value.clone().unwrap_or_else(|| S::of(self.file()));
                let mut problems = section_problems::<S>(base, &in_force);
                if value.is_some() {
                    problems.extend(S::api_problems(&current.value, &in_force));
                }
                if !problems.is_empty() {
                    return Ok(Err(SectionError::Refused(problems)));
                }
                let revision = current.revision + 1;
                let stored = SectionDocument {
                    section: S::NAME.to_string(),
                    revision,
                    value: match &value {
                        Some(v) => {
                            Some(serde_json::to_string(v).map_err(|e| KvError::Backend(e.to_string()))?)
                        }
                        None => None,
                    },
                    updated_at: now,
                    written_by: call_id,
                };
                ops::upsert(&tx, S::NAME, &stored, None, now).await?;
                let generation = read_sections(&tx).await? + 1;
                tx.set(&keys::config_section_generation_key(), &generation.to_be_bytes())?;
                targets.insert(0, Target::new("config_section", S::NAME));
                let event = AuditEvent {
                    event: EventType::ConfigChanged,
                    actor: Actor::Operator(operator.to_string()),
                    targets,
                    changed,
                };
                crate::store::audit::append(&tx, &event, now).await?;
                let written = Current {
                    value: in_force,
                    source: match value {
                        Some(_) => Source::Store,
                        None => Source::File,
                    },
                    revision,
                };
                *last.lock().unwrap_or_else(|p| p.into_inner()) = Some(written.clone());
                Ok(Ok((written, true)))
            })
            .await?;
        let (current, written) = outcome?;
        if written && let Err(error) = self.reload().await {
            // The poll picks the change up within its interval.
            tracing::warn!(section = S::NAME, %error, "sections could not be reloaded after a change");
        }
        Ok(current)
    }
}

/// What `document` (if any) makes of section `S` over `file`.
fn current_of<S: Section>(file: &Config, document: Option<&SectionDocument>) -> Result<Current<S>, KvError> {
    let Some(document) = document else {
        return Ok(Current {
            value: S::of(file),
            source: Source::File,
            revision: 0,
        });
    };
    Ok(match &document.value {
        None => Current {
            value: S::of(file),
            source: Source::File,
            revision: document.revision,
        },
        Some(json) => Current {
            value: serde_json::from_str(json)
                .map_err(|e| KvError::Corrupt(format!("section {}: {e}", S::NAME)))?,
            source: Source::Store,
            revision: document.revision,
        },
    })
}
