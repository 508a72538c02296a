//! The consent state machine (UK OBIE Read/Write API v3.1, "Domestic
//! Payment Consents" and "Account Access Consents", consent status):
//!
//! ```text
//! AwaitingAuthorisation --customer approves--> Authorised --payment made--> Consumed
//!          |                                        |
//!          +--customer declines--> Rejected         +--revoked--> Revoked
//!          +--revoked (account access)--> Revoked
//! ```
//!
//! Consumed, Rejected and Revoked are terminal: no grant may be made on
//! them. Tokens issued under a Rejected or Revoked consent stop working at
//! once; those of a Consumed one when the payment is confirmed and the
//! grant revoked (`ConsentStatus::ends_tokens`).

use serde::{Deserialize, Serialize};

/// Where a consent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConsentStatus {
    /// Created by the fintech; the customer has not answered yet.
    AwaitingAuthorisation,
    /// The customer approved it at the bank.
    Authorised,
    /// The customer declined.
    Rejected,
    /// The payment it allowed was made (payment consents only).
    Consumed,
    /// Withdrawn (by the fintech or the customer).
    Revoked,
}

/// What happens to a consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentEvent {
    /// The customer approved it on the consent page.
    Approve,
    /// The customer declined it.
    Reject,
    /// The payment was submitted.
    Consume,
    /// It was withdrawn.
    Revoke,
}

/// A transition the state machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a consent that is {from} cannot be {}", event.past_tense())]
pub struct BadTransition {
    /// The state it was in.
    pub from: ConsentStatus,
    /// What was attempted.
    pub event: ConsentEvent,
}

impl ConsentEvent {
    /// For messages: "approved", "rejected", "consumed", "revoked".
    pub fn past_tense(self) -> &'static str {
        match self {
            Self::Approve => "approved",
            Self::Reject => "rejected",
            Self::Consume => "consumed",
            Self::Revoke => "revoked",
        }
    }
}

impl ConsentStatus {
    /// The OBIE wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingAuthorisation => "AwaitingAuthorisation",
            Self::Authorised => "Authorised",
            Self::Rejected => "Rejected",
            Self::Consumed => "Consumed",
            Self::Revoked => "Revoked",
        }
    }

    /// Whether no grant may be made on it.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Rejected | Self::Consumed | Self::Revoked)
    }

    /// Whether its tokens are dead at once. A consent becomes `Consumed`
    /// when the OP reserves it for a payment, before the bank is called
    /// (`consent/reservation.rs`); its tokens live on until the bank has
    /// accepted the payment and the grant is revoked, so that the same
    /// payment can be retried after a lost answer, while the reservation
    /// refuses any other.
    pub fn ends_tokens(self) -> bool {
        matches!(self, Self::Rejected | Self::Revoked)
    }

    /// The state after `event`, if the machine allows it.
    pub fn after(self, event: ConsentEvent) -> Result<Self, BadTransition> {
        use ConsentEvent::*;
        use ConsentStatus::*;
        match (self, event) {
            (AwaitingAuthorisation, Approve) => Ok(Authorised),
            (AwaitingAuthorisation, Reject) => Ok(Rejected),
            (Authorised, Consume) => Ok(Consumed),
            (AwaitingAuthorisation | Authorised, Revoke) => Ok(Revoked),
            (from, event) => Err(BadTransition { from, event }),
        }
    }
}

impl std::fmt::Display for ConsentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ConsentEvent::*;
    use super::ConsentStatus::*;

    #[test]
    fn the_happy_paths_obie_consent_status() {
        assert_eq!(AwaitingAuthorisation.after(Approve), Ok(Authorised));
        assert_eq!(Authorised.after(Consume), Ok(Consumed));
        assert_eq!(AwaitingAuthorisation.after(Reject), Ok(Rejected));
        assert_eq!(Authorised.after(Revoke), Ok(Revoked));
        assert_eq!(AwaitingAuthorisation.after(Revoke), Ok(Revoked));
    }

    #[test]
    fn terminal_states_allow_nothing_more() {
        for status in [Rejected, Consumed, Revoked] {
            assert!(status.is_terminal());
            for event in [Approve, Reject, Consume, Revoke] {
                assert!(status.after(event).is_err(), "{status} then {event:?}");
            }
        }
        assert!(!AwaitingAuthorisation.is_terminal() && !Authorised.is_terminal());
        // A consumed consent's tokens end with its grant, not at once.
        assert!(Rejected.ends_tokens() && Revoked.ends_tokens() && !Consumed.ends_tokens());
    }

    #[test]
    fn a_payment_cannot_be_made_before_approval_nor_approved_twice() {
        assert!(AwaitingAuthorisation.after(Consume).is_err());
        assert!(Authorised.after(Approve).is_err());
        assert!(Authorised.after(Reject).is_err());
        let err = AwaitingAuthorisation.after(Consume).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a consent that is AwaitingAuthorisation cannot be consumed"
        );
    }
}
