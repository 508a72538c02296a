//! `POST /ciba/requests` in the batched form: one JWS of `typ`
//! `ciba-requests+jwt` (verified once, `op_keys.rs`) whose `requests` claim
//! lists several backchannel authentication requests
//! (`protocol::ciba::device_batch`). The envelope (`iss`, `aud`, `exp`,
//! `iat`, `jti`) is checked as a single notification's: else 401
//! `invalid_token` or 400 `invalid_request` for the whole batch, as is a
//! `requests` that is not an array of 1 to 128. Then each request on its
//! own (its own `exp`, its claims, its customer): the answer is 200
//! `{"results": [{"auth_req_id"}, {"auth_req_id", "error"}...]}`, one per
//! request, `error` being `invalid_token` (expired), `invalid_request` or
//! `unknown_user_id` (CIBA Core §13). The requests taken are queued
//! together, or none when the inbox has no room for all (503, the OP
//! retries the batch); with `auto_approve` they are approved as they arrive,
//! their decisions sent to the OP in one call.

use super::notification::{ClaimProblem, PendingRequest, check_envelope, check_request};
use super::respond::{full, json, json_error};
use super::state::DeviceState;
use crate::protocol::ciba::device_batch::{BatchAnswer, ItemResult, MAX_BATCH_REQUESTS, REQUESTS_CLAIM};
use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::{Map, Value};
use std::sync::Arc;

/// Longest `auth_req_id` echoed in an answer (a longer one is refused
/// and answered without it).
const MAX_ECHOED_ID_BYTES: usize = 256;

/// Handles a verified batch.
pub async fn receive(state: &Arc<DeviceState>, claims: &Map<String, Value>, now: u64) -> Response<Bytes> {
    let config = &state.config;
    match check_envelope(claims, &config.op.issuer, &config.op.audience, now) {
        Ok(()) => {}
        Err(ClaimProblem::Token(why)) => return json_error(StatusCode::UNAUTHORIZED, "invalid_token", why),
        Err(ClaimProblem::Request(why)) => {
            return json_error(StatusCode::BAD_REQUEST, "invalid_request", why);
        }
    }
    let items = match claims.get(REQUESTS_CLAIM) {
        Some(Value::Array(items)) if (1..=MAX_BATCH_REQUESTS).contains(&items.len()) => items,
        _ => {
            return json_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "`requests` must be an array of 1 to 128 requests",
            );
        }
    };
    let mut results = Vec::with_capacity(items.len());
    let mut taken = Vec::with_capacity(items.len());
    for item in items {
        let auth_req_id = item
            .get("auth_req_id")
            .and_then(Value::as_str)
            .filter(|id| id.len() <= MAX_ECHOED_ID_BYTES)
            .unwrap_or_default()
            .to_owned();
        let error = match one(state, item, now) {
            Ok(request) => {
                taken.push(request);
                None
            }
            Err(code) => Some(code.to_owned()),
        };
        results.push(ItemResult { auth_req_id, error });
    }
    let queued = match config.auto_approve {
        true => approve_all(state, taken),
        false => state.inbox.add_all(taken, now).is_ok(),
    };
    if !queued {
        return full();
    }
    match serde_json::to_value(BatchAnswer { results }) {
        Ok(answer) => json(StatusCode::OK, &answer),
        Err(_) => json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "the answer could not be written",
        ),
    }
}

/// One request of the batch, or its error code.
fn one(state: &DeviceState, item: &Value, now: u64) -> Result<PendingRequest, &'static str> {
    let claims = item.as_object().ok_or("invalid_request")?;
    let request = check_request(claims, now).map_err(|problem| match problem {
        ClaimProblem::Token(_) => "invalid_token",
        ClaimProblem::Request(_) => "invalid_request",
    })?;
    if !state.customers.has_account(&request.sub) {
        return Err("unknown_user_id");
    }
    Ok(request)
}

/// `auto_approve`: approves the requests at once, in one task that sends
/// their decisions together (`DeviceState::auto_approve_all`); bounded
/// like the inbox (a permit per approval in flight): all of them, or none
/// when there are not permits for all.
fn approve_all(state: &Arc<DeviceState>, taken: Vec<PendingRequest>) -> bool {
    let Ok(count) = u32::try_from(taken.len()) else {
        return false;
    };
    let Ok(permits) = state.auto_approvals.clone().try_acquire_many_owned(count) else {
        return false;
    };
    let requests: Vec<(String, String)> = taken.into_iter().map(|r| (r.auth_req_id, r.sub)).collect();
    let state = state.clone();
    tokio::spawn(async move {
        state.auto_approve_all(&requests).await;
        drop(permits);
    });
    true
}
