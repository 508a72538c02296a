//! The customers who may sign in on the device, with their passwords hashed
//! at start-up by the login service's argon2id hasher (`login::password`,
//! RFC 9106) and verified with the same constant work for unknown names.

use crate::config::{DeviceCustomer, LoginConfig};
use crate::login::PasswordHasher;
use crate::protocol::credentials::{MAX_PASSWORD_BYTES, normalize_username};
use std::collections::{HashMap, HashSet};

/// A signed-in customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    /// Normalized username.
    pub username: String,
    /// `sub` at the OP.
    pub account_id: String,
    /// Full name.
    pub name: String,
}

/// The device's customers.
pub struct Customers {
    hasher: PasswordHasher,
    by_username: HashMap<String, (Customer, String)>,
    accounts: HashSet<String>,
}

impl Customers {
    /// Hashes every customer's password (argon2id at the `[login]`
    /// defaults: OWASP's m = 19 MiB, t = 2).
    pub async fn new(customers: &[DeviceCustomer]) -> anyhow::Result<Self> {
        let hasher = PasswordHasher::from_config(&LoginConfig::default())?;
        let mut by_username = HashMap::new();
        for c in customers {
            let username = normalize_username(&c.username)?;
            let hash = hasher.hash(c.password.expose()).await?;
            let customer = Customer {
                username: username.clone(),
                account_id: c.account_id.clone(),
                name: c.name.clone(),
            };
            by_username.insert(username, (customer, hash));
        }
        let accounts = customers.iter().map(|c| c.account_id.clone()).collect();
        Ok(Self {
            hasher,
            by_username,
            accounts,
        })
    }

    /// The customer whose username and password these are; `None` for a
    /// wrong password and an unknown name alike (same work for both).
    pub async fn authenticate(&self, username: &str, password: &str) -> Option<Customer> {
        if password.len() > MAX_PASSWORD_BYTES {
            return None;
        }
        let entry = normalize_username(username)
            .ok()
            .and_then(|u| self.by_username.get(&u));
        let stored = entry.map(|(_, hash)| hash.as_str());
        match self.hasher.verify(stored, password).await {
            Ok(true) => entry.map(|(customer, _)| customer.clone()),
            Ok(false) => None,
            Err(error) => {
                tracing::warn!(%error, "device sign-in: password check failed");
                None
            }
        }
    }

    /// Whether `sub` is one of the customers.
    pub fn has_account(&self, sub: &str) -> bool {
        self.accounts.contains(sub)
    }
}
