//! Request budgets of registered clients: a default per trusted directory
//! (`requests_per_second` and `burst` in
//! `[[registration.trusted_directories]]`) and one per registered client
//! (`[[registration.client_limits]]`, by `client_id` or `software_id`).
//! Like `[[clients]]`' own: a token bucket of `burst` requests refilled at
//! `requests_per_second`, charged by PAR, token, introspection, revocation
//! and the protected resources; beyond it 429 with `Retry-After`
//! (RFC 6585 §4).
//!
//! ```toml
//! [[registration.trusted_directories]]
//! issuer = "sandbox-directory"
//! # ...
//! requests_per_second = 20
//! burst = 40
//!
//! [[registration.client_limits]]
//! software_id = "high-volume-aggregator"
//! requests_per_second = 500
//! burst = 1000
//! ```

use super::load::ConfigError;
use serde::{Deserialize, Serialize};

/// The budget of a registered client no entry names: `100` per second,
/// burst `200` (as `[[clients]]`).
pub const DEFAULT_REQUESTS_PER_SECOND: u32 = 100;
/// See [`DEFAULT_REQUESTS_PER_SECOND`].
pub const DEFAULT_BURST: u32 = 200;
/// Highest accepted rate or burst: far above any client, low enough that
/// a typo cannot switch the budget off.
pub const MAX_BUDGET: u32 = 1_000_000;

pub(super) fn default_requests_per_second() -> u32 {
    DEFAULT_REQUESTS_PER_SECOND
}

pub(super) fn default_burst() -> u32 {
    DEFAULT_BURST
}

/// One `[[registration.client_limits]]` entry: the budget of one registered
/// client, named by exactly one of `client_id` (that registration) and
/// `software_id` (every registration of that software, in any trusted
/// directory). A `client_id` entry wins over a `software_id` one, which
/// wins over the directory's default. No environment override: arrays of
/// tables live in the file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClientLimitConfig {
    /// The registered client's `client_id`. Default none.
    #[serde(default)]
    pub client_id: Option<String>,
    /// The software statement's `software_id`. Default none.
    #[serde(default)]
    pub software_id: Option<String>,
    /// Requests per second (1 to 1,000,000). Required.
    pub requests_per_second: u32,
    /// Bucket size, the burst above the rate (1 to 1,000,000). Required.
    pub burst: u32,
}

fn check_budget(field: impl Fn(&str) -> String, rate: u32, burst: u32) -> Result<(), ConfigError> {
    for (name, value) in [("requests_per_second", rate), ("burst", burst)] {
        if !(1..=MAX_BUDGET).contains(&value) {
            return Err(ConfigError::new(
                field(name),
                "registration",
                "must be between 1 and 1000000",
            ));
        }
    }
    Ok(())
}

/// Budgets in range (`directories`: each trusted directory's issuer, rate
/// and burst); each `client_limits` entry names one client or software,
/// and no two the same.
pub(super) fn check_registration_limits<'a>(
    directories: impl Iterator<Item = (&'a str, u32, u32)>,
    client_limits: &[ClientLimitConfig],
) -> Result<(), ConfigError> {
    for (issuer, rate, burst) in directories {
        check_budget(
            |name| format!("registration.trusted_directories.{issuer}.{name}"),
            rate,
            burst,
        )?;
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, limit) in client_limits.iter().enumerate() {
        let field = |name: &str| format!("registration.client_limits.{i}.{name}");
        let key = match (&limit.client_id, &limit.software_id) {
            (Some(id), None) if !id.is_empty() => ("client_id", id),
            (None, Some(id)) if !id.is_empty() => ("software_id", id),
            _ => {
                return Err(ConfigError::new(
                    field("client_id"),
                    "registration",
                    "exactly one of client_id and software_id, not empty",
                ));
            }
        };
        if !seen.insert(key) {
            return Err(ConfigError::new(
                field(key.0),
                "registration",
                "another entry names the same client or software",
            ));
        }
        check_budget(field, limit.requests_per_second, limit.burst)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load_from_str;

    fn check(text: &str) -> Result<(), String> {
        let config = load_from_str(text, Vec::new()).map_err(|e| e.field.clone())?;
        let r = &config.registration;
        check_registration_limits(
            r.trusted_directories
                .iter()
                .map(|d| (d.issuer.as_str(), d.requests_per_second, d.burst)),
            &r.client_limits,
        )
        .map_err(|e| e.field)
    }

    const DIRECTORY: &str =
        "[[registration.trusted_directories]]\nissuer = \"d1\"\njwks_uri = \"https://d1.example/jwks\"\n";

    /// Defaults 100/200 per directory; out-of-range budgets and ambiguous
    /// or duplicate client entries are refused, naming the field.
    #[test]
    fn budgets_are_in_range_and_entries_name_one_client() {
        let config = load_from_str(DIRECTORY, Vec::new()).unwrap();
        let d = &config.registration.trusted_directories[0];
        assert_eq!((d.requests_per_second, d.burst), (100, 200));
        assert_eq!(check(DIRECTORY), Ok(()));
        let limit = |body: &str| {
            format!("{DIRECTORY}[[registration.client_limits]]\n{body}requests_per_second = 5\nburst = 5\n")
        };
        assert_eq!(check(&limit("client_id = \"c\"\n")), Ok(()));
        assert_eq!(
            check(&format!("{DIRECTORY}requests_per_second = 0\n")),
            Err("registration.trusted_directories.d1.requests_per_second".into())
        );
        assert_eq!(
            check(&format!("{DIRECTORY}burst = 2000000\n")),
            Err("registration.trusted_directories.d1.burst".into())
        );
        assert_eq!(
            check(&limit("client_id = \"c\"\nsoftware_id = \"s\"\n")),
            Err("registration.client_limits.0.client_id".into())
        );
        assert_eq!(
            check(&limit("")),
            Err("registration.client_limits.0.client_id".into())
        );
        let twice = format!(
            "{}{}",
            limit("software_id = \"s\"\n"),
            limit("software_id = \"s\"\n").replace(DIRECTORY, "")
        );
        assert_eq!(
            check(&twice),
            Err("registration.client_limits.1.software_id".into())
        );
    }
}
