//! RFC 9457 problem details: every refusal of the Config API that is not a
//! token's (those are RFC 6750 §3 challenges, `challenge.rs`) is an
//! `application/problem+json` object with `type`, `title`, `status`,
//! `detail` and, for a bad body or query, an `errors` extension member
//! (RFC 9457 §3.2) with one entry per bad field: its JSON Pointer (RFC
//! 6901) or parameter name and what is wrong with it.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Response, StatusCode};
use serde::Serialize;

/// `application/problem+json` (RFC 9457 §3).
pub const PROBLEM_JSON: HeaderValue = HeaderValue::from_static("application/problem+json");

/// The `type` URIs of the Config API's problems: relative references
/// resolved against the API's URL (RFC 9457 §3.1.1); the OpenAPI document
/// lists them.
pub mod kind {
    /// A body or query that does not parse or has bad fields.
    pub const INVALID_REQUEST: &str = "/problems/invalid-request";
    /// No such resource.
    pub const NOT_FOUND: &str = "/problems/not-found";
    /// The method is not served on the path.
    pub const METHOD_NOT_ALLOWED: &str = "/problems/method-not-allowed";
    /// The body is not `application/json`.
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "/problems/unsupported-media-type";
    /// `If-Match` did not match the resource's current ETag (RFC 9110 §13.1.1).
    pub const PRECONDITION_FAILED: &str = "/problems/precondition-failed";
    /// A write without `If-Match` (RFC 6585 §3).
    pub const PRECONDITION_REQUIRED: &str = "/problems/precondition-required";
    /// The change is not allowed in the resource's current state.
    pub const CONFLICT: &str = "/problems/conflict";
    /// The token is missing, invalid or not sender-constrained as required.
    pub const UNAUTHORIZED: &str = "/problems/unauthorized";
    /// The token lacks the operation's scope.
    pub const FORBIDDEN: &str = "/problems/insufficient-scope";
    /// A dependency (store, HSM) failed; try again.
    pub const UNAVAILABLE: &str = "/problems/unavailable";
    /// The body is over `config_api.max_body_bytes` (RFC 9110 §15.5.14).
    pub const CONTENT_TOO_LARGE: &str = "/problems/content-too-large";
    /// The body did not arrive within the read timeout (RFC 9110 §15.5.9).
    pub const REQUEST_TIMEOUT: &str = "/problems/request-timeout";
}

/// One bad field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// JSON Pointer into the body (`/alg`), or `?name` for a query parameter.
    pub pointer: String,
    /// What is wrong with it.
    pub detail: String,
}

impl FieldError {
    /// A bad field.
    pub fn new(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            detail: detail.into(),
        }
    }

    /// A bad member of the body's top-level object, by name (`""`: the
    /// body as a whole); the name escaped as RFC 6901 §3 says (`~` as
    /// `~0`, `/` as `~1`).
    pub fn member(name: &str, detail: impl Into<String>) -> Self {
        let pointer = match name {
            "" => String::new(),
            name => format!("/{}", name.replace('~', "~0").replace('/', "~1")),
        };
        Self::new(pointer, detail)
    }
}

/// An RFC 9457 problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// A [`kind`] URI.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// A short summary of the kind.
    pub title: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// This occurrence, for a person.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// One entry per bad field (RFC 9457 §3.2 extension member).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Problem {
    fn new(kind: &'static str, title: &'static str, status: StatusCode, detail: Option<String>) -> Self {
        Self {
            kind,
            title,
            status: status.as_u16(),
            detail,
            errors: Vec::new(),
        }
    }

    /// 400 with one entry per bad field.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = match errors.len() {
            1 => "1 field is invalid".to_string(),
            n => format!("{n} fields are invalid"),
        };
        Self {
            errors,
            ..Self::new(
                kind::INVALID_REQUEST,
                "Invalid request",
                StatusCode::BAD_REQUEST,
                Some(detail),
            )
        }
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(
            kind::NOT_FOUND,
            "Not found",
            StatusCode::NOT_FOUND,
            Some(detail.into()),
        )
    }

    /// 405 (the `Allow` header is the router's).
    pub fn method_not_allowed() -> Self {
        Self::new(
            kind::METHOD_NOT_ALLOWED,
            "Method not allowed",
            StatusCode::METHOD_NOT_ALLOWED,
            None,
        )
    }

    /// 415.
    pub fn unsupported_media_type() -> Self {
        Self::new(
            kind::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Some("the body must be application/json".into()),
        )
    }

    /// 412 (RFC 9110 §13.1.1).
    pub fn precondition_failed() -> Self {
        Self::new(
            kind::PRECONDITION_FAILED,
            "Precondition failed",
            StatusCode::PRECONDITION_FAILED,
            Some("If-Match does not match the current ETag: read the resource again".into()),
        )
    }

    /// 428 (RFC 6585 §3).
    pub fn precondition_required() -> Self {
        Self::new(
            kind::PRECONDITION_REQUIRED,
            "Precondition required",
            StatusCode::PRECONDITION_REQUIRED,
            Some("a write needs If-Match with the resource's ETag".into()),
        )
    }

    /// 409.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(
            kind::CONFLICT,
            "Conflict",
            StatusCode::CONFLICT,
            Some(detail.into()),
        )
    }

    /// 409 with the fields concerned: a change the rest of the
    /// configuration does not allow (the start-up checks' problems).
    pub fn conflict_with(detail: impl Into<String>, errors: Vec<FieldError>) -> Self {
        Self {
            errors,
            ..Self::conflict(detail)
        }
    }

    /// 403 for a change the caller's token does not cover (not a token
    /// refusal: the token is good, the change exceeds it), with the
    /// fields concerned.
    pub fn forbidden(detail: impl Into<String>, errors: Vec<FieldError>) -> Self {
        Self {
            errors,
            ..Self::new(
                kind::FORBIDDEN,
                "Insufficient scope",
                StatusCode::FORBIDDEN,
                Some(detail.into()),
            )
        }
    }

    /// 503: a dependency failed; what failed stays in the logs.
    pub fn unavailable() -> Self {
        Self::new(
            kind::UNAVAILABLE,
            "Service unavailable",
            StatusCode::SERVICE_UNAVAILABLE,
            Some("try again later".into()),
        )
    }

    /// The problem for a request the serving stack refused before routing
    /// it (`http::context::Handler::refuse`): 413 and 408 as their own
    /// kinds, anything else (an unreadable body) 400.
    pub fn before_routing(error: &crate::protocol::error::OAuthError) -> Self {
        use crate::protocol::error::ErrorCode;
        let detail = error.description.as_deref().map(str::to_string);
        match error.code {
            ErrorCode::RequestTooLarge => Self::new(
                kind::CONTENT_TOO_LARGE,
                "Content too large",
                StatusCode::PAYLOAD_TOO_LARGE,
                detail,
            ),
            ErrorCode::RequestTimeout => Self::new(
                kind::REQUEST_TIMEOUT,
                "Request timeout",
                StatusCode::REQUEST_TIMEOUT,
                detail,
            ),
            _ => Self::new(
                kind::INVALID_REQUEST,
                "Invalid request",
                StatusCode::BAD_REQUEST,
                detail,
            ),
        }
    }

    /// 401 or 403 for a refused token: the title only (RFC 6750 §3: the
    /// challenge's error code says what the caller may know).
    pub fn refused_token(status: StatusCode) -> Self {
        match status {
            StatusCode::FORBIDDEN => Self::new(kind::FORBIDDEN, "Insufficient scope", status, None),
            _ => Self::new(kind::UNAUTHORIZED, "Unauthorized", StatusCode::UNAUTHORIZED, None),
        }
    }

    /// The response.
    pub fn response(&self) -> Response<Bytes> {
        // A struct of strings and numbers always serializes; the fallback
        // keeps the status anyway.
        let body = serde_json::to_vec(self).map(Bytes::from).unwrap_or_default();
        let mut response = Response::new(body);
        *response.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        response.headers_mut().insert(CONTENT_TYPE, PROBLEM_JSON);
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9110 §15.5.14 and §15.5.9 as RFC 9457 problems, not OAuth
    /// error objects: the Config API speaks one error format.
    #[test]
    fn refusals_before_routing_are_problems_rfc9457_rfc9110() {
        use crate::protocol::error::{ErrorCode, OAuthError};
        for (code, status, kind) in [
            (ErrorCode::RequestTooLarge, 413, kind::CONTENT_TOO_LARGE),
            (ErrorCode::RequestTimeout, 408, kind::REQUEST_TIMEOUT),
            (ErrorCode::InvalidRequest, 400, kind::INVALID_REQUEST),
        ] {
            let response = Problem::before_routing(&OAuthError::new(code, "why")).response();
            assert_eq!(response.status(), status);
            assert_eq!(response.headers()[CONTENT_TYPE], "application/problem+json");
            let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
            assert_eq!(body["type"], kind);
            assert_eq!(body["detail"], "why");
            assert!(body.get("error").is_none());
        }
    }

    /// RFC 9457 §3.1 members and a §3.2 extension with one entry per field.
    #[test]
    fn a_problem_has_the_rfc9457_members_and_one_error_per_field() {
        let problem = Problem::invalid(vec![
            FieldError::new("/alg", "unknown algorithm"),
            FieldError::new("/bits", "must be 2048 to 4096"),
        ]);
        let response = problem.response();
        assert_eq!(response.status(), 400);
        assert_eq!(response.headers()[CONTENT_TYPE], "application/problem+json");
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(body["type"], kind::INVALID_REQUEST);
        assert_eq!(body["title"], "Invalid request");
        assert_eq!(body["status"], 400);
        assert_eq!(body["detail"], "2 fields are invalid");
        assert_eq!(body["errors"][1]["pointer"], "/bits");
    }

    /// RFC 6901 §3: `~` and `/` in a member name are escaped.
    #[test]
    fn a_member_pointer_escapes_rfc6901_s3() {
        assert_eq!(FieldError::member("a/b~c", "x").pointer, "/a~1b~0c");
        assert_eq!(FieldError::member("scopes", "x").pointer, "/scopes");
        assert_eq!(FieldError::member("", "x").pointer, "");
    }
}
