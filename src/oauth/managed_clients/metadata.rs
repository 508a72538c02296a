//! A client document's metadata from a request body: the JSON form of a
//! `[[clients]]` entry (`config::StaticClientConfig`), checked with the
//! rules start-up applies to the file (`config::client_problems`) plus
//! those a document shared by every node needs, every problem reported
//! with its member's name and never its value (RFC 9457 problem details
//! list them; a value may be a secret pasted in the wrong member).

use super::error::FieldProblem;
use crate::config::{Config, StaticClientConfig};
use serde_json::{Map, Value, json};

/// The members an entry must have (no serde default).
const REQUIRED: [&str; 4] = [
    "client_id",
    "client_name",
    "redirect_uris",
    "token_endpoint_auth_method",
];

/// Longest client id a document may have.
const MAX_CLIENT_ID: usize = 128;

/// A valid entry standing in for the members a body did not give, so that
/// each given member is tried on its own.
fn template() -> Map<String, Value> {
    match json!({
        "client_id": "template",
        "client_name": "template",
        "redirect_uris": ["https://template.example/cb"],
        "token_endpoint_auth_method": "tls_client_auth",
    }) {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The entry `body` describes, for client `path_id` when the request names
/// one (an update: a `client_id` member must then be the same), or every
/// problem with it.
pub fn parse(
    config: &Config,
    body: &Value,
    path_id: Option<&str>,
) -> Result<StaticClientConfig, Vec<FieldProblem>> {
    let problem = |field: &str, message: &str| FieldProblem {
        field: field.to_string(),
        message: message.to_string(),
    };
    let Value::Object(given) = body else {
        return Err(vec![problem(
            "",
            "the body must be a JSON object: a [[clients]] entry",
        )]);
    };
    let mut given = given.clone();
    if let Some(id) = path_id {
        match given.get("client_id") {
            None => {
                given.insert("client_id".into(), Value::String(id.to_string()));
            }
            Some(Value::String(named)) if named == id => {}
            Some(_) => {
                return Err(vec![problem(
                    "client_id",
                    "must be the id of the client being updated (a client id never changes)",
                )]);
            }
        }
    }
    let mut problems = member_problems(&given);
    if !problems.is_empty() {
        return Err(problems);
    }
    let entry: StaticClientConfig = match serde_json::from_value(Value::Object(given)) {
        Ok(entry) => entry,
        Err(_) => return Err(vec![problem("", "not a valid [[clients]] entry")]),
    };
    problems.extend(document_problems(&entry));
    let prefix = format!("clients.{}.", entry.client_id);
    problems.extend(
        crate::config::client_problems(config, &entry)
            .into_iter()
            .map(|e| FieldProblem {
                field: e.field.strip_prefix(&prefix).unwrap_or(&e.field).to_string(),
                message: e.message,
            }),
    );
    if problems.is_empty()
        && let Err(error) = crate::model::Client::from_static(&entry)
    {
        // The key file or subject DN this node could not use (the message
        // names the member and the file, never a key).
        let text = error.to_string();
        let field = match text.contains(".tls_client_auth_subject_dn") {
            true => "tls_client_auth_subject_dn",
            false => "jwks_file",
        };
        problems.push(problem(field, &text));
    }
    match problems.is_empty() {
        true => Ok(entry),
        false => Err(problems),
    }
}

/// Unknown, missing and ill-typed members, each on its own: a member is
/// tried in an otherwise valid entry, so its problem is its own. The
/// message says what was expected (serde's text after "expected"), never
/// the value given.
fn member_problems(given: &Map<String, Value>) -> Vec<FieldProblem> {
    let base = template();
    let known: Vec<String> = match serde_json::from_value::<StaticClientConfig>(Value::Object(base.clone()))
        .ok()
        .and_then(|entry| serde_json::to_value(entry).ok())
    {
        Some(Value::Object(all)) => all.keys().cloned().collect(),
        _ => Vec::new(),
    };
    let mut problems = Vec::new();
    for name in REQUIRED {
        if !given.contains_key(name) {
            problems.push(FieldProblem {
                field: name.to_string(),
                message: "is required".into(),
            });
        }
    }
    let mut names: Vec<&String> = given.keys().collect();
    names.sort();
    for name in names {
        if !known.iter().any(|k| k == name) {
            problems.push(FieldProblem {
                field: name.clone(),
                message: "is not a member of a [[clients]] entry (client secrets are not supported: FAPI clients authenticate with private_key_jwt or mTLS)".into(),
            });
            continue;
        }
        let mut one = base.clone();
        one.insert(name.clone(), given.get(name).cloned().unwrap_or(Value::Null));
        if let Err(error) = serde_json::from_value::<StaticClientConfig>(Value::Object(one)) {
            let text = error.to_string();
            let expected = text
                .split_once("expected ")
                .map_or("has a value of the wrong type".to_string(), |(_, what)| {
                    format!("expected {what}")
                });
            problems.push(FieldProblem {
                field: name.clone(),
                message: expected,
            });
        }
    }
    problems
}

/// The start-up rule between clients and resource servers
/// (`config/resource_servers.rs`: a resource server is not a client, RFC
/// 8705 §2.1.2), from the client's side: its id is no resource server's
/// and, authenticating with `tls_client_auth`, its subject DN is none's
/// (RFC 4517 distinguishedNameMatch), so that no client certificate can act
/// as the gateway.
pub fn resource_server_problems(
    servers: &[crate::config::ResourceServerConfig],
    entry: &StaticClientConfig,
) -> Vec<FieldProblem> {
    use crate::protocol::client_auth::{DistinguishedName, TokenEndpointAuthMethod};
    let mut problems = Vec::new();
    if servers.iter().any(|rs| rs.id == entry.client_id) {
        problems.push(FieldProblem {
            field: "client_id".into(),
            message: "a resource server has this id: a resource server is not a client".into(),
        });
    }
    let dn = entry
        .tls_client_auth_subject_dn
        .as_deref()
        .filter(|_| entry.token_endpoint_auth_method == TokenEndpointAuthMethod::TlsClientAuth)
        .and_then(|dn| DistinguishedName::parse_rfc4514(dn).ok());
    if let Some(dn) = dn
        && servers.iter().any(|rs| {
            DistinguishedName::parse_rfc4514(&rs.tls_client_auth_subject_dn).is_ok_and(|r| r.matches(&dn))
        })
    {
        problems.push(FieldProblem {
            field: "tls_client_auth_subject_dn".into(),
            message: "a resource server has this subject DN: give the client its own certificate".into(),
        });
    }
    problems
}

/// What a document needs beyond a file entry: an id fit for a URL path
/// and a store key (RFC 3986 §2.3 unreserved characters), and a key file
/// named absolutely (every node reads it; there is no file to be relative
/// to).
fn document_problems(entry: &StaticClientConfig) -> Vec<FieldProblem> {
    let mut problems = Vec::new();
    let id = &entry.client_id;
    let unreserved = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~');
    if id.is_empty() || id.len() > MAX_CLIENT_ID || !id.chars().all(unreserved) {
        problems.push(FieldProblem {
            field: "client_id".into(),
            message: format!("1 to {MAX_CLIENT_ID} characters of A-Z a-z 0-9 - . _ ~ (RFC 3986 §2.3)"),
        });
    }
    if entry.client_name.trim().is_empty() {
        problems.push(FieldProblem {
            field: "client_name".into(),
            message: "must not be empty (it is shown on the consent page)".into(),
        });
    }
    if entry.jwks_file.as_ref().is_some_and(|p| p.is_relative()) {
        problems.push(FieldProblem {
            field: "jwks_file".into(),
            message: "must be an absolute path present on every node (or give jwks_uri)".into(),
        });
    }
    problems
}
