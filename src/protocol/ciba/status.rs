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

/// The customer's decision as the authentication device reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Approved, with how the customer authenticated.
    Approved(DeviceAuthentication),
    /// Denied.
    Denied,
}

/// Why a decision is not recorded (the device channel's answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecisionRefusal {
    /// Unknown, expired, or about another customer: `404 not_found`.
    #[error("no such pending request")]
    NotFound,
    /// Decided before: `409 already_decided`.
    #[error("the request was already decided")]
    AlreadyDecided,
    /// `auth_time` after the decision arrived (beyond the skew) or before
    /// the request was made: `400 invalid_request`.
    #[error("auth_time is not within the request's life")]
    AuthTime,
}

/// How far a device's clock may run ahead of the OP's.
pub const MAX_DEVICE_SKEW_SECS: u64 = 60;

/// The status after the device's `decision` at `now` on a request in
/// `status`, created at `created_at`, expiring at `expires_at`. An expired
/// request is never approved (nor denied: it is gone).
pub fn decide(
    status: &CibaStatus,
    created_at: u64,
    expires_at: u64,
    decision: Decision,
    now: u64,
) -> Result<CibaStatus, DecisionRefusal> {
    if now >= expires_at {
        return Err(DecisionRefusal::NotFound);
    }
    if status.is_decided() {
        return Err(DecisionRefusal::AlreadyDecided);
    }
    Ok(match decision {
        Decision::Approved(authentication) => {
            // OIDC Core §2: when the customer authenticated; for this request,
            // so not before it was made, and not after now.
            let earliest = created_at.saturating_sub(MAX_DEVICE_SKEW_SECS);
            let latest = now.saturating_add(MAX_DEVICE_SKEW_SECS);
            if !(earliest..=latest).contains(&authentication.auth_time) {
                return Err(DecisionRefusal::AuthTime);
            }
            CibaStatus::Approved(authentication)
        }
        Decision::Denied => CibaStatus::Denied,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn approval(auth_time: u64) -> Decision {
        Decision::Approved(DeviceAuthentication {
            acr: Some("urn:openbanking:psd2:sca".into()),
            amr: vec!["pwd".into()],
            auth_time,
        })
    }

    /// The device's decision is recorded once, before expiry only.
    #[test]
    fn a_decision_is_recorded_once_before_expiry() {
        let approved = decide(&CibaStatus::Pending, 100, 200, approval(150), 150).unwrap();
        assert!(matches!(approved, CibaStatus::Approved(ref a) if a.auth_time == 150));
        assert_eq!(
            decide(&CibaStatus::Pending, 100, 200, Decision::Denied, 199),
            Ok(CibaStatus::Denied)
        );
        // Expired at expires_at exactly: never approved.
        assert_eq!(
            decide(&CibaStatus::Pending, 100, 200, approval(199), 200),
            Err(DecisionRefusal::NotFound)
        );
        for decided in [approved, CibaStatus::Denied, CibaStatus::Redeemed] {
            assert_eq!(
                decide(&decided, 100, 200, Decision::Denied, 150),
                Err(DecisionRefusal::AlreadyDecided)
            );
        }
    }

    /// OIDC Core §2 `auth_time`: within the request's life, give or take the skew.
    #[test]
    fn auth_time_must_fall_within_the_request() {
        assert!(decide(&CibaStatus::Pending, 100, 500, approval(40), 150).is_ok());
        assert!(decide(&CibaStatus::Pending, 100, 500, approval(210), 150).is_ok());
        assert_eq!(
            decide(&CibaStatus::Pending, 100, 500, approval(39), 150),
            Err(DecisionRefusal::AuthTime)
        );
        assert_eq!(
            decide(&CibaStatus::Pending, 100, 500, approval(211), 150),
            Err(DecisionRefusal::AuthTime)
        );
    }

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
