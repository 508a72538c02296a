//! `--verify`: the access tokens the OP acknowledged during a run are kept
//! (`kept.rs`, bounded) and introspected after it (`introspect.rs`, RFC
//! 7662 §2, bounded concurrency); the tally says how many are active,
//! inactive and failed to check. On a cluster sharing one store, a token
//! any node issued must be active on whichever node is asked.

mod introspect;
mod kept;
mod tally;

pub use introspect::{DEFAULT_CONCURRENCY, check};
pub use kept::{DEFAULT_MAX, EXPIRY_MARGIN, Kept, KeptToken};
pub use tally::{Checked, Verification};
