//! The only place where error codes become HTTP (STYLE.md §5), and the
//! helpers endpoints use to build JSON responses.

use super::route_label::RouteLabel;
use crate::oauth::protected_resource::Refusal;
use crate::protocol::error::{ErrorCode, OAuthError};
use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use http::{Response, StatusCode};
use serde::Serialize;

/// `application/json`.
pub const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// RFC 6749 §5.1 / FAPI: responses carrying tokens or errors must not be cached.
pub const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

/// A JSON response with `status`.
pub fn json(status: StatusCode, body: Bytes) -> Response<Bytes> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, JSON);
    response
}

/// Serializes `value` as a 200 JSON response.
pub fn json_ok<T: Serialize>(value: &T) -> Response<Bytes> {
    match serde_json::to_vec(value) {
        Ok(body) => json(StatusCode::OK, body.into()),
        Err(e) => error(&OAuthError::new(
            ErrorCode::ServerError,
            format!("response encoding failed: {e}"),
        )),
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_description: Option<&'a str>,
}

/// RFC 6749 §5.2 error response: JSON `{error, error_description}` with the
/// status from the error table and `Cache-Control: no-store`.
pub fn error(err: &OAuthError) -> Response<Bytes> {
    let row = err.code.row();
    let body = ErrorBody {
        error: row.code,
        error_description: err.description.as_deref(),
    };
    // Serializing two strings cannot fail; fall back to the bare code anyway.
    let body = serde_json::to_vec(&body)
        .map(Bytes::from)
        .unwrap_or_else(|_| Bytes::from(format!("{{\"error\":\"{}\"}}", row.code)));
    let status = StatusCode::from_u16(row.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = json(status, body);
    response.headers_mut().insert(CACHE_CONTROL, NO_STORE);
    if matches!(
        err.code,
        ErrorCode::TemporarilyUnavailable | ErrorCode::RateLimited
    ) {
        response
            .headers_mut()
            .insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

/// `temporarily_unavailable` (RFC 6749 §4.1.2.1, §5.2) for a request the
/// admission gate shed: [`error`] makes it 503 with `Retry-After`.
pub fn overloaded() -> OAuthError {
    OAuthError::new(
        ErrorCode::TemporarilyUnavailable,
        "the server is overloaded: retry after the time in Retry-After",
    )
}

/// Attaches the route label used by metrics.
pub fn labelled(mut response: Response<Bytes>, route: &'static str) -> Response<Bytes> {
    response.extensions_mut().insert(RouteLabel(route));
    response
}

/// The response for a refusal at a protected resource
/// (`oauth::protected_resource`): RFC 6750 §3.1 / RFC 9449 §7.1 — at a
/// protected resource a bad or badly presented token is 401 with a
/// challenge, whatever the code.
pub fn refusal((scheme, refused): Refusal) -> Response<Bytes> {
    let mut response = error(&refused);
    if matches!(
        refused.code,
        ErrorCode::InvalidDpopProof | ErrorCode::UseDpopNonce | ErrorCode::InvalidRequest
    ) {
        *response.status_mut() = http::StatusCode::UNAUTHORIZED;
    }
    let challenge = format!(
        "{scheme} error=\"{}\"{}",
        refused.code.as_str(),
        if scheme == "DPoP" {
            ", algs=\"ES256 PS256 EdDSA\""
        } else {
            ""
        }
    );
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(http::header::WWW_AUTHENTICATE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_uses_the_table_status_and_no_store_rfc6749_s5_2() {
        let response = error(&OAuthError::invalid_request("missing parameter `grant_type`"));
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(body["error"], "invalid_request");
        assert_eq!(body["error_description"], "missing parameter `grant_type`");
    }

    #[test]
    fn unavailable_says_when_to_retry() {
        let response = error(&OAuthError::bare(ErrorCode::TemporarilyUnavailable));
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers().contains_key(http::header::RETRY_AFTER));
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert!(body.get("error_description").is_none());
    }

    /// The mapping of a signing error (`signing`'s `From<SignError>`) as
    /// this layer answers it.
    #[test]
    fn an_overloaded_signer_is_503_with_retry_after() {
        use fiducia_hsm::SignError;
        let error = OAuthError::from(SignError::Overloaded);
        assert_eq!(error.code, ErrorCode::TemporarilyUnavailable);
        let response = crate::http::response::error(&error);
        assert_eq!(response.status(), http::StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers().contains_key(http::header::RETRY_AFTER));
        // The token gone (`fiducia_hsm::pkcs11` worker: no session to be
        // had, a key handle that no longer names an object): the same 503.
        let gone = OAuthError::from(SignError::Unavailable("no HSM session is open".into()));
        let response = crate::http::response::error(&gone);
        assert_eq!(response.status(), http::StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers().contains_key(http::header::RETRY_AFTER));
        let internal = OAuthError::from(SignError::Failed("CKR_MECHANISM_INVALID".into()));
        assert_eq!(internal.code, ErrorCode::ServerError);
        assert!(
            !internal.to_string().contains("CKR"),
            "device details stay in the logs"
        );
    }
}
