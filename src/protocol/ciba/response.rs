//! The successful answer of the backchannel authentication endpoint (CIBA
//! Core §7.3): `auth_req_id`, `expires_in` and, for poll and ping clients,
//! `interval`.

use super::delivery_mode::DeliveryMode;
use serde::Serialize;

/// CIBA Core §7.3: clients wait 5 seconds when no `interval` is given; the
/// OP's default as well.
pub const DEFAULT_INTERVAL_SECS: u64 = 5;

/// CIBA Core §7.3 body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackchannelAuthenticationResponse {
    /// The request's handle (a bearer secret of the client's).
    pub auth_req_id: String,
    /// Seconds until it expires.
    pub expires_in: u64,
    /// Seconds between polls (poll and ping only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<u64>,
}

impl BackchannelAuthenticationResponse {
    /// The answer for a client of `mode`: §7.3 `interval` only where the
    /// client calls the token endpoint.
    pub fn new(auth_req_id: String, expires_in: u64, mode: DeliveryMode, interval: u64) -> Self {
        Self {
            auth_req_id,
            expires_in,
            interval: mode.uses_token_endpoint().then_some(interval),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// CIBA Core §7.3: `interval` for poll and ping, not for push.
    #[test]
    fn interval_only_for_clients_that_poll_ciba_core_s7_3() {
        let poll = BackchannelAuthenticationResponse::new("id".into(), 120, DeliveryMode::Poll, 5);
        assert_eq!(
            serde_json::to_value(&poll).unwrap(),
            json!({"auth_req_id": "id", "expires_in": 120, "interval": 5})
        );
        let push = BackchannelAuthenticationResponse::new("id".into(), 120, DeliveryMode::Push, 5);
        assert_eq!(
            serde_json::to_value(&push).unwrap(),
            json!({"auth_req_id": "id", "expires_in": 120})
        );
    }
}
