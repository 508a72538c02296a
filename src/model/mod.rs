//! The OP's nouns: clients, sender constraints, and the records the flows
//! keep in the store (each a `StoredRecord` of its kind).

pub mod account_session;
pub mod authentication;
pub mod binding;
pub mod ciba;
pub mod client;
pub mod client_document;
pub mod grant_merge;
pub mod grant_update;
pub mod records;
pub mod registered;
pub mod registered_budget;
pub mod revocation_notice;
pub mod section_document;
pub mod trust_lease;
pub mod upstream_login;

pub use binding::Binding;
pub use client::{Client, ClientCiba};
