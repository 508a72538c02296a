//! `GET /jwks` (RFC 7517 §5): the public halves of the OP's signing keys,
//! never a private member.

use super::OpState;
use crate::http::response;
use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Response, StatusCode};

/// The JWK Set.
pub fn get(op: &OpState) -> Response<Bytes> {
    let mut response = response::json(StatusCode::OK, op.jwks_json.clone());
    // RFC 7517 §8.5.1.
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/jwk-set+json"));
    response
}
