//! The Config API's router over the route tables: each resource is one
//! file under `resources/` exporting its `ROUTES` (`route.rs`) and its part
//! of the OpenAPI document; [`RESOURCES`] lists the files, so a resource is
//! one file plus one line here. The router answers an unknown path 404 and
//! a known path with another method 405 with `Allow` (RFC 9110 §15.5.6),
//! both as problems; then authenticates the caller for the route's scope
//! (`authenticate.rs`), checks that a body is JSON (415), and calls the
//! handler.

use super::ConfigApi;
use super::authenticate::{Denied, authenticate};
use super::problem::Problem;
use super::resources;
use super::route::{Call, Route, matches};
use crate::http::context::{Handler, HandlerFuture, RequestContext, RouteLabel};
use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Request, Response};
use std::sync::Arc;

/// Every resource's routes. One line per resource file.
pub const RESOURCES: &[&[Route]] = &[
    resources::effective_config::ROUTES,
    resources::keys::ROUTES,
    resources::clients::ROUTES,
    resources::customers::ROUTES,
    resources::trusted_directories::ROUTES,
    resources::resource_servers::ROUTES,
    resources::audit::ROUTES,
    resources::policies::ROUTES,
    resources::openapi::ROUTES,
];

/// Every served route.
pub fn all() -> impl Iterator<Item = &'static Route> {
    RESOURCES.iter().flat_map(|routes| routes.iter())
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

    fn refuse(&self, error: &crate::protocol::error::OAuthError) -> Response<Bytes> {
        super::problem::Problem::before_routing(error).response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// (method, path) of every operation the OpenAPI document describes.
    fn documented() -> BTreeSet<(String, String)> {
        let doc = resources::openapi::document();
        let mut out = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                out.insert((method.to_ascii_uppercase(), path.clone()));
            }
        }
        out
    }

    /// Every route of the table is documented, every documented operation
    /// is served, and each says the scope the table enforces.
    #[test]
    fn the_openapi_document_and_the_route_table_agree() {
        let served: BTreeSet<(String, String)> = all()
            .map(|r| (r.method.as_str().to_string(), r.path.to_string()))
            .collect();
        assert_eq!(documented(), served);
        let doc = resources::openapi::document();
        for route in all() {
            let op = &doc["paths"][route.path][route.method.as_str().to_ascii_lowercase()];
            let security = op["security"].as_array().unwrap();
            match route.scope {
                None => assert!(security.is_empty(), "{}", route.path),
                Some(scope) => {
                    for requirement in security {
                        let (_, roles) = requirement.as_object().unwrap().iter().next().unwrap();
                        assert_eq!(
                            roles,
                            &serde_json::json!([scope.as_str()]),
                            "{} {}",
                            route.method,
                            route.path
                        );
                    }
                }
            }
        }
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
