//! `POST /grants/reserve`: a resource server (`[[resource_servers]]`, the
//! API gateway) is about to forward the payment `idempotency_key` made with
//! `token`; the token's consent is reserved for it before the bank API is
//! called (`oauth/payment_consumption.rs::reserve`: one payment per
//! consent, OBIE Payment Initiation API v3.1). Only a resource server,
//! authenticated by its certificate (RFC 8705 §2.1.2), may call it; clients
//! get `invalid_client`. JSON answer naming the consent the bank API is to
//! be told; each call is an audit line (never the token).

use super::OpState;
use crate::http::context::RequestContext;
use crate::http::response;
use crate::oauth::{payment_consumption, resource_server};
use crate::protocol::error::{ErrorCode, OAuthError};
use bytes::Bytes;
use http::header::CACHE_CONTROL;
use http::{Request, Response, StatusCode};

/// Handles a reservation.
pub async fn post(
    op: &OpState,
    request: &Request<Bytes>,
    context: &RequestContext,
) -> Result<Response<Bytes>, OAuthError> {
    let form = super::form_body(request)?;
    let Some(rs) = resource_server::authenticate(op, &form, context)? else {
        return Err(OAuthError::new(
            ErrorCode::InvalidClient,
            "only a resource server may reserve a payment's consent (RFC 8705 §2.1.2 certificate)",
        ));
    };
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
    let reserved = result?;
    let mut response = response::json(StatusCode::OK, Bytes::from(reserved.to_json().to_string()));
    response.headers_mut().insert(CACHE_CONTROL, response::NO_STORE);
    Ok(response)
}
