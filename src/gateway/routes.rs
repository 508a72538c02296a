//! The route table: method + path prefix -> the scopes a call needs and
//! whether it submits a payment. Matching is on whole path segments and
//! the longest prefix wins; no match is 404.

use crate::config::RouteConfig;
use http::Method;

/// One route, ready for matching.
#[derive(Debug, Clone)]
pub struct Route {
    /// Metrics label (leaked once at start-up: routes live as long as the process).
    pub name: &'static str,
    methods: Vec<Method>,
    prefix: String,
    /// Scopes the token must all have.
    pub scopes: Vec<String>,
    /// A payment submission checked against the token's consent.
    pub payment_consent: bool,
}

/// The configured routes.
#[derive(Debug, Clone)]
pub struct RouteTable(Vec<Route>);

impl RouteTable {
    /// Builds the table; methods were checked at start-up (others are dropped).
    pub fn new(routes: &[RouteConfig]) -> Self {
        let mut table: Vec<Route> = routes
            .iter()
            .map(|r| Route {
                name: Box::leak(r.name.clone().into_boxed_str()),
                methods: r.methods.iter().filter_map(|m| m.parse().ok()).collect(),
                prefix: r.path_prefix.trim_end_matches('/').to_string(),
                scopes: r.scopes.clone(),
                payment_consent: r.payment_consent,
            })
            .collect();
        // Longest prefix first, so the first match is the most specific.
        table.sort_by_key(|route| std::cmp::Reverse(route.prefix.len()));
        Self(table)
    }

    /// The route for `method` and `path`.
    pub fn find(&self, method: &Method, path: &str) -> Option<&Route> {
        self.0.iter().find(|route| {
            let on_boundary = path
                .strip_prefix(route.prefix.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
            on_boundary && (route.methods.is_empty() || route.methods.contains(method))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(name: &str, methods: &[&str], prefix: &str) -> RouteConfig {
        RouteConfig {
            name: name.into(),
            methods: methods.iter().map(|m| m.to_string()).collect(),
            path_prefix: prefix.into(),
            scopes: vec![],
            payment_consent: false,
        }
    }

    #[test]
    fn longest_prefix_on_segment_boundaries_with_methods() {
        let table = RouteTable::new(&[
            route("accounts", &["GET"], "/open-banking/v3.1/aisp"),
            route("payments", &["POST"], "/open-banking/v3.1/pisp/domestic-payments"),
            route("pisp", &[], "/open-banking/v3.1/pisp/"),
        ]);
        let find = |m: Method, p: &str| table.find(&m, p).map(|r| r.name);
        assert_eq!(
            find(Method::GET, "/open-banking/v3.1/aisp/accounts"),
            Some("accounts")
        );
        assert_eq!(find(Method::POST, "/open-banking/v3.1/aisp/accounts"), None);
        assert_eq!(find(Method::GET, "/open-banking/v3.1/aispx"), None);
        assert_eq!(
            find(Method::POST, "/open-banking/v3.1/pisp/domestic-payments"),
            Some("payments")
        );
        assert_eq!(
            find(Method::GET, "/open-banking/v3.1/pisp/domestic-payments/1"),
            Some("pisp")
        );
    }
}
