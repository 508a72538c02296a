//! Why a distinguished name could not be read.

/// A DN could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DnError {
    /// The RFC 4514 string is malformed.
    #[error("invalid RFC 4514 distinguished name: {0}")]
    Syntax(&'static str),
    /// The certificate is not DER X.509, or its subject cannot be read.
    #[error("unreadable certificate subject")]
    Certificate,
}
