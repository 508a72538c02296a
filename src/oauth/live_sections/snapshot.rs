//! The sections this node runs ([`LiveSections`]): every registered
//! section's effective value, the file's or the store's document, in an
//! immutable snapshot swapped whole (`ArcSwap`) when the store's section
//! generation moves, so that a consumer reads a section without a lock or
//! a store read. The node that wrote reloads at once
//! (`transaction.rs`); the others when their poll sees the generation move
//! (`managed_clients/watch.rs`, one read for both generations).

use super::generation;
use super::registry::SECTIONS;
use super::section::{AnyValue, DynSection, Section};
use crate::clock::Clock;
use crate::config::{Config, ValidatedConfig};
use crate::model::section_document::SectionDocument;
use crate::store::kv::KvError;
use crate::store::repo::Repo;
use arc_swap::ArcSwap;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

/// Where a section's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The configuration file (no document, or reset).
    File,
    /// A document an operator wrote through the Config API.
    Store,
}

/// One section as this node runs it.
#[derive(Clone)]
pub struct Effective {
    /// The value (the section's `Section::Value`).
    pub value: AnyValue,
    /// File or store.
    pub source: Source,
    /// The document's revision (0: never written).
    pub revision: u64,
}

/// Every registered section, at one store generation.
#[derive(Clone, Default)]
pub struct Snapshot {
    /// The store's section generation the documents were read at (or after).
    pub generation: u64,
    sections: HashMap<&'static str, Effective>,
}

/// The sections of one node: the file's as the seed, the store's documents
/// over them.
pub struct LiveSections {
    file: Arc<ValidatedConfig>,
    repo: Repo,
    clock: Arc<dyn Clock>,
    registered: &'static [&'static dyn DynSection],
    snapshot: ArcSwap<Snapshot>,
}

impl LiveSections {
    /// The node's sections, seeded by the file until [`Self::reload`].
    pub fn new(file: Arc<ValidatedConfig>, repo: Repo, clock: Arc<dyn Clock>) -> Self {
        Self::with_sections(file, repo, clock, SECTIONS)
    }

    /// The same over a given list of sections (tests).
    pub fn with_sections(
        file: Arc<ValidatedConfig>,
        repo: Repo,
        clock: Arc<dyn Clock>,
        registered: &'static [&'static dyn DynSection],
    ) -> Self {
        let seed = Snapshot {
            generation: 0,
            sections: registered
                .iter()
                .map(|s| (s.name(), from_file(*s, file.get())))
                .collect(),
        };
        Self {
            file,
            repo,
            clock,
            registered,
            snapshot: ArcSwap::from_pointee(seed),
        }
    }

    /// The file's configuration (as validated at start-up).
    pub fn file(&self) -> &Config {
        self.file.get()
    }

    /// The store.
    pub fn repo(&self) -> &Repo {
        &self.repo
    }

    /// The clock.
    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// The section generation this node runs.
    pub fn generation(&self) -> u64 {
        self.snapshot.load().generation
    }

    /// Section `S` as this node runs it: its value, source and revision.
    pub fn effective<S: Section>(&self) -> (Arc<S::Value>, Source, u64) {
        let snapshot = self.snapshot.load();
        if let Some(effective) = snapshot.sections.get(S::NAME)
            && let Ok(value) = Arc::clone(&effective.value).downcast::<S::Value>()
        {
            return (value, effective.source, effective.revision);
        }
        // Not registered: the file's.
        (Arc::new(S::of(self.file.get())), Source::File, 0)
    }

    /// Section `S`'s value as this node runs it.
    pub fn get<S: Section>(&self) -> Arc<S::Value> {
        self.effective::<S>().0
    }

    /// The file's configuration with every section as this node runs it:
    /// what a write is checked against (with the written section replaced).
    pub fn effective_config(&self) -> Config {
        let mut config = self.file.get().clone();
        let snapshot = self.snapshot.load();
        for section in self.registered {
            if let Some(effective) = snapshot.sections.get(section.name()) {
                section.apply(&mut config, &effective.value);
            }
        }
        config
    }

    /// Every registered section: name, value as JSON, source, revision.
    pub fn describe(&self) -> Vec<(&'static str, serde_json::Value, Source, u64)> {
        let snapshot = self.snapshot.load();
        self.registered
            .iter()
            .filter_map(|s| {
                let e = snapshot.sections.get(s.name())?;
                Some((s.name(), s.to_json(&e.value), e.source, e.revision))
            })
            .collect()
    }

    /// Reads the generation, then every section document, and runs them
    /// from now on. A document this node cannot read (never written by a
    /// build of this schema: damage) keeps the section this node ran.
    pub async fn reload(&self) -> Result<(), KvError> {
        let now = self.clock.now_unix();
        let generation = generation::read(&self.repo).await?.sections;
        let documents: HashMap<String, SectionDocument> = self
            .repo
            .list::<SectionDocument>(now)
            .await?
            .into_iter()
            .map(|f| (f.payload.section.clone(), f.payload))
            .collect();
        let older = self.snapshot.load_full();
        if generation < older.generation {
            return Ok(()); // a concurrent reload already swapped in a newer one
        }
        let mut newer = Snapshot {
            generation,
            sections: HashMap::new(),
        };
        for section in self.registered {
            let effective = match documents.get(section.name()) {
                None => from_file(*section, self.file.get()),
                Some(document) => match of_document(*section, self.file.get(), document) {
                    Ok(effective) => effective,
                    Err(error) => {
                        tracing::error!(section = section.name(), %error, "stored section unreadable: this node keeps the value it ran");
                        match older.sections.get(section.name()) {
                            Some(kept) => kept.clone(),
                            None => from_file(*section, self.file.get()),
                        }
                    }
                },
            };
            newer.sections.insert(section.name(), effective);
        }
        self.snapshot.store(Arc::new(newer));
        Ok(())
    }

    /// Reloads when the store's section generation (read by the caller's
    /// poll) differs from the one this node runs; whether it reloaded.
    pub async fn reload_if_moved(&self, generation: u64) -> Result<bool, KvError> {
        if generation == self.generation() {
            return Ok(false);
        }
        self.reload().await?;
        Ok(true)
    }
}

fn from_file(section: &dyn DynSection, file: &Config) -> Effective {
    Effective {
        value: section.of_file(file),
        source: Source::File,
        revision: 0,
    }
}

/// What a document makes of its section (`None` value: reset, the file's).
pub(super) fn of_document(
    section: &dyn DynSection,
    file: &Config,
    document: &SectionDocument,
) -> Result<Effective, serde_json::Error> {
    Ok(match &document.value {
        None => Effective {
            value: section.of_file(file),
            source: Source::File,
            revision: document.revision,
        },
        Some(json) => Effective {
            value: section.decode(json)?,
            source: Source::Store,
            revision: document.revision,
        },
    })
}
