//! `GET /jwks` (RFC 7517 §5): the public halves of the OP's published keys
//! (next, active and retiring), never a private member.
//!
//! `Cache-Control: max-age` is `signing.jwks_cache_ttl_secs`: the same TTL
//! the key lifecycle waits out before a new key signs, so a verifier that
//! honours it never meets an unknown kid.

use crate::http::response;
use crate::oauth::op::OpState;
use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use http::{Response, StatusCode};

/// The JWK Set.
pub fn get(op: &OpState) -> Response<Bytes> {
    let keys = op.key_set();
    let mut response = response::json(StatusCode::OK, keys.jwks_json.clone());
    let headers = response.headers_mut();
    // RFC 7517 §8.5.1.
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/jwk-set+json"));
    let ttl = op.config.get().signing.jwks_cache_ttl_secs;
    if let Ok(value) = HeaderValue::from_str(&format!("public, max-age={ttl}")) {
        headers.insert(CACHE_CONTROL, value);
    }
    response
}
