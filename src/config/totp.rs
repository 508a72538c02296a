//! `[login.totp]`: the second factor of the built-in login (TOTP, RFC
//! 6238; `login/second_factor.rs`) and when strong customer authentication
//! is demanded.

use serde::{Deserialize, Serialize};

/// `[login.totp]`: lock-out of the second factor, the authenticator label,
/// and the payment rule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TotpConfig {
    /// Consecutive wrong (or replayed) codes after which the customer's
    /// factor is locked for `lockout_secs` (1 to 100; NIST SP 800-63B
    /// §5.2.2). Counted in the store, so across nodes; a right code resets
    /// the count. Default `5`. Env `FIDUCIA_LOGIN__TOTP__MAX_FAILURES`.
    pub max_failures: u32,
    /// How long a locked factor takes no code, right or wrong, in seconds
    /// (1 to 86400). Default `900` (15 minutes).
    /// Env `FIDUCIA_LOGIN__TOTP__LOCKOUT_SECS`.
    pub lockout_secs: u64,
    /// The issuer shown in the customer's authenticator app (the
    /// `otpauth://` URI `fiducia users totp enrol` prints). 1 to 64
    /// characters. Default `Fiducia`. Env `FIDUCIA_LOGIN__TOTP__ISSUER_LABEL`.
    pub issuer_label: String,
    /// Lets a payment (a UK OBIE payment consent or a `payment_initiation`
    /// detail) through with the password alone unless the request itself
    /// demands `urn:openbanking:psd2:sca`. PSD2 RTS Art. 4 and 5 demand
    /// strong customer authentication with dynamic linking for every
    /// payment; this is for test set-ups that exercise something else.
    /// Start-up warns when it is on. Default `false`.
    /// Env `FIDUCIA_LOGIN__TOTP__DANGER_PAYMENTS_WITHOUT_SCA`.
    pub danger_payments_without_sca: bool,
}

impl Default for TotpConfig {
    fn default() -> Self {
        Self {
            max_failures: 5,
            lockout_secs: 900,
            issuer_label: "Fiducia".into(),
            danger_payments_without_sca: false,
        }
    }
}

impl TotpConfig {
    /// What `check_login` refuses, as (field, message).
    pub(crate) fn problem(&self) -> Option<(String, String)> {
        let field = |name: &str, message: &str| Some((format!("login.totp.{name}"), message.to_owned()));
        if !(1..=super::login::MAX_FAILURES).contains(&self.max_failures) {
            return field("max_failures", "must be 1 to 100 (NIST SP 800-63B §5.2.2)");
        }
        if !(1..=super::login::MAX_LOCKOUT_SECS).contains(&self.lockout_secs) {
            return field("lockout_secs", "must be 1 to 86400");
        }
        let label = self.issuer_label.trim();
        if label.is_empty() || label.chars().count() > 64 || label.chars().any(char::is_control) {
            return field(
                "issuer_label",
                "must be 1 to 64 characters without control characters",
            );
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_pass_and_bounds_are_checked() {
        assert_eq!(TotpConfig::default().problem(), None);
        for bad in [
            TotpConfig {
                max_failures: 0,
                ..TotpConfig::default()
            },
            TotpConfig {
                lockout_secs: 86_401,
                ..TotpConfig::default()
            },
            TotpConfig {
                issuer_label: " ".into(),
                ..TotpConfig::default()
            },
        ] {
            assert!(bad.problem().is_some(), "{bad:?}");
        }
    }
}
