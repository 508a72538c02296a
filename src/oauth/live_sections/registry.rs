//! The sections managed live: one line per section. A section listed here
//! is in every node's snapshot (`snapshot.rs`), shown by `GET
//! /effective-config` with its source, and checked on every write with the
//! others in force.

use super::resource_servers::ResourceServers;
use super::section::{DynSection, Erased};
use super::trusted_directories::TrustedDirectories;

/// Every section managed live.
pub static SECTIONS: &[&dyn DynSection] = &[
    &Erased::<TrustedDirectories>::new(),
    &Erased::<ResourceServers>::new(),
    &Erased::<crate::oauth::policies::TokenPolicy>::new(),
    &Erased::<crate::oauth::policies::FapiPolicy>::new(),
    &Erased::<crate::oauth::policies::RegistrationPolicy>::new(),
];
