//! The body of `POST /ciba/decision`, one decision or several: the device
//! channel's certificate checked once (`decision::authenticate`), then
//! either a single decision object (answered 204, or the one refusal: 400,
//! 404, 409, 503) or `{"decisions": [...]}`, 1 to [`MAX_DECISIONS`] of them,
//! each recorded on its own as a single one would be (`decision::record_body`:
//! once per request, before expiry, for the request's customer) and
//! answered 200 `{"results": [{"auth_req_id"}, {"auth_req_id", "error"}...]}`
//! (`protocol::ciba::device_batch::BatchAnswer`; `error` one of
//! `invalid_request`, `not_found`, `already_decided`,
//! `temporarily_unavailable`). A device that decides many requests at once
//! (the sandbox device's `auto_approve`) makes one call instead of many.

use super::decision::{Body, DecisionFailure, MAX_DECISION_BYTES, authenticate, record_body};
use super::service::Ciba;
use crate::oauth::caller::Caller;
use crate::oauth::op::OpState;
use crate::protocol::ciba::device_batch::{BatchAnswer, ItemResult};
use serde::Deserialize;

/// Most decisions in one call.
pub const MAX_DECISIONS: usize = 128;
/// Largest body of a batch read (a decision is about 200 bytes).
pub const MAX_BATCH_BYTES: usize = 48 * 1024;

/// What was recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// The single decision was recorded (204).
    One,
    /// Each decision's outcome (200).
    Batch(BatchAnswer),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Incoming {
    Batch(Batch),
    One(Body),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Batch {
    decisions: Vec<Body>,
}

/// Records the decision or decisions in `body` from `caller`.
pub async fn receive(
    op: &OpState,
    ciba: &Ciba,
    caller: &Caller,
    body: &[u8],
) -> Result<Received, DecisionFailure> {
    authenticate(op, caller)?;
    if body.len() > MAX_BATCH_BYTES {
        return Err(DecisionFailure::Malformed("the body is too large"));
    }
    let incoming: Incoming =
        serde_json::from_slice(body).map_err(|_| DecisionFailure::Malformed("the body is not a decision"))?;
    let decisions = match incoming {
        Incoming::One(_) if body.len() > MAX_DECISION_BYTES => {
            return Err(DecisionFailure::Malformed("the body is too large"));
        }
        Incoming::One(decision) => return record_body(op, ciba, decision).await.map(|()| Received::One),
        Incoming::Batch(batch) => batch.decisions,
    };
    if !(1..=MAX_DECISIONS).contains(&decisions.len()) {
        return Err(DecisionFailure::Malformed(
            "decisions must hold 1 to 128 decisions",
        ));
    }
    // Concurrently, so that the store commits them together.
    let results = futures::future::join_all(decisions.into_iter().map(|decision| async move {
        let auth_req_id = decision.auth_req_id.clone();
        let error = record_body(op, ciba, decision).await.err().map(|failure| {
            match failure {
                DecisionFailure::Unauthorized => "invalid_client",
                DecisionFailure::Malformed(_) => "invalid_request",
                DecisionFailure::NotFound => "not_found",
                DecisionFailure::AlreadyDecided => "already_decided",
                DecisionFailure::Unavailable => "temporarily_unavailable",
            }
            .to_owned()
        });
        ItemResult { auth_req_id, error }
    }))
    .await;
    Ok(Received::Batch(BatchAnswer { results }))
}
