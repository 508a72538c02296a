//! A client document: how an operator changed a client live (the Config
//! API's `clients` resource, `oauth/managed_clients/`), stored per
//! `client_id` in the `client_config` kind (`store/keys.rs`, schema 12).
//!
//! Precedence (README "Clients managed live", docs/ARCHITECTURE.md): a
//! document with metadata overrides the file's `[[clients]]` entry with the
//! same id, a tombstone hides it, and the file is the bootstrap. A document
//! may also hold only a state (`disabled`, or `active` again with its
//! `trusted_since`) over a file entry, which then keeps following the
//! file, or over a registered (RFC 7591) client, whose metadata is RFC
//! 7592's to change.

use crate::store::keys::Kind;
use crate::store::record::{Links, StoredRecord};
use serde::{Deserialize, Serialize};

/// Whether the client may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocumentState {
    /// Served like any client.
    Active,
    /// Refused everywhere as an unknown client (RFC 6749 §5.2
    /// `invalid_client`) until enabled again.
    Disabled,
}

impl DocumentState {
    /// The wire name (`active`, `disabled`).
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentState::Active => "active",
            DocumentState::Disabled => "disabled",
        }
    }
}

/// What the document holds besides its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocumentBody {
    /// The client's metadata: a `[[clients]]` entry as JSON text
    /// (`config::StaticClientConfig`), checked as at start-up before it
    /// was stored. Text rather than the struct, so that a member added to
    /// `[[clients]]` later (with its serde default) needs no migration.
    Metadata(String),
    /// The file's entry of this id is deleted: the client is unknown.
    Tombstone,
    /// The state only: the metadata is the file entry's or the
    /// registration's.
    StateOnly,
}

/// One stored client document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientDocument {
    /// RFC 7591 `client_id`.
    pub client_id: String,
    /// Counts the document's changes from 1; the ETag derives from it
    /// (RFC 9110 §8.8.3, a strong validator). Never reused for an id: a
    /// tombstone keeps counting.
    pub revision: u64,
    /// Active or disabled.
    pub state: DocumentState,
    /// Metadata, tombstone or a registered client's state.
    pub body: DocumentBody,
    /// Tokens issued before this (Unix seconds) are not honoured
    /// (`oauth/trusted_since.rs`): set when the client is enabled again or
    /// created anew, so that what it held before is not honoured again.
    pub trusted_since: u64,
    /// When the document last changed (Unix seconds).
    pub updated_at: u64,
    /// Random id of the service call that wrote it, so that a retry after
    /// an unknown commit outcome recognises its own write (as
    /// `Consumption::by` does for a consumption).
    pub written_by: u128,
}

impl ClientDocument {
    /// The strong ETag of this revision (RFC 9110 §8.8.3: an opaque quoted
    /// string; the revision never repeats for an id).
    pub fn etag(&self) -> String {
        etag_of(self.revision)
    }
}

/// The ETag of revision `revision` of a client (`"r<revision>"`; revision 0
/// is a file entry or registration no document changed yet).
pub fn etag_of(revision: u64) -> String {
    format!("\"r{revision}\"")
}

impl StoredRecord for ClientDocument {
    const KIND: Kind = Kind::ClientConfig;
    fn links(&self) -> Links {
        // Never linked: revocation by client (`Repo::revoke_issued_to_client`)
        // must not delete the document that disabled it.
        Links::default()
    }
}
