//! How a CIBA client receives the result (CIBA Core §5, registered as
//! `backchannel_token_delivery_mode`, §4): it polls the token endpoint
//! (poll), is told to (ping), or is sent the tokens (push).

use serde::{Deserialize, Serialize};

/// CIBA Core §4 `backchannel_token_delivery_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryMode {
    /// §5 / §10.1: the client polls the token endpoint.
    Poll,
    /// §5 / §10.2: the OP calls the client's notification endpoint, then
    /// the client calls the token endpoint.
    Ping,
    /// §5 / §10.3: the OP sends the tokens to the client's notification
    /// endpoint (not allowed by FAPI CIBA §5.2.2).
    Push,
}

impl DeliveryMode {
    /// Every mode, for discovery (§4 `backchannel_token_delivery_modes_supported`).
    pub const ALL: [DeliveryMode; 3] = [DeliveryMode::Poll, DeliveryMode::Ping, DeliveryMode::Push];

    /// The value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryMode::Poll => "poll",
            DeliveryMode::Ping => "ping",
            DeliveryMode::Push => "push",
        }
    }

    /// The mode named `name` (exact, case-sensitive like every registered value).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == name)
    }

    /// §7.1: ping and push clients send a `client_notification_token` and
    /// register a `backchannel_client_notification_endpoint` (§4).
    pub const fn notifies(self) -> bool {
        matches!(self, DeliveryMode::Ping | DeliveryMode::Push)
    }

    /// §10.1 / §10.2: poll and ping clients get their tokens at the token
    /// endpoint; push clients never call it for this grant (§10.3).
    pub const fn uses_token_endpoint(self) -> bool {
        matches!(self, DeliveryMode::Poll | DeliveryMode::Ping)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CIBA Core §4: the three registered values, lower case.
    #[test]
    fn the_three_modes_by_their_registered_names_ciba_core_s4() {
        for mode in DeliveryMode::ALL {
            assert_eq!(DeliveryMode::from_name(mode.as_str()), Some(mode));
            let json = serde_json::to_string(&mode).unwrap();
            assert_eq!(json, format!("\"{}\"", mode.as_str()));
            assert_eq!(serde_json::from_str::<DeliveryMode>(&json).unwrap(), mode);
        }
        for bad in ["POLL", "Ping", "pull", ""] {
            assert_eq!(DeliveryMode::from_name(bad), None, "{bad}");
            assert!(serde_json::from_str::<DeliveryMode>(&format!("\"{bad}\"")).is_err());
        }
    }

    /// CIBA Core §7.1 / §10: who is notified, who redeems at the token endpoint.
    #[test]
    fn ping_and_push_notify_poll_and_ping_redeem_ciba_core_s10() {
        assert!(!DeliveryMode::Poll.notifies());
        assert!(DeliveryMode::Ping.notifies() && DeliveryMode::Push.notifies());
        assert!(DeliveryMode::Poll.uses_token_endpoint() && DeliveryMode::Ping.uses_token_endpoint());
        assert!(!DeliveryMode::Push.uses_token_endpoint());
    }
}
