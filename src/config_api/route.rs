//! What a Config API route is: a method, a path template, the scope its
//! caller needs and a handler over a [`Call`]; the resources' files
//! (`resources/`) fill tables of them and `router.rs` serves the tables.

use super::ConfigApi;
use super::authenticate::Principal;
use super::problem::{FieldError, Problem};
use super::scope::Scope;
use bytes::Bytes;
use http::header::{CONTENT_TYPE, ETAG, HeaderValue, IF_MATCH};
use http::{Method, Request, Response, StatusCode};
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;

/// What a handler returns.
pub type Answer<'a> = Pin<Box<dyn Future<Output = Result<Response<Bytes>, Problem>> + Send + 'a>>;

/// A handler: the call in, a response or a problem out.
pub type Handle = for<'a> fn(Call<'a>) -> Answer<'a>;

/// One request as a handler sees it.
pub struct Call<'a> {
    /// The API's state.
    pub api: &'a ConfigApi,
    /// The request (body read within `config_api.max_body_bytes`).
    pub request: &'a Request<Bytes>,
    /// The path template's `{parameters}`, in order.
    pub params: Vec<&'a str>,
    /// The authenticated caller; `None` on a route without a scope.
    pub principal: Option<Principal>,
}

/// One row of a resource's table.
#[derive(Debug)]
pub struct Route {
    /// The method.
    pub method: Method,
    /// The path template: `/keys/{kid}/activate`.
    pub path: &'static str,
    /// The scope the caller's token needs; `None`: no token needed.
    pub scope: Option<Scope>,
    /// The metrics label.
    pub label: &'static str,
    /// The handler.
    pub handle: Handle,
}

/// The `{parameters}` of `path` when it matches `template`.
pub fn matches<'p>(template: &str, path: &'p str) -> Option<Vec<&'p str>> {
    let mut params = Vec::new();
    let mut wanted = template.split('/');
    let mut given = path.split('/');
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return Some(params),
            (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') => {
                if g.is_empty() {
                    return None;
                }
                params.push(g);
            }
            (Some(w), Some(g)) if w == g => {}
            _ => return None,
        }
    }
}

/// A JSON representation with its strong `ETag` (RFC 9110 §8.8.3).
pub fn representation(status: StatusCode, body: Vec<u8>) -> Response<Bytes> {
    let tag = super::etag::of(&body);
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Ok(tag) = HeaderValue::from_str(&tag) {
        response.headers_mut().insert(ETAG, tag);
    }
    response
}

/// An action without a body (activate a key, disable a client): none, or
/// an empty JSON object; each member given is one bad field.
pub fn no_body(call: &Call<'_>) -> Result<(), Problem> {
    let body = call.request.body();
    if body.is_empty() {
        return Ok(());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(members)) if members.is_empty() => Ok(()),
        Ok(Value::Object(members)) => Err(Problem::invalid(
            members
                .keys()
                .map(|name| FieldError::member(name, "unknown member"))
                .collect(),
        )),
        _ => Err(Problem::invalid(vec![FieldError::new("", "must be empty or {}")])),
    }
}

/// A path segment with each `%HH` decoded (RFC 3986 §2.1: a client id or
/// a username may hold characters a segment cannot); `None` for a bad
/// escape or bytes that are not UTF-8.
pub fn percent_decoded(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 3;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// A write's JSON body; an empty one is a problem naming `what` it must
/// hold (`a [[clients]] entry's members`). serde's message is left out:
/// it may quote the body (RFC 9457 answers and logs outlive the data).
pub fn json_body(call: &Call<'_>, what: &str) -> Result<serde_json::Value, Problem> {
    let body = call.request.body();
    if body.is_empty() {
        return Err(Problem::invalid(vec![
            crate::config_api::problem::FieldError::member("", format!("a JSON object is required: {what}")),
        ]));
    }
    serde_json::from_slice(body).map_err(|_| {
        Problem::invalid(vec![crate::config_api::problem::FieldError::member(
            "", "not JSON",
        )])
    })
}

/// `If-Match`, required on every change of an existing resource (RFC 6585
/// §3: 428 without). Several fields are one list (RFC 9110 §5.3); a value
/// that is not visible ASCII matches no ETag (412).
pub fn if_match(call: &Call<'_>) -> Result<String, Problem> {
    let values: Vec<&str> = call
        .request
        .headers()
        .get_all(IF_MATCH)
        .iter()
        .map(|v| v.to_str().unwrap_or("\"\""))
        .collect();
    match values.is_empty() {
        true => Err(Problem::precondition_required()),
        false => Ok(values.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 3986 §2.1: `%HH` escapes decoded; a bad escape is no id.
    #[test]
    fn a_path_segment_is_percent_decoded() {
        assert_eq!(percent_decoded("shop-1").as_deref(), Some("shop-1"));
        assert_eq!(percent_decoded("a%20b%2Fc").as_deref(), Some("a b/c"));
        assert_eq!(percent_decoded("%C3%A9").as_deref(), Some("é"));
        assert_eq!(percent_decoded("%zz"), None);
        assert_eq!(percent_decoded("%4"), None);
        assert_eq!(percent_decoded("%+1"), None);
        assert_eq!(percent_decoded("%FF"), None);
    }

    #[test]
    fn templates_match_whole_segments() {
        assert_eq!(
            matches("/keys/{kid}/activate", "/keys/abc/activate"),
            Some(vec!["abc"])
        );
        assert_eq!(matches("/keys/{kid}/activate", "/keys//activate"), None);
        assert_eq!(matches("/keys", "/keys/"), None);
        assert_eq!(matches("/keys", "/keys"), Some(vec![]));
        assert_eq!(matches("/keys/{kid}/retire", "/keys/abc/activate"), None);
    }
}
