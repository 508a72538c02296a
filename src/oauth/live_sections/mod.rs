//! Configuration sections managed live: a section the file seeds
//! (`[[registration.trusted_directories]]`, `[[resource_servers]]`, ...)
//! that an operator changes through the Config API without a restart, on
//! every node sharing the store. docs/ARCHITECTURE.md "Sections managed
//! live" and README "Sections managed live" give the precedence: the file
//! seeds a section; once the store holds a document for it, the document
//! rules the whole section, until an operator resets it.
//!
//! - `section.rs`: the trait a section implements ([`Section`],
//!   [`ListSection`]) and its type-erased form;
//! - `registry.rs`: the sections managed live, one line each;
//! - `snapshot.rs`: each node's sections in an `ArcSwap`
//!   ([`LiveSections`]), what consumers read;
//! - `transaction.rs`: one write as one store transaction (document,
//!   generation, `config_changed` audit record), checked as at start-up;
//! - `validate.rs`: a written value's problems, one per field, with the
//!   start-up checks' messages;
//! - `list.rs`: a list section's item operations (create, update, delete
//!   with `If-Match`, reset to the file);
//! - `etag.rs`: the strong ETags of sections and items;
//! - `generation.rs`: the clients' and sections' generations in one read;
//! - `error.rs`: the refusals.

pub mod error;
pub mod etag;
pub mod generation;
pub mod list;
pub mod registry;
pub mod section;
pub mod snapshot;
pub mod transaction;
pub mod validate;

pub use error::SectionError;
pub use list::{ItemView, ListView};
pub use section::{FieldProblem, ListSection, Section};
pub use snapshot::{LiveSections, Source};
pub use transaction::{Current, Decision};

#[cfg(test)]
mod tests;
