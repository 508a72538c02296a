//! Customer accounts as a managed component: `fiducia users import`,
//! `list`, `show`, `disable`, `enable`, `set-password`.
//!
//! | File | What |
//! |------|------|
//! | `line.rs` | One line of an import file: the record format, parsed and checked (OIDC Core §5.1, Identity Assurance Schema §5) |
//! | `phc.rs` | A brought argon2id hash (`password_hash`): parses, minimum cost (RFC 9106 §4) |
//! | `check.rs` | The whole file before anything is written: line numbers, duplicates, conflicts with stored accounts, the error bound |
//! | `writer.rs` | The write: passwords hashed in parallel on the hasher's threads, bounded transactions |
//! | `manage.rs` | Listing, showing, disabling (revoking every grant), enabling, setting a password |
//! | `cli.rs` | The `fiducia users` commands over the config's store |
//! | `service.rs` | The service the Config API's `/customers` calls: page, read, create, replace, disable, enable, delete with `If-Match` and the audit record in the change's transaction |
//! | `body.rs` | A Config API body into an import record: the import's checks, no clear password, no value in a problem |
//! | `view.rs` | A customer as the API shows it (no hash) and its ETag |
//! | `error.rs` | The service's refusals |
//!
//! An import is two phases: everything is read and checked first, against
//! the file and the store, and only a file without a single problem is
//! written. The write is a sequence of transactions of at most
//! [`writer::BATCH_RECORDS`] customers; if the process dies in the middle,
//! the batches committed stay and the others are not there. Running the
//! same file again is idempotent: an existing account with the same
//! username and `sub` is updated in place.

pub mod body;
pub mod check;
pub mod cli;
pub mod error;
pub mod line;
pub mod manage;
pub mod phc;
pub mod service;
pub mod view;
pub mod writer;

pub use error::{BodyProblem, CustomerError};
pub use service::ManagedCustomers;
pub use view::CustomerView;

#[cfg(test)]
mod tests;
