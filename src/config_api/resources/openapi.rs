//! `GET /openapi.json`: the Config API described as an OpenAPI 3.1
//! document, assembled from each resource file's own part (its `openapi()`:
//! paths and schemas, written next to its handlers) and the parts they
//! share here: the security schemes (a JWT access token as `Bearer`, RFC
//! 6750, or `DPoP`, RFC 9449; the scopes an operation needs are the
//! requirement's roles, OpenAPI 3.1 §4.8.30), the problem responses (RFC
//! 9457), `ETag` and `If-Match`.
//!
//! Served without a token: it says what the API's routes, scopes and
//! shapes are — what a caller needs to ask for the right token — and
//! nothing about this deployment (no configuration, no keys, no records);
//! the same text ships with the source. Tests check that every `$ref`
//! resolves, and (`router.rs`) that every route of the table is
//! documented and every documented operation is served.

use crate::config_api::route::{Answer, Call, Route, representation};
use crate::config_api::scope::Scope;
use http::{Method, StatusCode};
use serde_json::{Map, Value, json};

/// The routes.
pub const ROUTES: &[Route] = &[Route {
    method: Method::GET,
    path: "/openapi.json",
    scope: None,
    label: "config_api_openapi",
    handle: get,
}];

fn get(_call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let body = serde_json::to_vec(&document()).unwrap_or_default();
        Ok(representation(StatusCode::OK, body))
    })
}

/// The resources' parts, one per resource file.
fn parts() -> Vec<Value> {
    vec![
        super::effective_config::openapi(),
        super::keys::openapi(),
        super::clients::openapi(),
        super::customers::openapi(),
        super::trusted_directories::openapi(),
        super::resource_servers::openapi(),
        super::audit::openapi(),
        super::policies::openapi(),
        own(),
    ]
}

/// This document's own path.
fn own() -> Value {
    json!({
        "paths": {
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This document",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The OpenAPI 3.1 document",
                            "headers": { "ETag": { "$ref": "#/components/headers/ETag" } },
                            "content": { "application/json": { "schema": { "type": "object" } } }
                        }
                    }
                }
            }
        },
        "schemas": {}
    })
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    schemas.insert("Problem".into(), problem_schema());
    for part in parts() {
        if let Some(more) = part.get("paths").and_then(Value::as_object) {
            paths.extend(more.clone());
        }
        if let Some(more) = part.get("schemas").and_then(Value::as_object) {
            schemas.extend(more.clone());
        }
    }
    let scopes: Map<String, Value> = Scope::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), Value::String(s.description().into())))
        .collect();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Fiducia Config API",
            "version": "1",
            "description": format!(
                "Operate Fiducia: configuration, clients, customers, signing keys, audit trail. Callers present an RFC 9068 JWT access token of a trusted issuer with the operation's scope. Scopes: {}",
                Value::Object(scopes)
            )
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "RFC 9068 access token (RFC 6750); certificate-bound ones (RFC 8705 §3) over TLS with that certificate"
                },
                "dpop": {
                    "type": "http",
                    "scheme": "DPoP",
                    "bearerFormat": "JWT",
                    "description": "RFC 9068 access token bound to a DPoP key, with a DPoP proof for each request (RFC 9449 §7)"
                }
            },
            "schemas": schemas,
            "headers": {
                "ETag": {
                    "description": "Strong entity tag of the representation (RFC 9110 §8.8.3)",
                    "schema": { "type": "string" }
                }
            },
            "parameters": {
                "IfMatch": {
                    "name": "If-Match",
                    "in": "header",
                    "required": true,
                    "description": "The ETag the change is based on (RFC 9110 §13.1.1)",
                    "schema": { "type": "string" }
                }
            },
            "responses": {
                "InvalidRequest": problem("A bad body or query: one `errors` entry per bad field"),
                "Unauthorized": problem("No, or a refused, access token; `WWW-Authenticate` says why (RFC 6750 §3)"),
                "Forbidden": problem("The token lacks the operation's scope (`insufficient_scope`), or the client written holds a Config API scope the token lacks"),
                "NotFound": problem("No such resource"),
                "Conflict": problem("Not allowed in the resource's current state"),
                "PreconditionFailed": problem("If-Match does not match the current ETag"),
                "PreconditionRequired": problem("A write without If-Match"),
                "UnsupportedMediaType": problem("The body is not application/json"),
                "Unavailable": problem("A dependency (store, HSM) failed; try again"),
                "ContentTooLarge": problem("The body is over config_api.max_body_bytes (RFC 9110 §15.5.14)"),
                "RequestTimeout": problem("The body did not arrive within the read timeout (RFC 9110 §15.5.9)")
            }
        }
    })
}

fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } }
    })
}

/// RFC 9457 §3.1 members and the `errors` extension.
fn problem_schema() -> Value {
    json!({
        "type": "object",
        "required": ["type", "title", "status"],
        "properties": {
            "type": { "type": "string", "format": "uri-reference" },
            "title": { "type": "string" },
            "status": { "type": "integer" },
            "detail": { "type": "string" },
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["pointer", "detail"],
                    "properties": {
                        "pointer": { "type": "string", "description": "JSON Pointer (RFC 6901) into the body, or ?name for a query parameter" },
                        "detail": { "type": "string" }
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(members) => {
                for (name, member) in members {
                    match (name.as_str(), member) {
                        ("$ref", Value::String(target)) => out.push(target.clone()),
                        _ => refs(member, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| refs(i, out)),
            _ => {}
        }
    }

    /// Every `$ref` is a local JSON Pointer (RFC 6901) that resolves.
    #[test]
    fn every_ref_resolves() {
        let doc = document();
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(found.len() > 20);
        for target in found {
            let pointer = target
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("not local: {target}"));
            assert!(doc.pointer(pointer).is_some(), "unresolved {target}");
        }
        assert_eq!(doc["openapi"], "3.1.0");
    }
}
