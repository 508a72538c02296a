//! A token request on a pending backchannel authentication request (CIBA
//! Core §10.1, §11), as a pure function of the request's state, the time
//! and the client's delivery mode.
//!
//! | state at `now` | answer | state after |
//! |---|---|---|
//! | already redeemed | `invalid_grant` (one redemption, RFC 6749 §5.2) | unchanged |
//! | a push client | `unauthorized_client` (push clients get tokens at their endpoint, §10.3) | unchanged |
//! | `now ≥ expires_at` | `expired_token` (§11) | unchanged |
//! | denied | `access_denied` (§11) | unchanged |
//! | approved | tokens | redeemed |
//! | pending, polled again within `interval` | `slow_down` (§11) | interval + 5 s (kept), polled now |
//! | pending | `authorization_pending` (§11) | polled now |
//!
//! `slow_down` is "a variant of authorization_pending" (§11): only a
//! pending request is slowed; a decided one answers whatever the pace. The
//! interval raised stays raised "for this and all subsequent requests".
//! The caller stores the state after in the same transaction as it reads
//! the one before, so two concurrent polls cannot both redeem.

use super::delivery_mode::DeliveryMode;
use super::status::{CibaStatus, DeviceAuthentication};
use crate::protocol::error::{ErrorCode, OAuthError};

/// CIBA Core §11: `slow_down` raises the interval by at least 5 seconds.
pub const SLOW_DOWN_STEP_SECS: u64 = 5;

/// What a poll reads and may change of a pending request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollState {
    /// Where it stands.
    pub status: CibaStatus,
    /// Unix seconds at which the `auth_req_id` expires (§7.3 `expires_in`).
    pub expires_at: u64,
    /// Seconds the client must wait between polls (§7.3 `interval`).
    pub interval: u64,
    /// When the client last polled, if it has.
    pub last_polled_at: Option<u64>,
}

/// Why no tokens are issued (for logs; [`OAuthError`] on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollRefusal {
    /// §11 `authorization_pending`.
    Pending,
    /// §11 `slow_down`.
    SlowDown,
    /// §11 `expired_token`.
    Expired,
    /// §11 `access_denied`.
    Denied,
    /// RFC 6749 §5.2 `invalid_grant`: already redeemed.
    Redeemed,
    /// RFC 6749 §5.2 `unauthorized_client`: a push client polled.
    PushClient,
}

impl From<PollRefusal> for OAuthError {
    fn from(refusal: PollRefusal) -> Self {
        match refusal {
            PollRefusal::Pending => OAuthError::bare(ErrorCode::AuthorizationPending),
            PollRefusal::SlowDown => OAuthError::new(
                ErrorCode::SlowDown,
                "polled faster than the interval, which is now 5 seconds longer (CIBA Core §11)",
            ),
            PollRefusal::Expired => OAuthError::new(ErrorCode::ExpiredToken, "the auth_req_id has expired"),
            PollRefusal::Denied => {
                OAuthError::new(ErrorCode::AccessDeniedAtToken, "the customer denied the request")
            }
            PollRefusal::Redeemed => {
                OAuthError::new(ErrorCode::InvalidGrant, "the auth_req_id was already used")
            }
            PollRefusal::PushClient => OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "a push mode client receives its tokens at its notification endpoint (CIBA Core §10.3)",
            ),
        }
    }
}

/// What a poll answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollVerdict {
    /// Issue the tokens for this authentication (the state after is redeemed).
    Issue(DeviceAuthentication),
    /// Answer this error.
    Refuse(PollRefusal),
}

/// CIBA Core §10.1 / §11: the answer to a poll at `now` by a client of
/// `mode`, and the state to store after it.
pub fn poll(state: &PollState, mode: DeliveryMode, now: u64) -> (PollVerdict, PollState) {
    let refuse = |refusal| (PollVerdict::Refuse(refusal), state.clone());
    if state.status == CibaStatus::Redeemed {
        return refuse(PollRefusal::Redeemed);
    }
    if !mode.uses_token_endpoint() {
        return refuse(PollRefusal::PushClient);
    }
    if now >= state.expires_at {
        return refuse(PollRefusal::Expired);
    }
    match &state.status {
        CibaStatus::Denied => refuse(PollRefusal::Denied),
        CibaStatus::Approved(authentication) => (
            PollVerdict::Issue(authentication.clone()),
            PollState {
                status: CibaStatus::Redeemed,
                last_polled_at: Some(now),
                ..state.clone()
            },
        ),
        CibaStatus::Pending | CibaStatus::Redeemed => {
            let too_soon = state
                .last_polled_at
                .is_some_and(|last| now < last.saturating_add(state.interval));
            let (refusal, interval) = if too_soon {
                (
                    PollRefusal::SlowDown,
                    state.interval.saturating_add(SLOW_DOWN_STEP_SECS),
                )
            } else {
                (PollRefusal::Pending, state.interval)
            };
            (
                PollVerdict::Refuse(refusal),
                PollState {
                    interval,
                    last_polled_at: Some(now),
                    ..state.clone()
                },
            )
        }
    }
}

#[cfg(test)]
mod tests;
