//! The sections managed live: one line per section. A section listed here
//! is in every node's snapshot (`snapshot.rs`), shown by `GET
//! /effective-config` with its source, and checked on every write with the
//! others in force.

use super::section::DynSection;

/// Every section managed live.
pub static SECTIONS: &[&dyn DynSection] = &[
    &super::section::Erased::<crate::oauth::policies::TokenPolicy>::new(),
    &super::section::Erased::<crate::oauth::policies::FapiPolicy>::new(),
    &super::section::Erased::<crate::oauth::policies::RegistrationPolicy>::new(),
];
