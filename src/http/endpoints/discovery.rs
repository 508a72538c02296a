//! `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4).

use crate::http::response;
use crate::oauth::op::OpState;
use bytes::Bytes;
use http::{Response, StatusCode};

/// The provider metadata document.
pub fn get(op: &OpState) -> Response<Bytes> {
    response::json(StatusCode::OK, op.metadata_json())
}
