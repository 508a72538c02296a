//! Opening a logged-in session on the configured token.

use super::context::{self, SessionCount};
use super::error::HsmError;
use super::pin::Pin;
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::session::{Session, UserType};
use std::path::PathBuf;

/// Which token, and how to log in to it.
#[derive(Debug, Clone)]
pub struct TokenConfig {
    /// Path of the PKCS#11 module (e.g. SoftHSM's `libsofthsm2.so`).
    pub module: PathBuf,
    /// Label of the token holding Fiducia's keys.
    pub token_label: String,
    /// The user PIN.
    pub pin: Pin,
}

impl TokenConfig {
    /// Opens a session and makes sure the application is logged in as the
    /// user (PKCS#11 v2.40 §5.6: the login state is shared by every session
    /// of the application, so `CKR_USER_ALREADY_LOGGED_IN` is success).
    pub fn open_session(&self, read_write: bool) -> Result<CountedSession, HsmError> {
        // Counted before the slot list is read, so that `context::reset`
        // never finalises the module under a session being opened.
        let count = SessionCount::new();
        let ctx = context::module(&self.module)?;
        let slot = context::find_token(&ctx, &self.token_label)?;
        let session = if read_write {
            ctx.open_rw_session(slot)
        } else {
            ctx.open_ro_session(slot)
        }
        .map_err(|e| HsmError::pkcs11("C_OpenSession", &e))?;
        match session.login(UserType::User, Some(&self.pin.auth_pin())) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(CountedSession {
                session,
                _count: count,
            }),
            Err(e) => Err(HsmError::pkcs11("C_Login", &e)),
        }
    }
}

/// An open session, counted while it lives (`context::reset` waits for
/// none to be open). Derefs to cryptoki's `Session`.
#[derive(Debug)]
pub struct CountedSession {
    // Field order: the session closes before the count drops.
    session: Session,
    _count: SessionCount,
}

impl std::ops::Deref for CountedSession {
    type Target = Session;
    fn deref(&self) -> &Session {
        &self.session
    }
}
