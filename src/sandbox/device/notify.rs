//! `POST /ciba/requests`: the OP hands a backchannel authentication request
//! to the customer's device (the channel contract: `application/jwt`, a
//! JWS signed with the OP's key; of `typ` `ciba-requests+jwt`, several
//! requests at once: `batch.rs`). The single form, `typ`
//! `ciba-request+jwt`, one request: 202 when it
//! is queued for the customer (or approved at once with `auto_approve`);
//! 400 `invalid_request` for a body that is not such a JWS or lacks a
//! request claim, 401 `invalid_token` for a bad signature, an unknown key,
//! another `typ`, `iss` or `aud`, or an expired request; 400
//! `unknown_user_id` (CIBA Core §13) for a customer the device does not
//! have; 503 `temporarily_unavailable` when the inbox is full (the OP
//! retries).

use super::inbox::Full;
use super::notification::{self, ClaimProblem};
use super::respond::{full, json_error};
use super::state::DeviceState;
use crate::protocol::ciba::device_batch::BATCH_TYP;
use crate::protocol::jose::JoseError;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use std::sync::Arc;

/// Handles one notification.
pub async fn receive(state: &Arc<DeviceState>, request: Request<Bytes>) -> Response<Bytes> {
    let content_type = request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if content_type.as_deref() != Some("application/jwt") {
        return json_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be application/jwt",
        );
    }
    let Ok(compact) = std::str::from_utf8(request.body()) else {
        return json_error(StatusCode::BAD_REQUEST, "invalid_request", "the body is not text");
    };
    let verified = match state.op_keys.verify(compact.trim()).await {
        Ok(verified) => verified,
        Err(e @ (JoseError::Malformed(_) | JoseError::TooLong)) => {
            return json_error(StatusCode::BAD_REQUEST, "invalid_request", &e.to_string());
        }
        Err(e) => return json_error(StatusCode::UNAUTHORIZED, "invalid_token", &e.to_string()),
    };
    let config = &state.config;
    let now = state.clock.now_unix();
    if verified.header.typ_is(BATCH_TYP) {
        return super::batch::receive(state, &verified.claims, now).await;
    }
    let pending = match notification::check(&verified.claims, &config.op.issuer, &config.op.audience, now) {
        Ok(pending) => pending,
        Err(ClaimProblem::Token(why)) => return json_error(StatusCode::UNAUTHORIZED, "invalid_token", why),
        Err(ClaimProblem::Request(why)) => {
            return json_error(StatusCode::BAD_REQUEST, "invalid_request", why);
        }
    };
    if !state.customers.has_account(&pending.sub) {
        return json_error(
            StatusCode::BAD_REQUEST,
            "unknown_user_id",
            "no customer of this device has that account",
        );
    }
    if config.auto_approve {
        // Bounded like the inbox: at most `max_pending` approvals in flight.
        let Ok(permit) = state.auto_approvals.clone().try_acquire_owned() else {
            return full();
        };
        let state = state.clone();
        tokio::spawn(async move {
            state.auto_approve(&pending.auth_req_id, &pending.sub).await;
            drop(permit);
        });
        return accepted();
    }
    match state.inbox.add(pending, now) {
        Ok(()) => accepted(),
        Err(Full::Full) => full(),
    }
}

fn accepted() -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = StatusCode::ACCEPTED;
    response
}
