//! Where a backchannel authentication request stands (CIBA Core §7.3 to
//! §11): waiting for the customer, decided on the authentication device,
//! or redeemed for tokens once. Stored in the pending request's record.

use serde::{Deserialize, Serialize};

/// The customer's authentication on the device, as the device channel
/// reports it: what goes into the ID token (OIDC Core §2 `acr`, `amr`,
/// `auth_time`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceAuthentication {
    /// OIDC Core §2 `acr`, when the device says which level it met.
    pub acr: Option<String>,
    /// OIDC Core §2 `amr` (RFC 8176 values such as `pwd`, `hwk`, `face`).
    pub amr: Vec<String>,
    /// OIDC Core §2 `auth_time`: Unix seconds.
    pub auth_time: u64,
}

/// The state of one backchannel authentication request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CibaStatus {
    /// Sent to the device; the customer has not decided (§11 `authorization_pending`).
    Pending,
    /// The customer approved; tokens may be issued once.
    Approved(DeviceAuthentication),
    /// The customer denied (§11 `access_denied`).
    Denied,
    /// Tokens were issued (or pushed): a second redemption is `invalid_grant`
    /// (RFC 6749 §5.2, as for a used authorization code).
    Redeemed,
}

impl CibaStatus {
    /// Whether the customer has decided (the device channel's `409
    /// already_decided` for a second decision).
    pub fn is_decided(&self) -> bool {
        !matches!(self, CibaStatus::Pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pending_is_undecided() {
        let approved = CibaStatus::Approved(DeviceAuthentication {
            acr: None,
            amr: vec!["pwd".into()],
            auth_time: 1,
        });
        assert!(!CibaStatus::Pending.is_decided());
        for decided in [approved, CibaStatus::Denied, CibaStatus::Redeemed] {
            assert!(decided.is_decided(), "{decided:?}");
        }
    }
}
