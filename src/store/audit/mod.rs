//! The tamper-evident audit trail: security-relevant changes (registrations,
//! suspensions, consents, grant revocations, customer accounts, keys; the
//! Config API's changes and administrator authentication failures append
//! with the same call) are appended in the same store transaction as the
//! change they record, to hash chains whose heads are periodically signed.
//!
//! - [`record`]: what a record says (no secret is ever a field);
//! - [`chain`]: [`append`] inside the caller's transaction, the striping;
//! - [`checkpoint`]: signed checkpoints of every chain's head and the guard
//!   that keeps two nodes from writing conflicting ones;
//! - [`verify`]: the walk `fiducia audit verify` runs;
//! - [`read`]: the records since a time, for `fiducia audit export` and
//!   the Config API.
//!
//! Keys live in subspace 66 (`keys.rs`), have no expiry entry and so are
//! never swept: they must outlive the tokens they speak of. Growth is
//! bounded by export and archival (docs/ARCHITECTURE.md, "Audit trail").

pub mod chain;
pub mod checkpoint;
pub mod observed;
mod pages;
pub mod read;
pub mod record;
pub mod verify;

pub use chain::append;
pub use record::{Actor, AuditEvent, AuditRecord, Change, EventType, Target};

#[cfg(test)]
mod tests;
