//! Typed OP records over the KV layer, written once for every backend.
//!
//! The vocabulary is node-oidc-provider's adapter (`upsert(id, payload,
//! expiresIn)`, `find`, `findByUid`, `consume`, `destroy`,
//! `revokeByGrantId`) plus lookups by client, grant, user and CIBA
//! `auth_req_id` (tokens: by grant only, `Kind::is_indexed_by`), and
//! `insert_new`, a write without a read for ids the OP has just drawn at
//! random ([`FreshId`]): how tokens are issued. A record is a payload type implementing [`StoredRecord`]
//! (its [`Kind`](crate::store::keys::Kind) and its [`Links`]); the repo stores it in a versioned
//! envelope with [`RecordMeta`] in front (expiry, consumption, links) and
//! keeps the index and expiry entries in step with it, in the same
//! transaction. Ids of kinds that are bearer secrets are stored as SHA-256
//! only (`keys.rs`).
//!
//! Time is a parameter: every read takes `now` (Unix seconds); a record whose
//! expiry has passed is invisible before the sweeper ([`ExpirySweeper`])
//! deletes it.
//!
//! Each [`Repo`] method is one transaction; [`ops`] has the same operations
//! inside a caller's transaction, to combine them atomically.

mod by_account;
pub mod expiry;
mod handle;
pub mod migrate_v11;
pub mod migrate_v3;
pub mod migrate_v6;
pub mod migrate_v7;
pub mod migrate_v8;
pub mod migrate_v9;
#[cfg(test)]
mod old_ciba_testing;
pub mod ops;
pub mod outbox;
mod outbox_record;
mod revoke_indexed;
pub mod revoked;
pub mod scan;
pub mod schema;

pub use crate::store::record::{Consumed, Consumption, Found, FreshId, Links, RecordMeta, StoredRecord};
pub use expiry::ExpirySweeper;
pub use handle::Repo;
pub use revoke_indexed::RevokedCount;
pub use revoked::{GrantRevocation, RevocationCause};
pub use schema::SchemaError;

#[cfg(test)]
mod tests;
