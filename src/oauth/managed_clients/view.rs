//! A client as the clients service shows it: where it comes from, its
//! state, revision and ETag, and its metadata (a `[[clients]]` entry's
//! members, or a registered client's RFC 7591 metadata). Computed from
//! what the store and the file hold for one id ([`Current`]).

use crate::config::{ResourceServerConfig, StaticClientConfig};
use crate::model::client_document::{ClientDocument, DocumentBody, DocumentState, etag_of};
use crate::model::registered::RegisteredClient;
use serde::Serialize;
use serde_json::Value;

/// The `If-Match` comparison (RFC 9110 §13.1.1), shared with the other
/// services below HTTP.
pub use crate::protocol::entity_tag::if_match_matches;

/// Where a client's metadata lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientSource {
    /// A `[[clients]]` entry of the file (a document may override it).
    Static,
    /// A client document created through the service.
    Stored,
    /// A registration (RFC 7591).
    Registered,
}

/// Whether the client is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientState {
    /// Served.
    Active,
    /// Disabled by an operator: refused as unknown (`invalid_client`).
    Disabled,
    /// A registered client its directory no longer trusts (continuous
    /// trust, `registration/trust.rs`): refused until reinstated.
    Suspended,
}

impl ClientState {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientState::Active => "active",
            ClientState::Disabled => "disabled",
            ClientState::Suspended => "suspended",
        }
    }
}

/// One client as listed and read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClientView {
    /// RFC 7591 `client_id`.
    pub client_id: String,
    /// Where its metadata lives.
    pub source: ClientSource,
    /// Active, disabled or suspended.
    pub state: ClientState,
    /// Its document's revision (0: no document yet).
    pub revision: u64,
    /// Strong entity tag (RFC 9110 §8.8.3) for `If-Match`.
    pub etag: String,
    /// Its metadata: the `[[clients]]` members, or the registration's.
    pub metadata: Value,
}

/// What holds one client id: its document, the file's entry, its
/// registration.
pub struct Current<'a> {
    /// The client document, if any.
    pub document: Option<ClientDocument>,
    /// The file's entry, if any.
    pub file: Option<&'a StaticClientConfig>,
    /// The registration, if any.
    pub registered: Option<RegisteredClient>,
    /// The resource servers in force as the same transaction reads them
    /// (no client takes one's id or subject DN); empty where not read.
    pub resource_servers: Vec<ResourceServerConfig>,
}

impl Current<'_> {
    /// The client's state as its document leaves it.
    fn document_state(&self) -> ClientState {
        match self.document.as_ref().map(|d| d.state) {
            Some(DocumentState::Disabled) => ClientState::Disabled,
            _ => ClientState::Active,
        }
    }

    fn document_revision(&self) -> u64 {
        self.document.as_ref().map_or(0, |d| d.revision)
    }

    /// The client as shown, or `None` when there is none (never was, or
    /// deleted: a tombstone).
    pub fn view(&self, client_id: &str) -> Option<ClientView> {
        let view = |source, state, etag: String, metadata| ClientView {
            client_id: client_id.to_string(),
            source,
            state,
            revision: self.document_revision(),
            etag,
            metadata,
        };
        match self.document.as_ref().map(|d| &d.body) {
            Some(DocumentBody::Tombstone) => return None,
            Some(DocumentBody::Metadata(json)) => {
                let source = match self.file {
                    Some(_) => ClientSource::Static,
                    None => ClientSource::Stored,
                };
                let metadata = serde_json::from_str(json).unwrap_or(Value::Null);
                let etag = etag_of(self.document_revision());
                return Some(view(source, self.document_state(), etag, metadata));
            }
            Some(DocumentBody::StateOnly) | None => {}
        }
        if let Some(entry) = self.file {
            let metadata = serde_json::to_value(entry).unwrap_or(Value::Null);
            let etag = etag_of(self.document_revision());
            return Some(view(ClientSource::Static, self.document_state(), etag, metadata));
        }
        let record = self.registered.as_ref()?;
        let state = match record.suspended {
            true => ClientState::Suspended,
            false => self.document_state(),
        };
        // Both the registration (RFC 7592 updates) and the document
        // (state) change the representation.
        let etag = format!("\"g{}-r{}\"", record.revision, self.document_revision());
        let metadata = serde_json::to_value(&record.metadata).unwrap_or(Value::Null);
        Some(view(ClientSource::Registered, state, etag, metadata))
    }
}
