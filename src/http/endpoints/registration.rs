//! `POST /register` (RFC 7591 §3) and `GET | PUT | DELETE
//! /register/{client_id}` (RFC 7592 §2), when `registration.enabled`.
//!
//! Registration answers 201 with the client information (RFC 7591
//! §3.2.1); errors are RFC 7591 §3.2.2 codes with status 400. Management
//! authenticates with the registration access token as a Bearer token
//! (RFC 6750 §2.1) over mTLS with the registered software's transport
//! certificate; a bad token or certificate is 401 with `WWW-Authenticate`
//! (RFC 6750 §3, RFC 8705 §3). An update rotates the token.

use crate::http::response;
use crate::oauth::caller::Caller;
use crate::oauth::op::OpState;
use crate::oauth::registration::{self, manage};
use crate::protocol::error::{ErrorCode, OAuthError};
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use http::{Method, Request, Response, StatusCode};
use serde_json::Value;

fn disabled() -> OAuthError {
    OAuthError::new(ErrorCode::NotFound, "no such endpoint")
}

fn content_type(request: &Request<Bytes>) -> &str {
    request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn json_response(status: StatusCode, value: &Value) -> Response<Bytes> {
    match serde_json::to_vec(value) {
        Ok(body) => response::json(status, body.into()),
        Err(_) => response::error(&OAuthError::bare(ErrorCode::ServerError)),
    }
}

/// `POST /register`.
pub async fn post(
    op: &OpState,
    request: &Request<Bytes>,
    caller: &Caller,
) -> Result<Response<Bytes>, OAuthError> {
    let directories = op.services.directories.as_deref().ok_or_else(disabled)?;
    let admitted = registration::admit(
        op,
        directories,
        content_type(request),
        request.body(),
        caller.client_cert.as_ref(),
    )
    .await?;
    let body = registration::register(op, admitted).await?;
    Ok(json_response(StatusCode::CREATED, &body))
}

/// `GET | PUT | DELETE /register/{client_id}`.
pub async fn manage(
    op: &OpState,
    request: &Request<Bytes>,
    caller: &Caller,
    client_id: &str,
) -> Response<Bytes> {
    match manage_inner(op, request, caller, client_id).await {
        Ok(response) => response,
        Err(e) if e.code == ErrorCode::InvalidToken => {
            let mut response = response::error(&e);
            response.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
            response
        }
        Err(e) => response::error(&e),
    }
}

async fn manage_inner(
    op: &OpState,
    request: &Request<Bytes>,
    caller: &Caller,
    client_id: &str,
) -> Result<Response<Bytes>, OAuthError> {
    let directories = op.services.directories.as_deref().ok_or_else(disabled)?;
    let token = bearer(request);
    let record = manage::authenticate(op, directories, client_id, token, caller.client_cert.as_ref()).await?;
    let token = token.unwrap_or_default();
    if request.method() == Method::GET {
        return Ok(json_response(StatusCode::OK, &manage::read(op, &record, token)));
    }
    if request.method() == Method::DELETE {
        manage::delete(op, &record).await?;
        let mut response = Response::new(Bytes::new());
        *response.status_mut() = StatusCode::NO_CONTENT;
        return Ok(response);
    }
    // PUT: RFC 7592 §2.2 takes JSON; the UK's signed form is accepted too.
    let body =
        match crate::protocol::registration::request::parse_body(content_type(request), request.body())? {
            crate::protocol::registration::request::RegistrationBody::Json(map) => map,
            crate::protocol::registration::request::RegistrationBody::Signed(compact) => {
                crate::protocol::registration::request::peek_claims(&compact)?
            }
        };
    manage::check_update_body(op, &record, token, &body)?;
    let admitted = registration::admit_update(
        op,
        directories,
        content_type(request),
        request.body(),
        caller.client_cert.as_ref(),
        &record.software_statement,
    )
    .await?;
    let body = manage::update(op, record, admitted, token).await?;
    Ok(json_response(StatusCode::OK, &body))
}

/// RFC 6750 §2.1: `Authorization: Bearer <token>`.
fn bearer(request: &Request<Bytes>) -> Option<&str> {
    let value = request.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}
