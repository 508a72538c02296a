//! The device's JSON answers: `{"error", "error_description"}` with
//! `Cache-Control: no-store` (RFC 6749 §5.2's shape, which the OP's side of
//! the channel reads too).

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use serde_json::json;

/// A JSON error response.
pub fn json_error(status: StatusCode, error: &str, description: &str) -> Response<Bytes> {
    json(status, &json!({"error": error, "error_description": description}))
}

/// A JSON response with `status`.
pub fn json(status: StatusCode, body: &serde_json::Value) -> Response<Bytes> {
    let mut response = crate::http::response::json(status, Bytes::from(body.to_string()));
    response
        .headers_mut()
        .insert(http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
