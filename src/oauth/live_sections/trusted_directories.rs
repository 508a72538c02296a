//! `[[registration.trusted_directories]]` as a section managed live (the
//! Config API's `/trusted-directories`), keyed by `issuer`: the `iss` of
//! the directory's software statements, the name registration looks a
//! statement's directory up by (`registration/directories.rs`). The API
//! names a directory by its issuer percent-encoded into one path segment
//! (RFC 3986 §2.1): no second identifier to keep unique and in step, and
//! the audit record's target is the very name statements carry.
//!
//! `jwks_file` is refused through the API: a path on the writing node's
//! disk is not a value every node can honour (another node may lack the
//! file, and the API would read files it names); give `jwks_uri`. A
//! directory carried over from the file keeps the `jwks_file` it has
//! (start-up checked it on every node), unchanged.

use super::section::{FieldProblem, ListSection, Section};
use crate::config::{Config, TrustedDirectoryConfig};
use serde_json::{Map, Value, json};

/// The trusted directories.
pub struct TrustedDirectories;

impl Section for TrustedDirectories {
    const NAME: &'static str = "trusted_directories";
    const PATH: &'static str = "registration.trusted_directories";
    type Value = Vec<TrustedDirectoryConfig>;

    fn of(config: &Config) -> Self::Value {
        config.registration.trusted_directories.clone()
    }

    fn set(config: &mut Config, value: Self::Value) {
        config.registration.trusted_directories = value;
    }

    fn api_problems(before: &Self::Value, after: &Self::Value) -> Vec<FieldProblem> {
        let mut problems = Vec::new();
        for directory in after {
            let Some(path) = &directory.jwks_file else {
                continue;
            };
            let carried = before
                .iter()
                .any(|b| b.issuer == directory.issuer && b.jwks_file.as_ref() == Some(path));
            if !carried {
                problems.push(FieldProblem::new(
                    "jwks_file",
                    "a path on one node's disk is not an API value: give jwks_uri (https), which every node fetches",
                ));
            }
        }
        problems
    }
}

impl ListSection for TrustedDirectories {
    type Item = TrustedDirectoryConfig;
    const KEY: &'static str = "issuer";
    const ITEM: &'static str = "trusted directory";
    const TARGET: &'static str = "trusted_directory";

    fn items(value: &Self::Value) -> &[Self::Item] {
        value
    }

    fn value_of(items: Vec<Self::Item>) -> Self::Value {
        items
    }

    fn key(item: &Self::Item) -> &str {
        &item.issuer
    }

    fn template() -> Map<String, Value> {
        match json!({
            "issuer": "https://template.directory.invalid",
            "jwks_uri": "https://template.directory.invalid/jwks",
            "status_endpoint": "https://template.directory.invalid/software/{software_id}/status",
            "revocation_endpoint": "https://template.directory.invalid/software/{software_id}/revoked"
        }) {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }
}
