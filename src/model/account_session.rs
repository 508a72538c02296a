//! A customer's session at the consent dashboard (`/account/consents`):
//! stored under the `session` kind beside the upstream logins
//! (`model/upstream_login.rs`), keyed by [`store_id`] of the session
//! cookie's value, of which the store keeps only the SHA-256
//! (`Kind::id_key`), so the cookie is never stored. The `account-session`
//! prefix and its NUL keep the dashboard's ids apart from the upstream
//! login's `state`s (random base64url, never a NUL): neither reads the
//! other's records. Linked to the customer, so disabling or deleting the
//! account deletes it (`store/repo/by_account.rs`). It expires after
//! `[login] session_ttl_secs` without use, and [`MAX_LIFETIME_SECS`] after
//! the sign-in whatever the use.

use crate::store::keys::Kind;
use crate::store::record::{Links, StoredRecord};
use serde::{Deserialize, Serialize};

/// The longest a dashboard session lives from its sign-in, used or not.
/// (`[login] session_ttl_secs`, the idle lifetime, is at most this.)
pub const MAX_LIFETIME_SECS: u64 = crate::config::MAX_SESSION_TTL_SECS;

/// Where the sign-in stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountSessionStage {
    /// The password was right; the customer has a second factor and must
    /// give a code before seeing anything (PSD2 RTS Art. 4).
    AwaitingCode,
    /// Signed in: the dashboard may be shown and used.
    SignedIn,
}

/// One dashboard session.
///
/// Stored with bincode: add fields only with a schema migration.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSession {
    /// The customer (the `sub` the OP issues).
    pub account_id: String,
    /// The token of the dashboard's forms (RFC 6749 §10.12, OWASP's
    /// synchronizer token): posted back with every form and compared
    /// with this copy; never a credential by itself.
    pub csrf: String,
    /// Where the sign-in stands.
    pub stage: AccountSessionStage,
    /// When the password was accepted, Unix seconds: the absolute
    /// lifetime counts from here.
    pub started: u64,
    /// RFC 8176 methods used so far (`pwd`, then `otp`).
    pub amr: Vec<String>,
}

impl std::fmt::Debug for AccountSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The form token is left out of logs.
        f.debug_struct("AccountSession")
            .field("account_id", &self.account_id)
            .field("stage", &self.stage)
            .field("started", &self.started)
            .finish_non_exhaustive()
    }
}

impl AccountSession {
    /// Seconds it is kept from `now`: `idle_secs`, but never past
    /// [`MAX_LIFETIME_SECS`] after its start (0: over).
    pub fn ttl(&self, idle_secs: u64, now: u64) -> u64 {
        let end = self.started.saturating_add(MAX_LIFETIME_SECS);
        idle_secs.min(end.saturating_sub(now))
    }
}

/// The record id of the session whose cookie value is `token`.
pub fn store_id(token: &str) -> String {
    format!("account-session\u{0}{token}")
}

impl StoredRecord for AccountSession {
    const KIND: Kind = Kind::Session;
    fn links(&self) -> Links {
        Links {
            account_id: Some(self.account_id.clone()),
            ..Links::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(started: u64) -> AccountSession {
        AccountSession {
            account_id: "acc-1".into(),
            csrf: "t".into(),
            stage: AccountSessionStage::SignedIn,
            started,
            amr: vec!["pwd".into()],
        }
    }

    /// PSD2 RTS Art. 4(3)(d): idle for at most the configured time, and
    /// never beyond the absolute bound from the sign-in.
    #[test]
    fn the_lifetime_is_idle_capped_by_the_absolute_bound() {
        assert_eq!(session(1_000).ttl(300, 1_000), 300);
        assert_eq!(session(1_000).ttl(300, 1_000 + MAX_LIFETIME_SECS - 10), 10);
        assert_eq!(session(1_000).ttl(300, 1_000 + MAX_LIFETIME_SECS + 5), 0);
    }

    #[test]
    fn ids_are_apart_from_other_session_records() {
        assert_eq!(store_id("abc"), "account-session\u{0}abc");
        assert!(!format!("{:?}", session(1)).contains("csrf"));
    }
}
