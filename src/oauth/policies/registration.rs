//! The `registration` policy: the members of `[registration]` that rule
//! how registrations are checked and served, changeable live — the oldest
//! software statement accepted (`ssa_max_age_secs`), how often the
//! directories' status is checked (`status_check_interval_secs`) and the
//! request budgets of single registered clients (`client_limits`, by
//! `client_id` or `software_id`, over the directory's default:
//! `model/registered_budget.rs`). Each applies from the next request (the
//! next trust round for the interval).
//!
//! Fixed at start-up, refused with a problem each: `enabled` (serves the
//! registration endpoints and loads the directories' keys), the sandbox
//! switch `danger_allow_localhost_redirects` (loopback redirect URIs are
//! for sandboxes only, FAPI 2.0 SP §5.3.2.2; the file is where a sandbox
//! says so, with its start-up warning), and `trusted_directories`, whose
//! own budgets (`requests_per_second`, `burst`) and endpoints are a
//! directory's members, not this policy's.

use super::Policy;
use crate::config::{ClientLimitConfig, Config};
use crate::oauth::live_sections::Section;
use serde::{Deserialize, Serialize};

/// The members of `[registration]` managed live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationPolicyValue {
    /// `[registration] ssa_max_age_secs`.
    pub ssa_max_age_secs: u64,
    /// `[registration] status_check_interval_secs`.
    pub status_check_interval_secs: u64,
    /// `[[registration.client_limits]]`.
    pub client_limits: Vec<ClientLimitConfig>,
}

/// The registration policy managed live.
pub struct RegistrationPolicy;

impl Section for RegistrationPolicy {
    const NAME: &'static str = "registration";
    const PATH: &'static str = "registration";
    type Value = RegistrationPolicyValue;

    fn of(config: &Config) -> RegistrationPolicyValue {
        let r = &config.registration;
        RegistrationPolicyValue {
            ssa_max_age_secs: r.ssa_max_age_secs,
            status_check_interval_secs: r.status_check_interval_secs,
            client_limits: r.client_limits.clone(),
        }
    }

    fn set(config: &mut Config, value: RegistrationPolicyValue) {
        let r = &mut config.registration;
        r.ssa_max_age_secs = value.ssa_max_age_secs;
        r.status_check_interval_secs = value.status_check_interval_secs;
        r.client_limits = value.client_limits;
    }
}

impl Policy for RegistrationPolicy {
    const FIXED: &'static [(&'static str, &'static str)] = &[
        (
            "enabled",
            "fixed at start-up: it serves the registration endpoints and loads the trusted directories' keys; change it in the configuration file and restart",
        ),
        (
            "danger_allow_localhost_redirects",
            "fixed at start-up: loopback redirect URIs are for sandboxes only (FAPI 2.0 SP §5.3.2.2), set in the configuration file",
        ),
        (
            "trusted_directories",
            "not part of this policy: the trusted directories (their budgets and endpoints included) are their own section",
        ),
    ];
}
