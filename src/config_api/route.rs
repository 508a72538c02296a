//! What a Config API route is: a method, a path template, the scope its
//! caller needs and a handler over a [`Call`]; the resources' files
//! (`resources/`) fill tables of them and `router.rs` serves the tables.

use super::ConfigApi;
use super::authenticate::Principal;
use super::problem::{FieldError, Problem};
use super::scope::Scope;
use bytes::Bytes;
use http::header::{CONTENT_TYPE, ETAG, HeaderValue};
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

#[cfg(test)]
mod tests {
    use super::*;

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
