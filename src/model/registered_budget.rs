//! The request budget of a registered client (`[registration]`:
//! `config/registration_limits.rs`): its own `[[registration.client_limits]]`
//! entry by `client_id`, else one by `software_id`, else its directory's
//! `requests_per_second` and `burst`, else 100 per second, burst 200.
//! Resolved from the configuration as the node runs it: a [`BudgetSource`]
//! (the live registration policy's and directories', `oauth/policies/budgets.rs`,
//! or a fixed set); the registry also passes the directory's budget in
//! force with each lookup ([`RegisteredBudgets::budget_with`]).

use crate::config::RegistrationConfig;
use std::collections::HashMap;
use std::sync::Arc;

/// Where a client registry reads the budgets in force, at each lookup of
/// a registered client.
pub trait BudgetSource: Send + Sync {
    /// The budgets now.
    fn budgets(&self) -> Arc<RegisteredBudgets>;
}

/// A fixed set of budgets.
impl BudgetSource for Arc<RegisteredBudgets> {
    fn budgets(&self) -> Arc<RegisteredBudgets> {
        self.clone()
    }
}

/// A token bucket's size: `burst` requests refilled at `requests_per_second`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestBudget {
    /// Refill rate.
    pub requests_per_second: u32,
    /// Bucket size.
    pub burst: u32,
}

impl Default for RequestBudget {
    fn default() -> Self {
        Self {
            requests_per_second: crate::config::DEFAULT_REGISTERED_REQUESTS_PER_SECOND,
            burst: crate::config::DEFAULT_REGISTERED_BURST,
        }
    }
}

/// Every configured budget of registered clients.
#[derive(Debug, Clone, Default)]
pub struct RegisteredBudgets {
    by_directory: HashMap<String, RequestBudget>,
    by_client_id: HashMap<String, RequestBudget>,
    by_software_id: HashMap<String, RequestBudget>,
}

impl RegisteredBudgets {
    /// The budgets `registration` configures.
    pub fn from_config(registration: &RegistrationConfig) -> Self {
        let mut budgets = Self::default();
        for d in &registration.trusted_directories {
            budgets.by_directory.insert(
                d.issuer.clone(),
                RequestBudget {
                    requests_per_second: d.requests_per_second,
                    burst: d.burst,
                },
            );
        }
        for limit in &registration.client_limits {
            let budget = RequestBudget {
                requests_per_second: limit.requests_per_second,
                burst: limit.burst,
            };
            if let Some(id) = &limit.client_id {
                budgets.by_client_id.insert(id.clone(), budget);
            }
            if let Some(id) = &limit.software_id {
                budgets.by_software_id.insert(id.clone(), budget);
            }
        }
        budgets
    }

    /// The budget of registered client `client_id` of software
    /// `software_id` from directory `directory` (see the module documentation).
    pub fn budget(&self, client_id: &str, software_id: &str, directory: &str) -> RequestBudget {
        self.budget_with(client_id, software_id, directory, None)
    }

    /// [`Self::budget`] with the directory's budget in force
    /// (`live_directory`, when the directories change live) in place of the
    /// one read at start-up.
    pub fn budget_with(
        &self,
        client_id: &str,
        software_id: &str,
        directory: &str,
        live_directory: Option<RequestBudget>,
    ) -> RequestBudget {
        self.by_client_id
            .get(client_id)
            .or_else(|| self.by_software_id.get(software_id))
            .copied()
            .or(live_directory)
            .or_else(|| self.by_directory.get(directory).copied())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load_from_str;

    /// A client's own entry wins over its software's, which wins over its
    /// directory's, which wins over the default.
    #[test]
    fn the_most_specific_budget_wins() {
        let config = load_from_str(
            r#"
[registration]
[[registration.trusted_directories]]
issuer = "d1"
jwks_uri = "https://d1.example/jwks"
requests_per_second = 5
burst = 7
[[registration.client_limits]]
client_id = "c-1"
requests_per_second = 50
burst = 60
[[registration.client_limits]]
software_id = "s-1"
requests_per_second = 20
burst = 30
"#,
            Vec::new(),
        )
        .unwrap();
        let budgets = RegisteredBudgets::from_config(&config.registration);
        let b = |rate, burst| RequestBudget {
            requests_per_second: rate,
            burst,
        };
        assert_eq!(budgets.budget("c-1", "s-1", "d1"), b(50, 60));
        assert_eq!(budgets.budget("c-2", "s-1", "d1"), b(20, 30));
        assert_eq!(budgets.budget("c-2", "s-2", "d1"), b(5, 7));
        assert_eq!(budgets.budget("c-2", "s-2", "d2"), b(100, 200));
    }
}
