//! `[login]`: the built-in login and consent service (see `login/mod.rs`).
//!
//! The argon2id defaults are OWASP's Password Storage Cheat Sheet minimum
//! (m = 19 MiB, t = 2, p = 1). RFC 9106 §4 recommends more (t = 1, p = 4,
//! m = 2 GiB, or t = 3, p = 4, m = 64 MiB) where the hardware allows; raise
//! the memory when login latency and the host's memory permit. `check_login`
//! refuses settings weaker than OWASP's weakest listed configuration.

use super::seed_users::SeedUser;
use serde::{Deserialize, Serialize};

/// `[login]`: password hashing, session and interaction lifetimes, sandbox users.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoginConfig {
    /// argon2id memory cost in KiB (RFC 9106 §3.1 `m`). Default `19456`
    /// (19 MiB, OWASP). Env `FIDUCIA_LOGIN__ARGON2_MEMORY_KIB`.
    pub argon2_memory_kib: u32,
    /// argon2id passes over the memory (RFC 9106 §3.1 `t`). Default `2`
    /// (OWASP). Env `FIDUCIA_LOGIN__ARGON2_ITERATIONS`.
    pub argon2_iterations: u32,
    /// argon2id lanes (RFC 9106 §3.1 `p`). This build computes lanes one
    /// after the other, so more lanes cost more time, not more threads.
    /// Default `1` (OWASP). Env `FIDUCIA_LOGIN__ARGON2_PARALLELISM`.
    pub argon2_parallelism: u32,
    /// Password hashes computed at once, each on a hashing thread of its
    /// own (`argon2-N`); further logins wait their turn, so a flood of
    /// logins cannot take more than this many times `argon2_memory_kib` of
    /// memory. `0`: one per CPU. Default `0`.
    /// Env `FIDUCIA_LOGIN__ARGON2_MAX_CONCURRENT`.
    pub argon2_max_concurrent: usize,
    /// Password hashes that may wait for a hashing thread; one more is
    /// refused at once with 503 and `Retry-After` instead of queueing
    /// without bound (1 to 65536). Default `128`.
    /// Env `FIDUCIA_LOGIN__ARGON2_QUEUE_DEPTH`.
    pub argon2_queue_depth: usize,
    /// Failed logins of one username within `failure_window_secs` after
    /// which the username is locked for `lockout_secs` (OWASP
    /// Authentication Cheat Sheet, "Account Lockout"; NIST SP 800-63B
    /// §5.2.2 allows at most 100). Counted in the store, so across nodes;
    /// unknown usernames are counted alike. Default `5`.
    /// Env `FIDUCIA_LOGIN__MAX_FAILURES_PER_ACCOUNT`.
    pub max_failures_per_account: u32,
    /// Failed logins from one client address (the TCP peer, or the address
    /// a `server.trusted_proxies` proxy forwards; an IPv6 address counts by
    /// its /64) within `failure_window_secs` after which the address is
    /// locked for `lockout_secs`: password spraying across usernames.
    /// Default `100`. Env `FIDUCIA_LOGIN__MAX_FAILURES_PER_ADDRESS`.
    pub max_failures_per_address: u32,
    /// Failed logins within one authorization interaction after which it
    /// takes no more passwords (the customer starts again at the fintech).
    /// Default `10`. Env `FIDUCIA_LOGIN__MAX_FAILURES_PER_INTERACTION`.
    pub max_failures_per_interaction: u32,
    /// How long failures are counted from the first one, in seconds
    /// (1 to 86400). Default `900`. Env `FIDUCIA_LOGIN__FAILURE_WINDOW_SECS`.
    pub failure_window_secs: u64,
    /// How long a lock-out lasts, in seconds (1 to 86400). While locked, a
    /// login is refused without checking the password, right or wrong.
    /// Default `900`. Env `FIDUCIA_LOGIN__LOCKOUT_SECS`.
    pub lockout_secs: u64,
    /// Idle lifetime of a customer's session at the consent dashboard
    /// (`/account/consents`) in seconds (1 to 1800): each page or form
    /// used starts it again; the session ends 30 minutes after its sign-in
    /// whatever the use (`model/account_session.rs`). Default `300` (the
    /// PSD2 RTS on SCA, Art. 4(3)(d), ends online banking sessions after at
    /// most 5 minutes of inactivity). Env `FIDUCIA_LOGIN__SESSION_TTL_SECS`.
    pub session_ttl_secs: u64,
    /// Time a customer has to finish login and consent for one authorization
    /// request, in seconds. Default `600`. Env `FIDUCIA_LOGIN__INTERACTION_TTL_SECS`.
    pub interaction_ttl_secs: u64,
    /// The interaction app (a `[[resource_servers]]` id with an
    /// `interaction_login_url`) that runs the login and consent of every
    /// client without an `interaction_app` of its own (registered clients
    /// included). Default none: the built-in pages.
    /// Env `FIDUCIA_LOGIN__INTERACTION_APP`.
    pub interaction_app: Option<String>,
    /// Lifetime of an interaction handed to an interaction app, in seconds
    /// (1 to 3600): the interaction id, the browser cookie and everything
    /// the app reports expire with it. Default `300`.
    /// Env `FIDUCIA_LOGIN__INTERACTION_APP_TTL_SECS`.
    pub interaction_app_ttl_secs: u64,
    /// Users created (or updated) in the store at start-up. For sandboxes and
    /// tests only: production never puts passwords in the configuration; its
    /// users come from the bank's own systems. Default empty.
    /// Env `FIDUCIA_LOGIN__SEED_USERS` (a TOML array of inline tables).
    pub seed_users: Vec<SeedUser>,
    /// Lifts OWASP's argon2id minimums (7 MiB, 7 MiB × 5 passes), leaving
    /// only RFC 9106's (8 KiB per lane, one pass), so that a load test can
    /// measure the OP rather than the password hash. Never in production:
    /// such hashes fall to offline guessing. Start-up warns when it is on.
    /// Default `false`. Env `FIDUCIA_LOGIN__DANGER_WEAK_PASSWORD_HASHING`.
    pub danger_weak_password_hashing: bool,
    /// `[login.totp]`: the second factor (TOTP, RFC 6238) and strong
    /// customer authentication (`config/totp.rs`).
    pub totp: super::TotpConfig,
    /// `[login.upstream]`: the bank's own OpenID Provider the login is
    /// delegated to (`config/upstream.rs`). Default none.
    pub upstream: Option<super::UpstreamLoginConfig>,
}

impl Default for LoginConfig {
    fn default() -> Self {
        Self {
            argon2_memory_kib: 19 * 1024,
            argon2_iterations: 2,
            argon2_parallelism: 1,
            argon2_max_concurrent: 0,
            argon2_queue_depth: 128,
            max_failures_per_account: 5,
            max_failures_per_address: 100,
            max_failures_per_interaction: 10,
            failure_window_secs: 900,
            lockout_secs: 900,
            session_ttl_secs: 300,
            interaction_ttl_secs: 600,
            interaction_app: None,
            interaction_app_ttl_secs: 300,
            seed_users: Vec::new(),
            danger_weak_password_hashing: false,
            totp: super::TotpConfig::default(),
            upstream: None,
        }
    }
}

/// The smallest memory × passes product accepted, in KiB: OWASP's weakest
/// listed argon2id setting, m = 7 MiB with t = 5 (its others, 9 MiB × 4,
/// 12 MiB × 3, 19 MiB × 2, 46 MiB × 1, all cost at least as much).
pub const ARGON2_MIN_WORK_KIB: u64 = 7168 * 5;
/// The smallest memory accepted, in KiB (OWASP's smallest, 7 MiB).
pub const ARGON2_MIN_MEMORY_KIB: u32 = 7168;
/// The largest memory accepted, in KiB: 2 GiB, RFC 9106 §4's first
/// recommended setting; beyond it a few concurrent logins exhaust a host.
pub const ARGON2_MAX_MEMORY_KIB: u32 = 2 * 1024 * 1024;
/// The most passes or lanes accepted.
pub const ARGON2_MAX_PASSES_OR_LANES: u32 = 16;
/// The deepest hashing queue accepted.
pub const ARGON2_MAX_QUEUE_DEPTH: usize = 65_536;
/// The longest idle lifetime of a dashboard session accepted, in seconds:
/// its absolute lifetime (`model::account_session::MAX_LIFETIME_SECS`).
pub const MAX_SESSION_TTL_SECS: u64 = 1800;
/// The longest failure window or lock-out accepted, in seconds (a day).
pub const MAX_LOCKOUT_SECS: u64 = 86_400;
/// The most failures a limit may allow (NIST SP 800-63B §5.2.2: at most
/// 100 consecutive failed attempts on one account).
pub const MAX_FAILURES: u32 = 100;

impl LoginConfig {
    /// What `check_login` refuses, as (field, message): argon2 cost outside
    /// the bounds above, a zero lifetime, a malformed or duplicate seed user.
    pub(crate) fn problem(&self) -> Option<(String, String)> {
        self.argon2_problem()
            .or_else(|| self.lifetime_problem())
            .or_else(|| self.throttle_problem())
            .or_else(|| self.totp.problem())
            .or_else(|| {
                self.upstream
                    .as_ref()
                    .and_then(super::UpstreamLoginConfig::problem)
            })
            .or_else(|| {
                (0..self.seed_users.len()).find_map(|i| super::seed_users::problem(&self.seed_users, i))
            })
    }

    fn argon2_problem(&self) -> Option<(String, String)> {
        let (m, t, p) = (
            self.argon2_memory_kib,
            self.argon2_iterations,
            self.argon2_parallelism,
        );
        let field = |name: &str, message: String| Some((format!("login.{name}"), message));
        let max = ARGON2_MAX_PASSES_OR_LANES;
        if !(1..=max).contains(&p) {
            return field("argon2_parallelism", format!("must be between 1 and {max}"));
        }
        if !(1..=max).contains(&t) {
            return field("argon2_iterations", format!("must be between 1 and {max}"));
        }
        // RFC 9106 §3.1: at least 8 KiB per lane; OWASP's 7 MiB unless lifted.
        let min_memory = if self.danger_weak_password_hashing {
            8 * p
        } else {
            ARGON2_MIN_MEMORY_KIB.max(8 * p)
        };
        if m < min_memory || m > ARGON2_MAX_MEMORY_KIB {
            return field(
                "argon2_memory_kib",
                format!(
                    "must be between {min_memory} and {ARGON2_MAX_MEMORY_KIB} KiB (OWASP minimum 7 MiB unless login.danger_weak_password_hashing; 8 KiB per lane)"
                ),
            );
        }
        if !self.danger_weak_password_hashing && u64::from(m) * u64::from(t) < ARGON2_MIN_WORK_KIB {
            return field(
                "argon2_iterations",
                format!(
                    "argon2_memory_kib × argon2_iterations = {} is below OWASP's weakest setting (7168 KiB × 5 = {ARGON2_MIN_WORK_KIB}); raise either",
                    u64::from(m) * u64::from(t)
                ),
            );
        }
        None
    }

    fn throttle_problem(&self) -> Option<(String, String)> {
        let field = |name: &str, message: String| Some((format!("login.{name}"), message));
        if !(1..=ARGON2_MAX_QUEUE_DEPTH).contains(&self.argon2_queue_depth) {
            return field(
                "argon2_queue_depth",
                format!("must be between 1 and {ARGON2_MAX_QUEUE_DEPTH}"),
            );
        }
        let limits = [
            ("max_failures_per_account", self.max_failures_per_account),
            ("max_failures_per_address", self.max_failures_per_address),
            ("max_failures_per_interaction", self.max_failures_per_interaction),
        ];
        if let Some((name, _)) = limits.iter().find(|(_, v)| !(1..=MAX_FAILURES).contains(v)) {
            return field(name, format!("must be between 1 and {MAX_FAILURES}"));
        }
        [
            ("failure_window_secs", self.failure_window_secs),
            ("lockout_secs", self.lockout_secs),
        ]
        .into_iter()
        .find(|(_, v)| !(1..=MAX_LOCKOUT_SECS).contains(v))
        .and_then(|(name, _)| field(name, format!("must be between 1 and {MAX_LOCKOUT_SECS} seconds")))
    }

    fn lifetime_problem(&self) -> Option<(String, String)> {
        if self.session_ttl_secs > MAX_SESSION_TTL_SECS {
            return Some((
                "login.session_ttl_secs".to_owned(),
                format!("must be at most {MAX_SESSION_TTL_SECS} (the dashboard session's absolute lifetime)"),
            ));
        }
        [
            ("login.session_ttl_secs", self.session_ttl_secs),
            ("login.interaction_ttl_secs", self.interaction_ttl_secs),
        ]
        .into_iter()
        .find(|(_, v)| *v == 0)
        .map(|(field, _)| (field.to_owned(), "must be positive".to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{ConfigError, ValidatedConfig, load_from_str, validate};
    use std::path::Path;

    const DEV: &str = "[tls]\ndev_generate = true\n[signing]\nbackend = \"software\"\n";

    fn validated(login: &str) -> Result<ValidatedConfig, ConfigError> {
        let config = load_from_str(&format!("{DEV}[login]\n{login}"), Vec::new())?;
        validate(config, Path::new("/etc/fiducia"))
    }

    fn refused(login: &str) -> (String, &'static str) {
        let err = validated(login).unwrap_err();
        (err.field, err.check)
    }

    const SEED: &str = "username = \"alice\"\npassword = \"pw\"\naccount_id = \"acc-1\"\nname = \"Alice\"\nemail = \"alice@example.com\"\n";

    #[test]
    fn defaults_are_owasp_and_pass() {
        let v = validated("").unwrap();
        let login = &v.get().login;
        assert_eq!(
            (
                login.argon2_memory_kib,
                login.argon2_iterations,
                login.argon2_parallelism
            ),
            (19456, 2, 1)
        );
        assert_eq!(login.interaction_ttl_secs, 600);
        assert!(login.seed_users.is_empty());
    }

    #[test]
    fn argon2_below_owasp_or_out_of_bounds_is_refused() {
        assert_eq!(
            refused("argon2_memory_kib = 64\n"),
            ("login.argon2_memory_kib".into(), "login")
        );
        assert_eq!(
            refused("argon2_memory_kib = 7168\nargon2_iterations = 4\n").0,
            "login.argon2_iterations"
        );
        assert!(validated("argon2_memory_kib = 7168\nargon2_iterations = 5\n").is_ok());
        assert!(validated("argon2_memory_kib = 47104\nargon2_iterations = 1\n").is_ok());
        assert_eq!(refused("argon2_parallelism = 0\n").0, "login.argon2_parallelism");
        assert_eq!(refused("argon2_iterations = 17\n").0, "login.argon2_iterations");
        assert_eq!(
            refused("argon2_memory_kib = 4194304\n").0,
            "login.argon2_memory_kib"
        );
        assert_eq!(refused("session_ttl_secs = 0\n").0, "login.session_ttl_secs");
        // The dashboard's idle lifetime stays within its absolute one.
        assert_eq!(refused("session_ttl_secs = 1801\n").0, "login.session_ttl_secs");
        assert!(validated("session_ttl_secs = 1800\n").is_ok());
    }

    /// The throttle's bounds: a queue of at least one place, 1 to 100
    /// failures (NIST SP 800-63B §5.2.2), windows and lock-outs of at
    /// most a day.
    #[test]
    fn throttle_settings_are_bounded() {
        let v = validated("").unwrap();
        let login = &v.get().login;
        assert_eq!(
            (
                login.argon2_queue_depth,
                login.max_failures_per_account,
                login.max_failures_per_address,
                login.max_failures_per_interaction,
                login.failure_window_secs,
                login.lockout_secs
            ),
            (128, 5, 100, 10, 900, 900)
        );
        for (bad, field) in [
            ("argon2_queue_depth = 0", "argon2_queue_depth"),
            ("max_failures_per_account = 0", "max_failures_per_account"),
            ("max_failures_per_address = 101", "max_failures_per_address"),
            ("max_failures_per_interaction = 0", "max_failures_per_interaction"),
            ("failure_window_secs = 0", "failure_window_secs"),
            ("lockout_secs = 86401", "lockout_secs"),
        ] {
            assert_eq!(refused(&format!("{bad}\n")), (format!("login.{field}"), "login"));
        }
    }

    /// The danger switch lifts OWASP's floor but keeps RFC 9106 §3.1's
    /// (8 KiB per lane, at least one pass).
    #[test]
    fn danger_weak_password_hashing_keeps_only_rfc9106_bounds() {
        let weak = "danger_weak_password_hashing = true\nargon2_memory_kib = 8\nargon2_iterations = 1\n";
        assert!(validated(weak).is_ok());
        assert_eq!(
            refused("danger_weak_password_hashing = true\nargon2_memory_kib = 8\nargon2_parallelism = 2\n").0,
            "login.argon2_memory_kib"
        );
        assert_eq!(
            refused("danger_weak_password_hashing = true\nargon2_iterations = 0\n").0,
            "login.argon2_iterations"
        );
        assert_eq!(
            refused("argon2_memory_kib = 8\nargon2_iterations = 1\n").0,
            "login.argon2_memory_kib"
        );
    }

    #[test]
    fn seed_users_are_read_and_checked() {
        let v = validated(&format!(
            "[[login.seed_users]]\n{SEED}birthdate = \"1990-04-01\"\n"
        ))
        .unwrap();
        let seed = &v.get().login.seed_users[0];
        assert_eq!(seed.password.expose(), "pw");
        assert!(!format!("{seed:?}").contains("\"pw\""));
        let twice = format!(
            "[[login.seed_users]]\n{SEED}[[login.seed_users]]\n{}",
            SEED.replace("acc-1", "acc-2")
                .replace("alice\"\npassword", " ALICE \"\npassword")
        );
        assert_eq!(refused(&twice).0, "login.seed_users[1].username");
        let same_account = format!(
            "[[login.seed_users]]\n{SEED}[[login.seed_users]]\n{}",
            SEED.replace("\"alice\"\npassword", "\"bob\"\npassword")
        );
        assert_eq!(refused(&same_account).0, "login.seed_users[1].account_id");
        for (bad, field) in [
            (SEED.replace("\"pw\"", "\"\""), "password"),
            (SEED.replace("alice@example.com", "alice"), "email"),
            (SEED.replace("acc-1", "acc 1"), "account_id"),
            (format!("{SEED}birthdate = \"01/04/1990\"\n"), "birthdate"),
        ] {
            assert_eq!(
                refused(&format!("[[login.seed_users]]\n{bad}")).0,
                format!("login.seed_users[0].{field}")
            );
        }
    }

    /// A customer's payment accounts: the scheme defaults to an IBAN; an
    /// account without an ISO 4217 currency, or named twice, is refused.
    #[test]
    fn seed_user_accounts_are_read_and_checked() {
        let account = |currency: &str, id: &str| {
            format!("[[login.seed_users.accounts]]\nidentification = \"{id}\"\ncurrency = \"{currency}\"\n")
        };
        let v = validated(&format!(
            "[[login.seed_users]]\n{SEED}{}{}",
            account("EUR", "GB57FDCA04000400000001"),
            account("GBP", "GB30FDCA04000400000002")
        ))
        .unwrap();
        let accounts = &v.get().login.seed_users[0].accounts;
        assert_eq!(accounts.len(), 2);
        assert_eq!(accounts[0].scheme_name, "UK.OBIE.IBAN");
        assert_eq!(accounts[1].currency, "GBP");
        let bad_currency = format!("[[login.seed_users]]\n{SEED}{}", account("eur", "X1"));
        assert_eq!(
            refused(&bad_currency).0,
            "login.seed_users[0].accounts[0].currency"
        );
        let twice = format!(
            "[[login.seed_users]]\n{SEED}{}{}",
            account("EUR", "X1"),
            account("GBP", "X1")
        );
        assert_eq!(
            refused(&twice).0,
            "login.seed_users[0].accounts[1].identification"
        );
    }

    /// Seed users' other claims and verified claim sets (Identity
    /// Assurance 1.0 as a TOML array of tables), checked by the import's
    /// validator at config time; its errors name the seed user.
    #[test]
    fn seed_user_claims_and_verified_claims_are_checked_with_the_ekyc_validator() {
        let claims = "[login.seed_users.claims]\nlocale = \"en-GB\"\nnationalities = [\"GBR\"]\n[login.seed_users.claims.address]\ncountry = \"GB\"\n";
        let set = |framework: &str, doc: &str| {
            format!(
                "[[login.seed_users.verified_claims]]\n[login.seed_users.verified_claims.verification]\ntrust_framework = \"{framework}\"\ntime = \"2024-06-01T10:00:00Z\"\n[[login.seed_users.verified_claims.verification.evidence]]\ntype = \"document\"\n[login.seed_users.verified_claims.verification.evidence.document_details]\ntype = \"{doc}\"\ndocument_number = \"533401372\"\n[login.seed_users.verified_claims.claims]\ngiven_name = \"Alice\"\n"
            )
        };
        let v = validated(&format!(
            "[[login.seed_users]]\n{SEED}{claims}{}",
            set("uk_tfida", "passport")
        ))
        .unwrap();
        let seed = &v.get().login.seed_users[0];
        assert_eq!(seed.claims.as_ref().unwrap()["address"]["country"], "GB");
        assert_eq!(
            seed.verified_claims.as_ref().unwrap()[0]["verification"]["trust_framework"],
            "uk_tfida"
        );
        assert_eq!(
            refused(&format!(
                "[[login.seed_users]]\n{SEED}{}",
                set("moon_kyc", "passport")
            ))
            .0,
            "login.seed_users[0].verified_claims[0].verification.trust_framework"
        );
        assert_eq!(
            refused(&format!(
                "[[login.seed_users]]\n{SEED}{}",
                set("eidas", "library_card")
            ))
            .0,
            "login.seed_users[0].verified_claims[0].verification.evidence[0].document_details.type"
        );
        assert_eq!(
            refused(&format!(
                "[[login.seed_users]]\n{SEED}[login.seed_users.claims]\nshoe_size = 44\n"
            ))
            .0,
            "login.seed_users[0].claims.shoe_size"
        );
        assert_eq!(
            refused(&format!(
                "[[login.seed_users]]\n{SEED}[login.seed_users.claims]\nname = \"X\"\n"
            ))
            .0,
            "login.seed_users[0].claims.name"
        );
    }

    #[test]
    fn unknown_seed_user_field_is_refused() {
        let err = validated(&format!("[[login.seed_users]]\n{SEED}role = \"admin\"\n")).unwrap_err();
        assert_eq!(err.check, "parse");
    }
}
