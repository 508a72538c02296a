//! A section document: how an operator changed a whole configuration
//! section live (`oauth/live_sections/`: `[[registration.trusted_directories]]`,
//! `[[resource_servers]]`, and the sections added later), stored per
//! section name in the `config_section` kind (`store/keys.rs`, schema 14).
//!
//! Precedence (README "Sections managed live", docs/ARCHITECTURE.md): the
//! file seeds a section; once the store holds a document with a value for
//! it, the document rules the whole section on every node, until an
//! operator resets it (the document then holds no value and the file's
//! section is in force again, its revision still counting).

use crate::store::keys::Kind;
use crate::store::record::{Links, StoredRecord};
use serde::{Deserialize, Serialize};

/// One stored section document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionDocument {
    /// The section's name (`trusted_directories`), also its store id.
    pub section: String,
    /// Counts the document's changes from 1; never reused for a section (a
    /// reset keeps counting), so a revision names one value only.
    pub revision: u64,
    /// The section's value as JSON text, checked as at start-up before it
    /// was stored; text rather than a struct, so that a member added to the
    /// section later (with its serde default) needs no migration. `None`:
    /// reset, the file's section is in force.
    pub value: Option<String>,
    /// When the document last changed (Unix seconds).
    pub updated_at: u64,
    /// Random id of the service call that wrote it, so that a retry after
    /// an unknown commit outcome recognises its own write.
    pub written_by: u128,
}

impl StoredRecord for SectionDocument {
    const KIND: Kind = Kind::ConfigSection;
    fn links(&self) -> Links {
        // Never linked: no revocation by client or grant may delete it.
        Links::default()
    }
}
