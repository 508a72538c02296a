//! The clients resource's domain, below HTTP: what the Config API's
//! `clients` routes call. [`ManagedClients`] lists, reads, creates,
//! updates (`If-Match`), disables, enables and deletes static, stored and
//! registered clients (a registered client's metadata stays RFC 7592's),
//! with typed errors ([`ManagedClientError`]) the API maps to HTTP.
//!
//! - `handle.rs`: the service's parts and its read of one client id;
//! - `service.rs`: the operations;
//! - `transaction.rs`: one write as one store transaction (document,
//!   generation, `config_changed` audit record) and the `If-Match` check;
//! - `metadata.rs`: a body into a `[[clients]]` entry, every problem by
//!   member, never echoing a value;
//! - `view.rs`: a client as shown (source, state, revision, ETag) and the
//!   `If-Match` comparison (RFC 9110 §13.1.1);
//! - `changes.rs`: the member names a change touched;
//! - `watch.rs`: each node's poll of the store's generation;
//! - `error.rs`: the refusals.

pub mod changes;
pub mod error;
mod handle;
pub mod metadata;
pub mod service;
mod transaction;
pub mod view;
pub mod watch;

pub use error::{FieldProblem, ManagedClientError};
pub use handle::ManagedClients;
pub use view::{ClientSource, ClientState, ClientView};

#[cfg(test)]
mod tests;
