//! What the device's routes share: its settings, the customers, the
//! pending requests, the sign-ins, the OP's keys and the decision client,
//! and the one way a decision is made ([`DeviceState::decide`]).

use super::customers::{Customer, Customers};
use super::decision::{AMR, Decision, DecisionClient, Recorded, Verdict};
use super::inbox::Inbox;
use super::op_keys::OpKeys;
use super::sessions::Sessions;
use crate::clock::Clock;
use crate::config::DeviceConfig;
use std::sync::Arc;
use std::time::Duration;

/// The device.
pub struct DeviceState {
    /// Its configuration.
    pub config: DeviceConfig,
    /// Who may sign in.
    pub customers: Customers,
    /// Requests waiting.
    pub inbox: Inbox,
    /// Web sign-ins.
    pub sessions: Sessions,
    /// The OP's signing keys.
    pub op_keys: OpKeys,
    /// Where decisions go.
    pub decisions: DecisionClient,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Auto-approvals under way, at most `max_pending` (each holds a permit).
    pub auto_approvals: Arc<tokio::sync::Semaphore>,
}

/// What became of a customer's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The request is not this customer's live request on the device.
    NotFound,
    /// The OP's answer.
    Op(Recorded),
}

impl DeviceState {
    /// `customer` decides `auth_req_id`, authenticated at `auth_time`: the
    /// request is taken out of the inbox (so it is decided once), the
    /// decision POSTed to the OP, and the request put back when the OP
    /// could not be reached (it is still pending there).
    pub async fn decide(
        &self,
        customer: &Customer,
        auth_req_id: &str,
        verdict: Verdict,
        auth_time: u64,
    ) -> Outcome {
        let now = self.clock.now_unix();
        let Some(request) = self.inbox.take(auth_req_id, &customer.account_id, now) else {
            return Outcome::NotFound;
        };
        let recorded = self
            .decisions
            .send(&Decision {
                auth_req_id,
                decision: verdict,
                sub: &customer.account_id,
                acr: &self.config.acr,
                amr: AMR,
                auth_time,
            })
            .await;
        tracing::info!(
            auth_req_id,
            decision = verdict.as_str(),
            ?recorded,
            "device decision"
        );
        if matches!(recorded, Recorded::Unreachable(_)) {
            self.inbox.put_back(request);
        }
        Outcome::Op(recorded)
    }

    /// `auto_approve` of a batch: approves each `(auth_req_id, sub)` at
    /// once, as its customer authenticated now, several in one call to the
    /// OP (`DecisionClient::send_all`); retries those the OP could not take
    /// a few times, like [`DeviceState::auto_approve`].
    pub async fn auto_approve_all(&self, requests: &[(String, String)]) {
        for chunk in requests.chunks(super::decision::MAX_DECISIONS_PER_CALL) {
            let mut waiting: Vec<&(String, String)> = chunk.iter().collect();
            for delay_ms in [0, 200, 1000, 3000] {
                tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                let now = self.clock.now_unix();
                let decisions: Vec<Decision<'_>> = waiting
                    .iter()
                    .map(|(auth_req_id, sub)| Decision {
                        auth_req_id,
                        decision: Verdict::Approved,
                        sub,
                        acr: &self.config.acr,
                        amr: AMR,
                        auth_time: now,
                    })
                    .collect();
                let recorded = self.decisions.send_all(&decisions).await;
                waiting = waiting
                    .into_iter()
                    .zip(recorded)
                    .filter_map(|(request, recorded)| match recorded {
                        Recorded::Unreachable(error) => {
                            tracing::warn!(auth_req_id = %request.0, %error, "auto-approval did not reach the OP");
                            Some(request)
                        }
                        _ => None,
                    })
                    .collect();
                if waiting.is_empty() {
                    break;
                }
            }
        }
    }

    /// `auto_approve`: approves a request for `sub` at once, as its
    /// customer authenticated now; retries a few times while the OP cannot
    /// be reached.
    pub async fn auto_approve(&self, auth_req_id: &str, sub: &str) {
        for delay_ms in [0, 200, 1000, 3000] {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            let now = self.clock.now_unix();
            let recorded = self
                .decisions
                .send(&Decision {
                    auth_req_id,
                    decision: Verdict::Approved,
                    sub,
                    acr: &self.config.acr,
                    amr: AMR,
                    auth_time: now,
                })
                .await;
            match recorded {
                Recorded::Unreachable(error) => {
                    tracing::warn!(auth_req_id, %error, "auto-approval did not reach the OP");
                }
                other => {
                    tracing::debug!(auth_req_id, ?other, "auto-approved");
                    return;
                }
            }
        }
    }
}
