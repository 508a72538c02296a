//! How the bank API answers: JSON bodies, Open Banking's error response
//! (`OBErrorResponse1`, [`Denied`]) and its `ISODateTime` (RFC 3339).

use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::{Value, json};

/// A refused request: its status, Open Banking error code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl Denied {
    /// The Open Banking error code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The `OBErrorResponse1` response.
    pub fn response(&self) -> Response<Bytes> {
        let body = json!({
            "Code": format!("{} {}", self.status.as_u16(), self.status.canonical_reason().unwrap_or("")),
            "Message": self.message,
            "Errors": [{"ErrorCode": self.code, "Message": self.message}],
        });
        json_response(self.status, &body)
    }
}

/// A refusal with `status`, the Open Banking error `code` and `message`.
pub fn error(status: StatusCode, code: &'static str, message: &str) -> Denied {
    Denied {
        status,
        code,
        message: message.into(),
    }
}

/// A JSON response.
pub fn json_response(status: StatusCode, body: &Value) -> Response<Bytes> {
    crate::http::response::json(status, Bytes::from(body.to_string()))
}

/// RFC 3339 of unix seconds (Open Banking `ISODateTime`).
pub fn rfc3339(unix: u64) -> String {
    i64::try_from(unix)
        .ok()
        .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}
