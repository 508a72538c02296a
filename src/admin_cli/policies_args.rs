//! The arguments of `fiducia admin policies ...` (`policies.rs` runs
//! them): a leaf file, so that `args.rs` names them without importing the
//! command's HTTP side.

use clap::Subcommand;
use std::path::PathBuf;

/// Policy operations.
#[derive(Debug, Subcommand)]
pub enum PoliciesOperation {
    /// Every policy with its value, source, revision and ETag.
    List,
    /// One policy.
    Get {
        /// tokens, fapi or registration.
        name: String,
    },
    /// Replace a policy whole from a JSON file: every member of its value.
    Update {
        /// tokens, fapi or registration.
        name: String,
        /// The JSON file.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        /// The ETag the change is based on (default: read it now).
        #[arg(long, value_name = "ETAG")]
        if_match: Option<String>,
    },
    /// Put the configuration file's value back in force.
    Reset {
        /// tokens, fapi or registration.
        name: String,
        /// The ETag the change is based on (default: read it now).
        #[arg(long, value_name = "ETAG")]
        if_match: Option<String>,
    },
}

impl PoliciesOperation {
    /// The scopes the operation needs (writes read the ETag first).
    pub(super) fn scope(&self) -> &'static str {
        match self {
            Self::List | Self::Get { .. } => "fiducia.config.read",
            Self::Update { .. } | Self::Reset { .. } => "fiducia.config.read fiducia.config.write",
        }
    }
}
