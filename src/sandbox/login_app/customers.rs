//! The app's own customer table: the bank's customers with their
//! passwords (hashed at start-up by the login service's argon2id hasher,
//! RFC 9106, the same work for unknown names) and TOTP secrets (RFC 6238),
//! and each one's `sub` at the OP. A code's time step is used once per
//! customer (RFC 6238 §5.2), remembered here in memory: the app is one
//! process.

use crate::config::LoginConfig;
use crate::login::PasswordHasher;
use crate::protocol::credentials::{MAX_PASSWORD_BYTES, normalize_username};
use crate::protocol::totp;
use std::collections::HashMap;
use std::sync::Mutex;

/// A customer as the app's configuration holds them.
#[derive(Clone)]
pub struct AppCustomer {
    /// Username.
    pub username: String,
    /// Password (the sandbox's; a bank's app asks its own identity store).
    pub password: String,
    /// The customer's account id at the OP (`sub`).
    pub sub: String,
    /// Full name.
    pub name: String,
    /// The TOTP secret (raw bytes), when a factor is enrolled.
    pub totp_secret: Option<Vec<u8>>,
}

impl std::fmt::Debug for AppCustomer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCustomer")
            .field("username", &self.username)
            .field("sub", &self.sub)
            .finish_non_exhaustive()
    }
}

/// A customer who gave the right password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// Normalized username.
    pub username: String,
    /// `sub` at the OP.
    pub sub: String,
    /// Full name.
    pub name: String,
    /// Whether a second factor is enrolled.
    pub has_factor: bool,
}

/// How a presented code fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// Right and not used before (now it is).
    Accepted,
    /// Wrong, not six digits, or no factor.
    Wrong,
    /// A step this customer used already (RFC 6238 §5.2).
    Replayed,
}

struct Entry {
    customer: SignedIn,
    hash: String,
    totp_secret: Option<Vec<u8>>,
}

/// The table.
pub struct Customers {
    hasher: PasswordHasher,
    by_username: HashMap<String, Entry>,
    /// The last time step used, per username.
    used_steps: Mutex<HashMap<String, u64>>,
}

impl Customers {
    /// Hashes every customer's password (argon2id at the `[login]` defaults).
    pub async fn new(customers: &[AppCustomer]) -> anyhow::Result<Self> {
        let hasher = PasswordHasher::from_config(&LoginConfig::default())?;
        let mut by_username = HashMap::new();
        for c in customers {
            let username = normalize_username(&c.username)?;
            let hash = hasher.hash(&c.password).await?;
            let customer = SignedIn {
                username: username.clone(),
                sub: c.sub.clone(),
                name: c.name.clone(),
                has_factor: c.totp_secret.is_some(),
            };
            by_username.insert(
                username,
                Entry {
                    customer,
                    hash,
                    totp_secret: c.totp_secret.clone(),
                },
            );
        }
        Ok(Self {
            hasher,
            by_username,
            used_steps: Mutex::new(HashMap::new()),
        })
    }

    /// The customer whose username and password these are; `None` for a
    /// wrong password and an unknown name alike.
    pub async fn authenticate(&self, username: &str, password: &str) -> Option<SignedIn> {
        if password.len() > MAX_PASSWORD_BYTES {
            return None;
        }
        let entry = normalize_username(username)
            .ok()
            .and_then(|u| self.by_username.get(&u));
        let stored = entry.map(|e| e.hash.as_str());
        match self.hasher.verify(stored, password).await {
            Ok(true) => entry.map(|e| e.customer.clone()),
            Ok(false) => None,
            Err(error) => {
                tracing::warn!(%error, "sandbox login app: password check failed");
                None
            }
        }
    }

    /// Checks `code` for `username` at `now` (RFC 6238 §5.2: ±1 step) and
    /// marks its step used: a step at or before the last one used is
    /// refused.
    pub fn check_code(&self, username: &str, code: &str, now: u64) -> Code {
        let Some(secret) = self
            .by_username
            .get(username)
            .and_then(|e| e.totp_secret.as_deref())
        else {
            return Code::Wrong;
        };
        let Some(step) = totp::verify(secret, code.trim(), now) else {
            return Code::Wrong;
        };
        let mut used = self.used_steps.lock().unwrap_or_else(|p| p.into_inner());
        match used.get(username) {
            Some(last) if *last >= step => Code::Replayed,
            _ => {
                used.insert(username.to_string(), step);
                Code::Accepted
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> AppCustomer {
        AppCustomer {
            username: "alice".into(),
            password: "wonderland-123".into(),
            sub: "sandbox-alice".into(),
            name: "Alice".into(),
            totp_secret: Some(b"12345678901234567890".to_vec()),
        }
    }

    #[tokio::test]
    async fn passwords_and_codes_are_checked_and_a_code_works_once_rfc6238_s5_2() {
        let customers = Customers::new(&[alice()]).await.unwrap();
        assert!(customers.authenticate("alice", "nope").await.is_none());
        assert!(
            customers
                .authenticate("mallory", "wonderland-123")
                .await
                .is_none()
        );
        let signed_in = customers.authenticate("Alice", "wonderland-123").await.unwrap();
        assert_eq!(signed_in.sub, "sandbox-alice");
        assert!(signed_in.has_factor);
        let now = 1_700_000_000;
        let code = totp::code_at(b"12345678901234567890", now);
        assert_eq!(customers.check_code("alice", "000000x", now), Code::Wrong);
        assert_eq!(customers.check_code("alice", &code, now), Code::Accepted);
        assert_eq!(customers.check_code("alice", &code, now), Code::Replayed);
        let earlier = totp::code_at(b"12345678901234567890", now - 30);
        assert_eq!(customers.check_code("alice", &earlier, now), Code::Replayed);
        assert_eq!(customers.check_code("bob", &code, now), Code::Wrong);
    }
}
