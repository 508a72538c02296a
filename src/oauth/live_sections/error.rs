//! What a section write refuses, typed so that the Config API maps each
//! to its status (`http` alone writes responses): not found (404), a stale
//! validator (412, RFC 9110 §13.1.1), none (428, RFC 6585 §3), a bad value
//! (400, RFC 9457 problem details, one entry per field), a change the
//! rest of the configuration forbids or an existing key (409), the store
//! (503).

use super::section::FieldProblem;
use crate::store::kv::KvError;

/// Why a section operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum SectionError {
    /// No item with this key.
    #[error("no such item")]
    NotFound,
    /// `If-Match` names another representation than the current one.
    #[error("If-Match does not match the current ETag {current}")]
    PreconditionFailed {
        /// The current strong ETag.
        current: String,
    },
    /// A write without `If-Match`.
    #[error("a write needs If-Match with the current ETag")]
    PreconditionRequired,
    /// The body fails the start-up checks: one problem per field.
    #[error("invalid value ({} problems)", .0.len())]
    Invalid(Vec<FieldProblem>),
    /// A create whose key exists.
    #[error("an item with this key exists")]
    Conflict,
    /// A removal or reset the rest of the configuration does not allow
    /// (the start-up checks' problems with the result).
    #[error("the change leaves an invalid configuration ({} problems)", .0.len())]
    Refused(Vec<FieldProblem>),
    /// The store failed (for `KvError::CommitUnknown` the change may have
    /// been made).
    #[error(transparent)]
    Store(#[from] KvError),
}
