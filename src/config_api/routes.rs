//! The Config API's route table: each resource is one file under
//! `resources/` exporting its `ROUTES` (method, path template, scope,
//! handler) and its part of the OpenAPI document; [`RESOURCES`] lists the
//! files, so a resource is one file plus one line here. The router answers
//! an unknown path 404 and a known path with another method 405 with
//! `Allow` (RFC 9110 §15.5.6), both as problems; then authenticates the
//! caller for the route's scope (`authenticate.rs`), checks that a body is
//! JSON (415), and calls the handler.

use super::ConfigApi;
use super::authenticate::{Denied, Principal, authenticate};
use super::problem::Problem;
use super::resources;
use super::scope::Scope;
use crate::http::context::{Handler, HandlerFuture, RequestContext, RouteLabel};
use bytes::Bytes;
use http::header::{CONTENT_TYPE, ETAG, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

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

/// Every resource's routes. One line per resource file.
pub const RESOURCES: &[&[Route]] = &[
    resources::effective_config::ROUTES,
    resources::keys::ROUTES,
    resources::audit::ROUTES,
    resources::openapi::ROUTES,
];

/// Every served route.
pub fn all() -> impl Iterator<Item = &'static Route> {
    RESOURCES.iter().flat_map(|routes| routes.iter())
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

/// The Config API's request handler.
pub struct ConfigApiRouter {
    api: Arc<ConfigApi>,
}

impl ConfigApiRouter {
    /// A router over `api`.
    pub fn new(api: Arc<ConfigApi>) -> Self {
        Self { api }
    }

    async fn route(&self, request: Request<Bytes>, context: &RequestContext) -> Response<Bytes> {
        let path = request.uri().path().to_string();
        let on_path: Vec<(&Route, Vec<&str>)> = all()
            .filter_map(|route| matches(route.path, &path).map(|params| (route, params)))
            .collect();
        if on_path.is_empty() {
            return labelled(
                Problem::not_found("no such resource").response(),
                "config_api_not_found",
            );
        }
        let Some((route, params)) = on_path.iter().find(|(route, _)| route.method == request.method()) else {
            let allow: Vec<&str> = on_path.iter().map(|(route, _)| route.method.as_str()).collect();
            let mut response = Problem::method_not_allowed().response();
            if let Ok(allow) = HeaderValue::from_str(&allow.join(", ")) {
                response.headers_mut().insert(http::header::ALLOW, allow);
            }
            return labelled(response, "config_api_method_not_allowed");
        };
        let principal = match route.scope {
            Some(scope) => match authenticate(&self.api, &request, context, scope).await {
                Ok(principal) => Some(principal),
                Err(Denied::Refused(refusal)) => {
                    let now = self.api.clock.now_unix();
                    tracing::info!(reason = refusal.reason.code(), route = route.label, client = %context.client_addr, "config API: token refused");
                    self.api
                        .failures
                        .record(&self.api.store, &refusal, context.client_addr, now)
                        .await;
                    return labelled(refusal.response(), route.label);
                }
                Err(Denied::Unavailable) => return labelled(Problem::unavailable().response(), route.label),
            },
            None => None,
        };
        if !request.body().is_empty() && !is_json(&request) {
            return labelled(Problem::unsupported_media_type().response(), route.label);
        }
        let call = Call {
            api: &self.api,
            request: &request,
            params: params.clone(),
            principal,
        };
        let response = match (route.handle)(call).await {
            Ok(response) => response,
            Err(problem) => problem.response(),
        };
        labelled(response, route.label)
    }
}

/// `application/json`, or a `+json` type (RFC 6839 §3.1), with parameters.
fn is_json(request: &Request<Bytes>) -> bool {
    request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .is_some_and(|media| media == "application/json" || media.ends_with("+json"))
}

fn labelled(mut response: Response<Bytes>, label: &'static str) -> Response<Bytes> {
    response.extensions_mut().insert(RouteLabel(label));
    response
}

impl Handler for ConfigApiRouter {
    fn handle<'a>(&'a self, request: Request<Bytes>, context: &'a RequestContext) -> HandlerFuture<'a> {
        Box::pin(self.route(request, context))
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

    /// No two routes share a method and a path.
    #[test]
    fn routes_are_unique() {
        let routes: Vec<_> = all().collect();
        for (i, a) in routes.iter().enumerate() {
            for b in &routes[i + 1..] {
                assert!(
                    !(a.method == b.method && a.path == b.path),
                    "{} {}",
                    a.method,
                    a.path
                );
            }
        }
    }
}
