//! CIBA's two endpoints (`oauth::ciba`), where `[ciba]` is enabled (else
//! 404):
//!
//! - `POST /bc-authorize` (CIBA Core §7), on the main listener and the
//!   mTLS alias: a form, client authentication as at the token endpoint
//!   (§7.1), the request, the §7.3 answer (200 JSON) or a §13 error. The
//!   `jti`s of the client assertion, the signed request and a DPoP proof
//!   are recorded with the request, or on their own when it fails.
//! - `POST /ciba/decision`: the device channel's answer (mTLS, its
//!   certificate only): 204, or 400 `invalid_request`, 401
//!   `invalid_client`, 404 `not_found`, 409 `already_decided`, 503; for
//!   several decisions at once (`{"decisions": [...]}`), 200 with each
//!   one's outcome (`oauth::ciba::decision_batch`).

use crate::http::response;
use crate::oauth::caller::Caller;
use crate::oauth::ciba::decision::DecisionFailure;
use crate::oauth::ciba::decision_batch::Received;
use crate::oauth::op::OpState;
use crate::oauth::replay::OneTimeUses;
use crate::protocol::error::{ErrorCode, OAuthError};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde_json::json;

fn not_enabled() -> OAuthError {
    OAuthError::new(ErrorCode::NotFound, "no such endpoint")
}

/// `POST /bc-authorize`.
pub async fn backchannel_authentication(
    op: &OpState,
    request: &Request<Bytes>,
    caller: &Caller,
) -> Result<Response<Bytes>, OAuthError> {
    let ciba = op.services.ciba.as_deref().ok_or_else(not_enabled)?;
    let form = super::form_body(request)?;
    let mut uses = OneTimeUses::default();
    let answered = async {
        let client = crate::oauth::client_auth::authenticate_deferred(op, &form, caller, &mut uses).await?;
        crate::oauth::ciba::backchannel::request(op, ciba, caller, &form, &client, &mut uses).await
    }
    .await;
    uses.record(&op.services.repo, op.now()).await?;
    Ok(response::json_ok(&answered?))
}

/// `POST /ciba/decision`.
pub async fn decision(op: &OpState, request: &Request<Bytes>, caller: &Caller) -> Response<Bytes> {
    let Some(ciba) = op.services.ciba.as_deref() else {
        return response::error(&not_enabled());
    };
    let failure = match crate::oauth::ciba::decision_batch::receive(op, ciba, caller, request.body()).await {
        Ok(Received::One) => {
            let mut response = Response::new(Bytes::new());
            *response.status_mut() = StatusCode::NO_CONTENT;
            return response;
        }
        Ok(Received::Batch(answer)) => return response::json_ok(&answer),
        Err(failure) => failure,
    };
    let (status, error) = match &failure {
        DecisionFailure::Unauthorized => (StatusCode::UNAUTHORIZED, "invalid_client"),
        DecisionFailure::Malformed(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
        DecisionFailure::NotFound => (StatusCode::NOT_FOUND, "not_found"),
        DecisionFailure::AlreadyDecided => (StatusCode::CONFLICT, "already_decided"),
        DecisionFailure::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable"),
    };
    let body = json!({"error": error, "error_description": failure.to_string()});
    response::json(status, Bytes::from(body.to_string()))
}
