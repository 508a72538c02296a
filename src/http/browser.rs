//! Helpers for the browser-facing endpoints: HTML pages with their security
//! headers, redirects, cookies and query strings.

use crate::login::headers;
use crate::protocol::error::OAuthError;
use crate::protocol::form::Form;
use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue, LOCATION, SET_COOKIE};
use http::{HeaderMap, Response, StatusCode};

/// An HTML page with the login service's security headers
/// (`Content-Security-Policy`, `X-Frame-Options`, no-store, ...).
pub fn page(status: StatusCode, html: String, csp: Option<&str>) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(html));
    *response.status_mut() = status;
    let h = response.headers_mut();
    for (name, value) in headers::PAGE_HEADERS {
        if let (Ok(name), Ok(value)) = (http::HeaderName::try_from(*name), HeaderValue::from_str(value)) {
            h.insert(name, value);
        }
    }
    h.insert(CONTENT_TYPE, HeaderValue::from_static(headers::CONTENT_TYPE));
    if let Some(csp) = csp.and_then(|c| HeaderValue::from_str(c).ok()) {
        h.insert(http::header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}

/// An error page for problems that must not go to a redirect URI (the
/// client or redirect URI is not verified: RFC 6749 §4.1.2.1).
/// A 503 page says when to come back (RFC 9110 §10.2.3 `Retry-After`).
pub fn error_page(status: StatusCode, error: &OAuthError, interaction_id: &str) -> Response<Bytes> {
    let message = error.description.as_deref().unwrap_or(error.code.as_str());
    let html = crate::login::error_page("This request cannot continue", message, Some(interaction_id));
    let mut response = page(status, html, None);
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

/// [`error_page`] with the status of `error`'s code (RFC 6749 §5.2 and the
/// OP's error table: `temporarily_unavailable` is 503).
pub fn oauth_error_page(error: &OAuthError, interaction_id: &str) -> Response<Bytes> {
    let status = StatusCode::from_u16(error.code.row().status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    error_page(status, error, interaction_id)
}

/// 303 See Other to `location`.
pub fn see_other(location: &str) -> Response<Bytes> {
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
        .headers_mut()
        .insert(http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Adds a `__Host-` cookie: Secure, HttpOnly, SameSite=Lax, Path=/ (RFC 6265bis §4.1.3.2).
pub fn set_cookie(response: &mut Response<Bytes>, name: &str, value: &str, max_age_secs: u64) {
    let cookie = format!("{name}={value}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(SET_COOKIE, value);
    }
}

/// The value of cookie `name` in the request, if sent.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The query string as a form (repeated parameters refused, RFC 6749 §3.1).
pub fn query(uri: &http::Uri) -> Result<Form, OAuthError> {
    Form::parse(uri.query().unwrap_or("").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::error::ErrorCode;

    /// RFC 9110 §10.2.3: a page that cannot be served now says when to
    /// come back; a request that is wrong is 400 and says nothing of it.
    #[test]
    fn an_error_page_has_its_code_status_and_a_503_says_when_to_retry() {
        let unavailable = oauth_error_page(
            &OAuthError::new(ErrorCode::TemporarilyUnavailable, "try again"),
            "ix-1",
        );
        assert_eq!(unavailable.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(unavailable.headers().contains_key(http::header::RETRY_AFTER));
        let wrong = oauth_error_page(&OAuthError::invalid_request("no"), "ix-1");
        assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
        assert!(!wrong.headers().contains_key(http::header::RETRY_AFTER));
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::COOKIE,
            HeaderValue::from_static("a=1; __Host-x=abc; b=2"),
        );
        assert_eq!(cookie(&headers, "__Host-x"), Some("abc"));
        assert_eq!(cookie(&headers, "c"), None);
    }
}
