//! `POST /grants/consume`: a resource server (`[[resource_servers]]`, the
//! API gateway) reports that the bank API accepted the payment made with
//! `token`, whose consent it reserved before (`/grants/reserve`); the
//! token's grant is used up (`oauth/payment_consumption.rs::consume`: its
//! tokens revoked). Only a resource
//! server, authenticated by its certificate (RFC 8705 §2.1.2), may call it;
//! clients get `invalid_client`. JSON answer; each call is an audit line
//! (never the token).

use super::OpState;
use crate::http::context::RequestContext;
use crate::http::response;
use crate::oauth::{payment_consumption, resource_server};
use crate::protocol::error::{ErrorCode, OAuthError};
use bytes::Bytes;
use http::header::CACHE_CONTROL;
use http::{Request, Response, StatusCode};

/// Handles a consumption report.
pub async fn post(
    op: &OpState,
    request: &Request<Bytes>,
    context: &RequestContext,
) -> Result<Response<Bytes>, OAuthError> {
    let form = super::form_body(request)?;
    let Some(rs) = resource_server::authenticate(op, &form, context)? else {
        return Err(OAuthError::new(
            ErrorCode::InvalidClient,
            "only a resource server may report a payment (RFC 8705 §2.1.2 certificate)",
        ));
    };
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
    let consumed = result?;
    let mut response = response::json(StatusCode::OK, Bytes::from(consumed.to_json().to_string()));
    response.headers_mut().insert(CACHE_CONTROL, response::NO_STORE);
    Ok(response)
}
