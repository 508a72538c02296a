//! The two calls a resource server (`[[resource_servers]]`, the API
//! gateway) makes around a payment, as its certificate (RFC 8705 §2.1.2;
//! clients get `invalid_client`), each an audit line without the token,
//! each answered in JSON:
//!
//! - `POST /grants/reserve` (`token`, `idempotency_key`): before the bank
//!   API is called, the token's consent is reserved for this payment
//!   (`oauth/payment_consumption.rs::reserve`: one payment per consent,
//!   OBIE Payment Initiation API v3.1); the answer names the consent the
//!   bank API is to be told.
//! - `POST /grants/consume` (`token`): the bank API accepted the payment
//!   whose consent was reserved; the grant is used up
//!   (`oauth/payment_consumption.rs::consume`: its tokens revoked).

use crate::config::ResourceServerConfig;
use crate::http::response;
use crate::oauth::caller::Caller;
use crate::oauth::op::OpState;
use crate::oauth::{payment_consumption, resource_server};
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::form::Form;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde_json::Value;

/// `POST /grants/reserve`.
pub async fn reserve(
    op: &OpState,
    request: &Request<Bytes>,
    caller: &Caller,
) -> Result<Response<Bytes>, OAuthError> {
    let form = super::form_body(request)?;
    let rs = resource_server_only(op, &form, caller, "reserve a payment's consent")?;
    let token = form.require("token")?;
    let key = form.require("idempotency_key")?;
    let result = payment_consumption::reserve(op, token, key, op.now()).await;
    match &result {
        Ok(reserved) => tracing::info!(
            target: "fiducia::audit",
            operation = "grant.reserve",
            resource_server = %rs.id,
            client_id = %reserved.client_id,
            consent_id = %reserved.consent_id,
            retry = reserved.retry,
            "payment consent reserved"
        ),
        Err(e) => tracing::warn!(
            target: "fiducia::audit",
            operation = "grant.reserve",
            resource_server = %rs.id,
            error = %e,
            "payment consent reservation refused"
        ),
    }
    Ok(answer(&result?.to_json()))
}

/// `POST /grants/consume`.
pub async fn consume(
    op: &OpState,
    request: &Request<Bytes>,
    caller: &Caller,
) -> Result<Response<Bytes>, OAuthError> {
    let form = super::form_body(request)?;
    let rs = resource_server_only(op, &form, caller, "report a payment")?;
    let token = form.require("token")?;
    let result = payment_consumption::consume(op, token, op.now()).await;
    match &result {
        Ok(consumed) => tracing::info!(
            target: "fiducia::audit",
            operation = "grant.consume",
            resource_server = %rs.id,
            client_id = %consumed.client_id,
            consent_id = %consumed.consent_id,
            revoked = consumed.revoked,
            "payment made: grant consumed, its tokens revoked"
        ),
        Err(e) => tracing::warn!(
            target: "fiducia::audit",
            operation = "grant.consume",
            resource_server = %rs.id,
            error = %e,
            "payment report refused"
        ),
    }
    Ok(answer(&result?.to_json()))
}

/// The calling resource server, or `invalid_client` for anyone else.
fn resource_server_only(
    op: &OpState,
    form: &Form,
    caller: &Caller,
    what: &str,
) -> Result<ResourceServerConfig, OAuthError> {
    resource_server::authenticate(op, form, caller)?.ok_or_else(|| {
        OAuthError::new(
            ErrorCode::InvalidClient,
            format!("only a resource server may {what} (RFC 8705 §2.1.2 certificate)"),
        )
    })
}

/// 200 with the JSON answer (`Cache-Control: no-store` is the serving
/// stack's default).
fn answer(body: &Value) -> Response<Bytes> {
    response::json(StatusCode::OK, Bytes::from(body.to_string()))
}
