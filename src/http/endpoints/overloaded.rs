//! The answer to a request the admission gate shed (`http::admission`):
//! 503 with `Retry-After: 1` (RFC 9110 §15.6.4, §10.2.3) in the error
//! format its endpoint answers every other 503 in, built from the request
//! head alone (no body parsed, no store, no signature).

use super::interaction_api::problem;
use crate::consent::error::ObieError;
use crate::http::{browser, response};
use bytes::Bytes;
use http::header::{HeaderValue, RETRY_AFTER};
use http::{Response, StatusCode};

/// Seconds a shed client is asked to wait: a small integer (RFC 9110
/// §10.2.3 `delay-seconds`); an overload is measured in seconds.
pub const RETRY_AFTER_SECS: u32 = 1;

/// The error formats of the endpoint families.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorFormat {
    /// RFC 6749 §5.2 JSON: `temporarily_unavailable` (the token, PAR,
    /// introspection, revocation, registration, userinfo endpoints, ...).
    OAuth,
    /// An HTML page for a customer's browser (authorize, login, consent, the
    /// dashboard): RFC 6749 §4.1.2.1's `temporarily_unavailable` cannot be
    /// redirected to a client that was not checked, so it is shown.
    Page,
    /// An RFC 9457 problem document (the interaction API).
    Problem,
    /// The UK OBIE error structure (the consent API).
    Obie,
}

/// 503 with `Retry-After` in `format`.
pub fn response(format: ErrorFormat, interaction_id: &str) -> Response<Bytes> {
    let mut answer = match format {
        ErrorFormat::OAuth => response::error(&response::overloaded()),
        ErrorFormat::Page => browser::error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            &response::overloaded(),
            interaction_id,
        ),
        ErrorFormat::Problem => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the server is overloaded: retry after the time in Retry-After",
        ),
        ErrorFormat::Obie => {
            let error = ObieError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                code: "UK.OBIE.UnexpectedError",
                message: "the server is overloaded: retry after the time in Retry-After".into(),
                path: None,
            };
            response::json(error.status, Bytes::from(error.body(interaction_id).to_string()))
        }
    };
    answer
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    answer
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::CONTENT_TYPE;

    fn json(response: &Response<Bytes>) -> serde_json::Value {
        serde_json::from_slice(response.body()).unwrap()
    }

    /// RFC 9110 §15.6.4 (503) with §10.2.3 `Retry-After` in seconds, in
    /// each family's own error format.
    #[test]
    fn every_format_is_503_with_retry_after_rfc9110_s15_6_4_s10_2_3() {
        for format in [
            ErrorFormat::OAuth,
            ErrorFormat::Page,
            ErrorFormat::Problem,
            ErrorFormat::Obie,
        ] {
            let answer = response(format, "ix-1");
            assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE, "{format:?}");
            assert_eq!(answer.headers()[RETRY_AFTER], "1", "{format:?}");
        }
        // RFC 6749 §5.2.
        assert_eq!(
            json(&response(ErrorFormat::OAuth, "ix-1"))["error"],
            "temporarily_unavailable"
        );
        let page = response(ErrorFormat::Page, "ix-1");
        assert!(
            page.headers()[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let problem = response(ErrorFormat::Problem, "ix-1");
        assert_eq!(problem.headers()[CONTENT_TYPE], "application/problem+json");
        assert_eq!(json(&problem)["status"], 503);
        let obie = json(&response(ErrorFormat::Obie, "ix-1"));
        assert_eq!(obie["Errors"][0]["ErrorCode"], "UK.OBIE.UnexpectedError");
    }
}
