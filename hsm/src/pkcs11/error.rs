//! Errors of the PKCS#11 side, and which `CKR_*` codes mean "the session is
//! gone, open a new one".

use crate::signer::SignError;
use cryptoki::error::{Error as CkError, RvError};

/// What went wrong talking to the HSM. Never carries a PIN or key material.
#[derive(Debug, thiserror::Error)]
pub enum HsmError {
    /// The PKCS#11 library could not be loaded or initialised.
    #[error("PKCS#11 module {path}: {reason}")]
    Module {
        /// The module path.
        path: String,
        /// Why.
        reason: String,
    },
    /// No initialised token has this label.
    #[error("no initialised PKCS#11 token labelled `{0}`")]
    TokenNotFound(String),
    /// A PKCS#11 call failed.
    #[error("{function} failed: {code}")]
    Pkcs11 {
        /// The PKCS#11 function.
        function: &'static str,
        /// The `CKR_*` name.
        code: String,
        /// Whether opening a new session may cure it.
        session_fault: bool,
    },
    /// A key is not where, or not what, it should be.
    #[error("key {kid}: {reason}")]
    Key {
        /// The key id (RFC 7638 thumbprint).
        kid: String,
        /// What is wrong.
        reason: String,
    },
    /// A lifecycle transition the rules forbid.
    #[error("{0}")]
    Lifecycle(String),
}

impl HsmError {
    /// Wraps a cryptoki error from `function`.
    pub fn pkcs11(function: &'static str, error: &CkError) -> Self {
        Self::Pkcs11 {
            function,
            code: ckr_name(error),
            session_fault: is_session_fault(error),
        }
    }

    /// Whether opening a new session (and logging in again) may cure it.
    pub fn is_session_fault(&self) -> bool {
        matches!(
            self,
            Self::Pkcs11 {
                session_fault: true,
                ..
            }
        )
    }
}

impl From<HsmError> for SignError {
    fn from(e: HsmError) -> Self {
        match e {
            HsmError::Pkcs11 {
                session_fault: true, ..
            }
            | HsmError::Module { .. }
            | HsmError::TokenNotFound(_) => SignError::Unavailable(e.to_string()),
            _ => SignError::Failed(e.to_string()),
        }
    }
}

/// The return values after which a worker reopens its session (and logs in
/// again) and retries the request in flight once: the session or the login
/// is gone, or the device hiccupped.
pub fn is_session_fault(error: &CkError) -> bool {
    matches!(
        error,
        CkError::Pkcs11(
            RvError::SessionHandleInvalid
                | RvError::SessionClosed
                | RvError::DeviceError
                | RvError::DeviceRemoved
                | RvError::TokenNotPresent
                | RvError::UserNotLoggedIn,
            _
        )
    )
}

/// The return values that say a cached object handle no longer names an
/// object (PKCS#11 v2.40 base §5.1: `CKR_OBJECT_HANDLE_INVALID`,
/// `CKR_KEY_HANDLE_INVALID`): the token lost or reloaded its objects (its
/// storage went away, or came back with new handles). A worker then drops
/// its session and its cached handles, opens a new one and looks the key up
/// again, as after a session fault.
pub fn is_object_fault(error: &CkError) -> bool {
    matches!(
        error,
        CkError::Pkcs11(RvError::ObjectHandleInvalid | RvError::KeyHandleInvalid, _)
    )
}

/// `CKR_SESSION_CLOSED`-style name of an error, for logs and metrics labels.
pub fn ckr_name(error: &CkError) -> String {
    match error {
        CkError::Pkcs11(rv, _) => format!("CKR_{}", screaming_snake(&format!("{rv:?}"))),
        other => format!("{other}"),
    }
}

fn screaming_snake(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 8);
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use cryptoki::context::Function;

    #[test]
    fn session_faults_are_the_recoverable_ones() {
        let closed = CkError::Pkcs11(RvError::SessionClosed, Function::Sign);
        assert!(is_session_fault(&closed));
        assert_eq!(ckr_name(&closed), "CKR_SESSION_CLOSED");
        let bad_key = CkError::Pkcs11(RvError::KeyHandleInvalid, Function::SignInit);
        assert!(!is_session_fault(&bad_key));
        assert_eq!(ckr_name(&bad_key), "CKR_KEY_HANDLE_INVALID");
        let not_logged_in = CkError::Pkcs11(RvError::UserNotLoggedIn, Function::Sign);
        assert!(HsmError::pkcs11("C_Sign", &not_logged_in).is_session_fault());
    }
}
