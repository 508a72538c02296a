//! Errors of the development PKI. Every message names the file or field concerned.

use std::path::PathBuf;

/// Why a PKI operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    /// A file that would be written already exists and overwriting was not requested.
    #[error("{} already exists; refusing to overwrite it (use --force to replace it)", .path.display())]
    AlreadyExists {
        /// The existing file.
        path: PathBuf,
    },
    /// A filesystem operation failed.
    #[error("cannot {action} {}: {source}", .path.display())]
    Io {
        /// What was being done ("read", "create", ...).
        action: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file exists but its content is unusable (not PEM, wrong key, not a CA, ...).
    #[error("{}: {reason}", .path.display())]
    InvalidFile {
        /// The file concerned.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A field of a certificate request (client spec, SAN, ...) is invalid.
    #[error("invalid {field} {value:?}: {reason}")]
    InvalidField {
        /// The field name as the user spells it (`software_id`, `c`, `server SAN`, ...).
        field: &'static str,
        /// The offending value.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `--client` specification string could not be parsed.
    #[error("invalid client certificate spec {input:?}: {reason}")]
    InvalidClientSpec {
        /// The specification as given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Key generation or certificate signing failed.
    #[error("cannot generate {what}: {source}")]
    Generate {
        /// The key or certificate being generated.
        what: String,
        /// The underlying rcgen error.
        #[source]
        source: rcgen::Error,
    },
    /// The system random number generator failed.
    #[error("system random number generator failed while generating a {what}")]
    Random {
        /// What the randomness was for.
        what: &'static str,
    },
}

impl PkiError {
    pub(super) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }

    pub(super) fn invalid_file(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Self::InvalidFile {
            path: path.into(),
            reason: reason.into(),
        }
    }

    pub(super) fn invalid_field(
        field: &'static str,
        value: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self::InvalidField {
            field,
            value: value.into(),
            reason: reason.into(),
        }
    }

    pub(super) fn generate(what: impl Into<String>, source: rcgen::Error) -> Self {
        Self::Generate {
            what: what.into(),
            source,
        }
    }
}
