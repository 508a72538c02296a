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

/// 503 `temporarily_unavailable` with `Retry-After: 1`: no room on the
/// device for a request (or a whole batch); the OP retries.
pub fn full() -> Response<Bytes> {
    let mut response = json_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
        "the device holds as many requests as it may",
    );
    response
        .headers_mut()
        .insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}
