//! What the clients service refuses, typed so that the Config API maps each
//! to its status (`http` alone writes responses): not found (404), a lost
//! race or stale validator (412, RFC 9110 §13.1.1), no validator (428,
//! RFC 6585 §3), invalid metadata (RFC 9457 problem details with one entry
//! per field, 400 or 422), an existing id (409), a registered client's
//! metadata (RFC 7592's to change: 409 with the reason), the store (503).

use crate::store::kv::KvError;

/// One bad member of a client's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The member's name as the `[[clients]]` entry spells it
    /// (`redirect_uris`), or `""` for the body as a whole.
    pub field: String,
    /// What is wrong; never the member's value.
    pub message: String,
}

/// Why a clients operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum ManagedClientError {
    /// No such client (or it was deleted).
    #[error("no client {0}")]
    NotFound(String),
    /// `If-Match` names another representation than the current one (RFC
    /// 9110 §13.1.1: the API answers 412 with the current ETag).
    #[error("If-Match does not match the client's current ETag {current}")]
    PreconditionFailed {
        /// The current strong ETag.
        current: String,
    },
    /// An update without `If-Match` (RFC 6585 §3: 428).
    #[error("an update needs If-Match with the client's ETag")]
    PreconditionRequired,
    /// The metadata fails the start-up checks: one problem per field.
    #[error("invalid client metadata ({} problems)", .0.len())]
    Invalid(Vec<FieldProblem>),
    /// A create of a client id that exists (static, stored or registered).
    #[error("client {0} exists")]
    Conflict(String),
    /// A registered client's metadata is changed by its own RFC 7592
    /// management requests, never here.
    #[error(
        "client {0} is registered (RFC 7591): its metadata is changed through RFC 7592 client configuration requests; here it can only be disabled, enabled or deleted"
    )]
    RegisteredMetadata(String),
    /// The store failed (the change was not made, or for
    /// `KvError::CommitUnknown` may have been).
    #[error(transparent)]
    Store(#[from] KvError),
}
