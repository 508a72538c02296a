//! Errors of the consent API in the OBIE error shape (OBIE Read/Write API
//! v3.1 "Error Response Structure"): `{"Code", "Id", "Message",
//! "Errors": [{"ErrorCode", "Message", "Path"}]}` with the `UK.OBIE.*`
//! error codes.

use http::StatusCode;
use serde_json::json;

/// One refusal of the consent API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObieError {
    /// HTTP status.
    pub status: StatusCode,
    /// `UK.OBIE.*` code.
    pub code: &'static str,
    /// What is wrong, for the developer.
    pub message: String,
    /// The JSON path or header it is about.
    pub path: Option<String>,
}

impl ObieError {
    fn bad_request(code: &'static str, message: String, path: Option<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code,
            message,
            path,
        }
    }

    /// A required member is absent: `UK.OBIE.Field.Missing`.
    pub fn missing(path: impl Into<String>) -> Self {
        let path = path.into();
        Self::bad_request("UK.OBIE.Field.Missing", format!("{path} is required"), Some(path))
    }

    /// A member has the wrong type or value: `UK.OBIE.Field.Invalid`.
    pub fn invalid(path: &str, expected: &str) -> Self {
        Self::bad_request(
            "UK.OBIE.Field.Invalid",
            format!("{path} must be {expected}"),
            Some(path.to_string()),
        )
    }

    /// A date-time that does not parse: `UK.OBIE.Field.InvalidDate`.
    pub fn invalid_date(path: &str) -> Self {
        Self::bad_request(
            "UK.OBIE.Field.InvalidDate",
            format!("{path} must be an ISO 8601 date-time with a time zone"),
            Some(path.to_string()),
        )
    }

    /// A date-time that has already passed where a future one is needed
    /// (OBIE Account Access Consents: `ExpirationDateTime`):
    /// `UK.OBIE.Field.InvalidDate`.
    pub fn date_in_past(path: &str) -> Self {
        Self::bad_request(
            "UK.OBIE.Field.InvalidDate",
            format!("{path} must be in the future"),
            Some(path.to_string()),
        )
    }

    /// A header is missing or wrong: `UK.OBIE.Header.Missing` / `.Invalid`.
    pub fn header(name: &str, missing: bool, message: &str) -> Self {
        let code = if missing {
            "UK.OBIE.Header.Missing"
        } else {
            "UK.OBIE.Header.Invalid"
        };
        Self::bad_request(code, message.to_string(), Some(name.to_string()))
    }

    /// The body is not a JSON object: `UK.OBIE.Field.Invalid` at the root.
    pub fn malformed_body() -> Self {
        Self::bad_request(
            "UK.OBIE.Field.Invalid",
            "the body must be a JSON object".into(),
            None,
        )
    }

    /// The same idempotency key with another body:
    /// `UK.OBIE.Resource.ConsentMismatch`.
    pub fn idempotency_mismatch() -> Self {
        Self::bad_request(
            "UK.OBIE.Resource.ConsentMismatch",
            "this x-idempotency-key was used with another request body".into(),
            Some("x-idempotency-key".into()),
        )
    }

    /// No such consent for this client: `UK.OBIE.Resource.NotFound` (404,
    /// so that another client's consent ids are not confirmed).
    pub fn not_found() -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            code: "UK.OBIE.Resource.NotFound",
            message: "no such consent".into(),
            path: None,
        }
    }

    /// The consent's status forbids this: `UK.OBIE.Resource.InvalidConsentStatus`.
    pub fn invalid_status(message: String) -> Self {
        Self::bad_request("UK.OBIE.Resource.InvalidConsentStatus", message, None)
    }

    /// The store failed: 503, nothing was changed that was acknowledged.
    pub fn unavailable() -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "UK.OBIE.UnexpectedError",
            message: "the consent store is unavailable; retry with the same x-idempotency-key".into(),
            path: None,
        }
    }

    /// The error document (answered with [`ObieError::status`]);
    /// `interaction_id` is the request's `x-fapi-interaction-id`, also the
    /// error's `Id`.
    pub fn body(&self, interaction_id: &str) -> serde_json::Value {
        let mut error = json!({"ErrorCode": self.code, "Message": self.message});
        if let Some(path) = &self.path {
            error["Path"] = json!(path);
        }
        let body = json!({
            "Code": format!("{} {}", self.status.as_u16(), self.status.canonical_reason().unwrap_or("")),
            "Id": interaction_id,
            "Message": self.message,
            "Errors": [error],
        });
        body
    }
}
