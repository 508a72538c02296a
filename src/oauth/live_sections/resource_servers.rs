//! `[[resource_servers]]` as a section managed live (the Config API's
//! `/resource-servers`), keyed by `id`. The start-up rules hold for every
//! write (`config/resource_servers.rs`, `config/interaction_apps.rs`: an
//! id no client has, a subject DN no `tls_client_auth` client has, an
//! interaction app still named by `login.interaction_app` or a client
//! cannot go); the clients checked against are the file's and the stored
//! client documents' (`LiveSections::write` reads those inside its
//! transaction). An id written through the API is also fit for a URL path
//! (RFC 3986 §2.3 unreserved characters, at most 128), as a stored
//! client's is.

use super::section::{FieldProblem, ListSection, Section};
use crate::config::{Config, ResourceServerConfig};
use serde_json::{Map, Value, json};

/// Longest resource server id written through the API.
const MAX_ID: usize = 128;

/// The resource servers.
pub struct ResourceServers;

impl Section for ResourceServers {
    const NAME: &'static str = "resource_servers";
    const PATH: &'static str = "resource_servers";
    type Value = Vec<ResourceServerConfig>;

    fn of(config: &Config) -> Self::Value {
        config.resource_servers.clone()
    }

    fn set(config: &mut Config, value: Self::Value) {
        config.resource_servers = value;
    }

    fn api_problems(before: &Self::Value, after: &Self::Value) -> Vec<FieldProblem> {
        let unreserved = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~');
        let bad = after.iter().any(|rs| {
            !before.iter().any(|b| b.id == rs.id)
                && (rs.id.is_empty() || rs.id.len() > MAX_ID || !rs.id.chars().all(unreserved))
        });
        let mut problems = match bad {
            true => vec![FieldProblem::new(
                "id",
                format!("1 to {MAX_ID} characters of A-Z a-z 0-9 - . _ ~ (RFC 3986 §2.3)"),
            )],
            false => Vec::new(),
        };
        // A path on the writing node's disk is no API value (as for the
        // trusted directories); one carried over from the file stays.
        let new_file = after.iter().any(|rs| {
            rs.jwks_file.as_ref().is_some_and(|path| {
                !before
                    .iter()
                    .any(|b| b.id == rs.id && b.jwks_file.as_ref() == Some(path))
            })
        });
        if new_file {
            problems.push(FieldProblem::new(
                "jwks_file",
                "a path on one node's disk is not an API value: give jwks_uri (https), which every node fetches",
            ));
        }
        problems
    }
}

impl ListSection for ResourceServers {
    type Item = ResourceServerConfig;
    const KEY: &'static str = "id";
    const ITEM: &'static str = "resource server";
    const TARGET: &'static str = "resource_server";

    fn items(value: &Self::Value) -> &[Self::Item] {
        value
    }

    fn value_of(items: Vec<Self::Item>) -> Self::Value {
        items
    }

    fn key(item: &Self::Item) -> &str {
        &item.id
    }

    fn template() -> Map<String, Value> {
        // An interaction app with a notice URL, so that those members are
        // checked (and known) too.
        match json!({
            "id": "template.invalid",
            "tls_client_auth_subject_dn": "CN=template.invalid",
            "interaction_login_url": "https://login.template.invalid/",
            "revocation_notice_url": "http://gateway.template.invalid/revocations"
        }) {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(jwks_file: Option<&str>) -> ResourceServerConfig {
        ResourceServerConfig {
            id: "bank-login".into(),
            tls_client_auth_subject_dn: "CN=bank-login".into(),
            interaction_login_url: Some("https://login.bank.example/".into()),
            interaction_requests_per_second: 200,
            interaction_burst: 400,
            jwks_file: jwks_file.map(Into::into),
            jwks_uri: None,
            revocation_notice_url: None,
        }
    }

    /// An interaction app's `jwks_file` is a path on one node's disk: not
    /// written through the Config API; one carried over from the file stays.
    #[test]
    fn a_jwks_file_is_refused_through_the_api_unless_carried_over() {
        let problems = ResourceServers::api_problems(&vec![app(None)], &vec![app(Some("/keys.json"))]);
        assert!(problems.iter().any(|p| p.field == "jwks_file"), "{problems:?}");
        let carried = vec![app(Some("/keys.json"))];
        assert!(ResourceServers::api_problems(&carried, &carried).is_empty());
        assert!(
            ResourceServers::api_problems(&carried, &vec![app(Some("/other.json"))])
                .iter()
                .any(|p| p.field == "jwks_file")
        );
    }
}
