//! What can go wrong in login and consent (STYLE.md §5: the detailed reason
//! here, for logs; [`LoginError::user_message`] is what a page may show).

use crate::protocol::credentials::CredentialError;
use crate::store::kv::KvError;

/// Why a login or consent step failed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// A required form field is missing or empty (RFC 6749 §3.1: an empty
    /// value counts as omitted).
    #[error("missing form field `{0}`")]
    MissingField(&'static str),
    /// A form field is longer than this service accepts.
    #[error("form field `{0}` is too long")]
    FieldTooLong(&'static str),
    /// `decision` is neither `approve` nor `deny`.
    #[error("`decision` must be `approve` or `deny`")]
    InvalidDecision,
    /// The CSRF token is missing or does not match (RFC 6749 §10.12).
    #[error("CSRF token missing or mismatched")]
    CsrfMismatch,
    /// A username that is empty after trimming, too long, or holds control
    /// characters.
    #[error("invalid username: {0}")]
    InvalidUsername(&'static str),
    /// An account id that cannot be an OIDC `sub` (OIDC Core §2).
    #[error("invalid account id: must be 1 to 255 printable ASCII characters without spaces")]
    InvalidAccountId,
    /// The username is taken by another account, or the account id by
    /// another username.
    #[error("{0}")]
    AccountConflict(String),
    /// The argon2 parameters or a stored hash are unusable.
    #[error("password hashing: {0}")]
    Hashing(String),
    /// The system random generator failed.
    #[error("random generator failed")]
    Random,
    /// The blocking hashing task panicked or was cancelled.
    #[error("password hashing task failed: {0}")]
    Worker(String),
    /// The password-hashing queue is full (`login.argon2_queue_depth`): the
    /// caller answers 503 with `Retry-After`.
    #[error("the password-hashing queue is full")]
    Overloaded,
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] KvError),
}

impl From<CredentialError> for LoginError {
    fn from(e: CredentialError) -> Self {
        match e {
            CredentialError::InvalidUsername(why) => Self::InvalidUsername(why),
            CredentialError::InvalidAccountId => Self::InvalidAccountId,
        }
    }
}

impl LoginError {
    /// Whether the browser sent something wrong (a form to show again or an
    /// error page), as opposed to a failure on our side.
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            Self::MissingField(_)
                | Self::FieldTooLong(_)
                | Self::InvalidDecision
                | Self::CsrfMismatch
                | Self::InvalidUsername(_)
        )
    }

    /// A sentence safe to show the customer: no internals, no hint whether
    /// an account exists.
    pub fn user_message(&self) -> &'static str {
        match self {
            Self::MissingField(_) | Self::InvalidUsername(_) => "Enter your username and password.",
            Self::FieldTooLong(_) => "What you entered is too long.",
            Self::InvalidDecision => "Choose Approve or Deny.",
            Self::CsrfMismatch => "This form has expired. Go back to the application and start again.",
            Self::InvalidAccountId
            | Self::AccountConflict(_)
            | Self::Hashing(_)
            | Self::Random
            | Self::Worker(_)
            | Self::Store(_) => "Something went wrong on our side. Please try again later.",
            Self::Overloaded => "We are very busy just now. Please try again in a moment.",
        }
    }
}
