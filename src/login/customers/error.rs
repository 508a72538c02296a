//! What the customers service (`service.rs`) refuses, typed so that the
//! Config API maps each to its status: no such customer (404), a stale or
//! lost `If-Match` (412, RFC 9110 §13.1.1), a body failing the import's
//! checks (400, one entry per member, never its value), a username or
//! `sub` already held (409), the store (503).

use crate::login::error::LoginError;
use crate::store::kv::KvError;

/// One bad member of a customer body: its JSON path as the import's
/// checks write it (`$` the body, `verified_claims[0].verification`) and
/// what is wrong, with no value of the body in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyProblem {
    /// JSON path (`line.rs` form).
    pub path: String,
    /// What is wrong.
    pub problem: String,
}

/// Why a customers operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum CustomerError {
    /// No customer with this username.
    #[error("no such customer")]
    NotFound,
    /// `If-Match` does not name the customer's current ETag.
    #[error("If-Match does not match the customer's current ETag")]
    PreconditionFailed,
    /// The body fails the checks: one problem per member.
    #[error("invalid customer ({} problems)", .0.len())]
    Invalid(Vec<BodyProblem>),
    /// A create of a username that exists.
    #[error("a customer with this username exists")]
    UsernameTaken,
    /// The `sub` belongs to another username (a username belongs to one
    /// `sub` and a `sub` to one username, `login/user.rs`).
    #[error("the sub belongs to another customer")]
    SubTaken,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] KvError),
    /// Hashing or the store, through the accounts' own calls.
    #[error(transparent)]
    Login(#[from] LoginError),
}
