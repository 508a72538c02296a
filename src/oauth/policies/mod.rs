//! The OP's policies managed live (README "Config API", docs/ARCHITECTURE.md
//! "Policies managed live"): three sections of the live sections mechanism
//! (`oauth/live_sections`) that are one object each rather than a list,
//! read and replaced whole through `GET`/`PUT /policies/{name}`:
//!
//! - `tokens.rs`: `[tokens]`, every lifetime and `dpop_nonce`;
//! - `fapi.rs`: the OP-wide `[fapi]` profile, less `sender_constraints`
//!   (fixed at start-up);
//! - `registration.rs`: the registration policy, `[registration]` less
//!   `enabled`, `trusted_directories` and the sandbox-only switch;
//! - `validate.rs`: a `PUT` body checked one member at a time, each bad
//!   member one problem with the start-up check's message;
//! - `ops.rs`: read, replace (`If-Match`) and reset by policy name.
//!
//! The FAPI profile of one client is that client's `fapi_profile` member
//! and the budget of a `[[clients]]` client its `requests_per_second` and
//! `burst`: both changed through `/clients` (`oauth/managed_clients`).

pub mod budgets;
pub mod fapi;
pub mod ops;
pub mod registration;
pub mod tokens;
pub mod validate;

pub use fapi::FapiPolicy;
pub use ops::{PolicyName, PolicyView};
pub use registration::RegistrationPolicy;
pub use tokens::TokenPolicy;

use crate::oauth::live_sections::{FieldProblem, Section};

/// A policy: a [`Section`] replaced as one object, with the members of its
/// file table an operator may not change live.
pub trait Policy: Section {
    /// Members of the file's table the policy leaves out, each with why a
    /// change of it needs the file and a restart (or another resource).
    const FIXED: &'static [(&'static str, &'static str)];

    /// Rules a live value must keep against the file's (`file`): none
    /// unless the policy says so.
    fn file_problems(_file: &Self::Value, _after: &Self::Value) -> Vec<FieldProblem> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests;
