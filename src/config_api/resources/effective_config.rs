//! `GET /effective-config` (`fiducia.config.read`): the configuration this
//! node runs — the file with its environment overrides and resolved paths,
//! as loaded at start-up, with every section managed live
//! (`oauth/live_sections`) as this node runs it — with every secret
//! redacted (`redact.rs`). Its `sections` member says, per section managed
//! live, where the value in force comes from (`file` or `store`) and the
//! stored document's revision.

use crate::config_api::problem::Problem;
use crate::config_api::redact;
use crate::config_api::route::{Answer, Call, Route, representation};
use crate::config_api::scope::Scope;
use http::{Method, StatusCode};
use serde_json::{Value, json};

/// The routes.
pub const ROUTES: &[Route] = &[Route {
    method: Method::GET,
    path: "/effective-config",
    scope: Some(Scope::ConfigRead),
    label: "config_api_effective_config",
    handle: get,
}];

fn get(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let op = call.api.op.upgrade().ok_or_else(Problem::unavailable)?;
        let sections = &op.services.sections;
        let mut value = redact::redacted(&sections.effective_config()).map_err(|e| {
            tracing::error!(error = %e, "config API: the configuration did not serialize");
            Problem::unavailable()
        })?;
        let described: serde_json::Map<String, Value> = sections
            .describe()
            .into_iter()
            .map(|(name, _, source, revision)| {
                (
                    name.to_string(),
                    json!({ "source": source, "revision": revision }),
                )
            })
            .collect();
        if let Value::Object(members) = &mut value {
            members.insert("sections".into(), Value::Object(described));
        }
        let body = serde_json::to_vec(&value).map_err(|_| Problem::unavailable())?;
        Ok(representation(StatusCode::OK, body))
    })
}

/// Its part of the OpenAPI document.
pub fn openapi() -> Value {
    json!({
        "paths": {
            "/effective-config": {
                "get": {
                    "operationId": "getEffectiveConfig",
                    "summary": "The configuration this node runs, secrets redacted",
                    "security": [{ "bearer": ["fiducia.config.read"] }, { "dpop": ["fiducia.config.read"] }],
                    "responses": {
                        "200": {
                            "description": "The configuration (the sections of the TOML file as JSON)",
                            "headers": { "ETag": { "$ref": "#/components/headers/ETag" } },
                            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/EffectiveConfig" } } }
                        },
                        "401": { "$ref": "#/components/responses/Unauthorized" },
                        "403": { "$ref": "#/components/responses/Forbidden" },
                        "503": { "$ref": "#/components/responses/Unavailable" }
                    }
                }
            }
        },
        "schemas": {
            "EffectiveConfig": {
                "type": "object",
                "description": "Every section of the configuration file (see README.md, Configuration); secrets read `<redacted>`.",
                "properties": {
                    "server": { "type": "object" },
                    "tls": { "type": "object" },
                    "signing": { "type": "object" },
                    "store": { "type": "object" },
                    "clients": { "type": "array", "items": { "type": "object" } },
                    "config_api": { "type": "object" },
                    "sections": {
                        "type": "object",
                        "description": "Per section managed live (by name): where the value in force comes from and its stored document's revision (0: never written).",
                        "additionalProperties": {
                            "type": "object",
                            "required": ["source", "revision"],
                            "properties": {
                                "source": { "type": "string", "enum": ["file", "store"] },
                                "revision": { "type": "integer", "minimum": 0 }
                            }
                        }
                    }
                },
                "additionalProperties": true
            }
        }
    })
}
