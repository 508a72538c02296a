//! `/policies`: the OP's policies managed live (`oauth/policies`, one
//! section each of the live sections mechanism): `tokens` (every lifetime
//! and `dpop_nonce`), `fapi` (the OP-wide profile, PAR, PKCE methods) and
//! `registration` (statement age, status check interval, the budgets of
//! single registered clients), each with its value, source (`file` or
//! `store`), revision and ETag.
//!
//! - `GET /policies`, `GET /policies/{name}` (`fiducia.config.read`);
//! - `PUT /policies/{name}` (`fiducia.config.write`): replace the policy
//!   whole (every member; a member fixed at start-up is refused, one
//!   problem each); in force on this node from the next request, on the
//!   others within their poll;
//! - `DELETE /policies/{name}` (`fiducia.config.write`): put the file's
//!   value back in force (the document keeps its revision).
//!
//! Both writes need `If-Match` with the policy's ETag (RFC 9110 §13.1.1:
//! 412 when it changed; RFC 6585 §3: 428 without). A bad body is 400 with
//! one RFC 9457 `errors` entry per bad member, the start-up check's
//! message, never the value. The FAPI profile of one client and the
//! budget of a `[[clients]]` client are that client's members, changed
//! through `/clients`.

use crate::config_api::problem::{FieldError, Problem};
use crate::config_api::route::{Answer, Call, Route, if_match, json_body, representation};
use crate::config_api::scope::Scope;
use crate::oauth::live_sections::{FieldProblem, SectionError};
use crate::oauth::op::OpState;
use crate::oauth::policies::{PolicyName, PolicyView, ops};
use bytes::Bytes;
use http::header::{CONTENT_TYPE, ETAG, HeaderValue};
use http::{Method, Response, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;

/// The routes.
pub const ROUTES: &[Route] = &[
    Route {
        method: Method::GET,
        path: "/policies",
        scope: Some(Scope::ConfigRead),
        label: "config_api_policies",
        handle: list,
    },
    Route {
        method: Method::GET,
        path: "/policies/{name}",
        scope: Some(Scope::ConfigRead),
        label: "config_api_policy",
        handle: get,
    },
    Route {
        method: Method::PUT,
        path: "/policies/{name}",
        scope: Some(Scope::ConfigWrite),
        label: "config_api_policy_update",
        handle: update,
    },
    Route {
        method: Method::DELETE,
        path: "/policies/{name}",
        scope: Some(Scope::ConfigWrite),
        label: "config_api_policy_reset",
        handle: reset,
    },
];

fn op(call: &Call<'_>) -> Result<Arc<OpState>, Problem> {
    call.api.op.upgrade().ok_or_else(Problem::unavailable)
}

fn operator(call: &Call<'_>) -> Result<String, Problem> {
    call.principal
        .as_ref()
        .map(|p| p.operator_id())
        .ok_or_else(Problem::unavailable)
}

/// The path's policy; another name is 404 (and is not echoed).
fn name(call: &Call<'_>) -> Result<PolicyName, Problem> {
    call.params
        .first()
        .and_then(|segment| PolicyName::parse(segment))
        .ok_or_else(|| Problem::not_found("no such policy: tokens, fapi or registration"))
}

fn list(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let op = op(&call)?;
        let views = ops::list(&op.services.sections)
            .await
            .map_err(|e| problem(PolicyName::Tokens, e))?;
        let body = serde_json::to_vec(&json!({ "policies": views })).unwrap_or_default();
        Ok(representation(StatusCode::OK, body))
    })
}

fn get(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let name = name(&call)?;
        let op = op(&call)?;
        let view = ops::get(&op.services.sections, name)
            .await
            .map_err(|e| problem(name, e))?;
        Ok(view_response(&view))
    })
}

fn update(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let name = name(&call)?;
        let tag = if_match(&call)?;
        let body = json_body(&call, "every member of the policy")?;
        let op = op(&call)?;
        let operator = operator(&call)?;
        let view = ops::update(&op.services.sections, name, &operator, Some(&tag), &body)
            .await
            .map_err(|e| problem(name, e))?;
        Ok(view_response(&view))
    })
}

fn reset(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let name = name(&call)?;
        let tag = if_match(&call)?;
        crate::config_api::route::no_body(&call)?;
        let op = op(&call)?;
        let operator = operator(&call)?;
        let view = ops::reset(&op.services.sections, name, &operator, Some(&tag))
            .await
            .map_err(|e| problem(name, e))?;
        Ok(view_response(&view))
    })
}

/// The policy with its ETag, the one `If-Match` names.
fn view_response(view: &PolicyView) -> Response<Bytes> {
    let body = serde_json::to_vec(view).unwrap_or_default();
    let mut response = Response::new(Bytes::from(body));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Ok(tag) = HeaderValue::from_str(&view.etag) {
        response.headers_mut().insert(ETAG, tag);
    }
    response
}

/// One problem entry per field: a member of the body as an RFC 6901
/// pointer (`/client_limits/0/burst`), another section's field (what the
/// value would break elsewhere, `tls.client_ca`) named in the detail.
fn field_errors(name: PolicyName, problems: Vec<FieldProblem>) -> Vec<FieldError> {
    let members = ops::members(name);
    problems
        .into_iter()
        .map(|p| match p.field.as_str() {
            "" => FieldError::new("", p.message),
            field if ops::in_body(name, field, &members) => {
                let pointer: String = field
                    .split('.')
                    .map(|segment| format!("/{}", segment.replace('~', "~0").replace('/', "~1")))
                    .collect();
                FieldError::new(pointer, p.message)
            }
            field => FieldError::new("", format!("{field}: {}", p.message)),
        })
        .collect()
}

/// Each refusal as its status and RFC 9457 problem.
fn problem(name: PolicyName, error: SectionError) -> Problem {
    match error {
        SectionError::NotFound => Problem::not_found("no such policy"),
        // RFC 9110 §13.1.1.
        SectionError::PreconditionFailed { .. } => Problem::precondition_failed(),
        // RFC 6585 §3.
        SectionError::PreconditionRequired => Problem::precondition_required(),
        // RFC 9457 §3.2: one entry per member, never its value.
        SectionError::Invalid(problems) => Problem::invalid(field_errors(name, problems)),
        SectionError::Conflict => Problem::conflict("the policy changed meanwhile"),
        SectionError::Refused(problems) => Problem {
            errors: field_errors(name, problems),
            ..Problem::conflict("the change leaves a configuration the start-up checks refuse")
        },
        SectionError::Store(error) => {
            tracing::error!(%error, "config API: a policies operation failed in the store");
            Problem::unavailable()
        }
    }
}

/// Its part of the OpenAPI document.
pub fn openapi() -> Value {
    let read_security = json!([{ "bearer": ["fiducia.config.read"] }, { "dpop": ["fiducia.config.read"] }]);
    let write_security =
        json!([{ "bearer": ["fiducia.config.write"] }, { "dpop": ["fiducia.config.write"] }]);
    let name = json!({ "name": "name", "in": "path", "required": true, "schema": { "type": "string", "enum": ["tokens", "fapi", "registration"] } });
    let if_match = json!({ "$ref": "#/components/parameters/IfMatch" });
    let refused = |codes: &[&str]| {
        let mut out = serde_json::Map::new();
        for code in codes {
            let reference = match *code {
                "400" => "InvalidRequest",
                "401" => "Unauthorized",
                "403" => "Forbidden",
                "404" => "NotFound",
                "409" => "Conflict",
                "412" => "PreconditionFailed",
                "415" => "UnsupportedMediaType",
                "428" => "PreconditionRequired",
                _ => "Unavailable",
            };
            out.insert(
                (*code).to_string(),
                json!({ "$ref": format!("#/components/responses/{reference}") }),
            );
        }
        out
    };
    let one = |description: &str, codes: &[&str]| {
        let mut responses = refused(codes);
        responses.insert(
            "200".into(),
            json!({
                "description": description,
                "headers": { "ETag": { "$ref": "#/components/headers/ETag" } },
                "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Policy" } } }
            }),
        );
        Value::Object(responses)
    };
    let mut listed = refused(&["401", "403", "503"]);
    listed.insert(
        "200".into(),
        json!({
            "description": "Every policy with its source, revision and ETag",
            "headers": { "ETag": { "$ref": "#/components/headers/ETag" } },
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/PolicyList" } } }
        }),
    );
    json!({
        "paths": {
            "/policies": {
                "get": {
                    "operationId": "listPolicies",
                    "summary": "Every policy managed live (tokens, fapi, registration)",
                    "security": read_security,
                    "responses": listed
                }
            },
            "/policies/{name}": {
                "get": {
                    "operationId": "getPolicy",
                    "summary": "One policy; its ETag is the one If-Match names",
                    "security": read_security,
                    "parameters": [name],
                    "responses": one("The policy", &["401", "403", "404", "503"])
                },
                "put": {
                    "operationId": "updatePolicy",
                    "summary": "Replace a policy whole (every member); in force from the next request, on every node",
                    "security": write_security,
                    "parameters": [name, if_match],
                    "requestBody": {
                        "required": true,
                        "content": { "application/json": { "schema": { "type": "object", "description": "Every member of the policy's value (GET it, change it, PUT it back); members fixed at start-up are refused" } } }
                    },
                    "responses": one("The policy after the change", &["400", "401", "403", "404", "409", "412", "415", "428", "503"])
                },
                "delete": {
                    "operationId": "resetPolicy",
                    "summary": "Put the configuration file's value back in force",
                    "security": write_security,
                    "parameters": [name, if_match],
                    "responses": one("The policy after the reset (source file)", &["400", "401", "403", "404", "409", "412", "428", "503"])
                }
            }
        },
        "schemas": {
            "Policy": {
                "type": "object",
                "required": ["name", "source", "revision", "etag", "value", "fixed"],
                "properties": {
                    "name": { "type": "string", "enum": ["tokens", "fapi", "registration"] },
                    "source": { "type": "string", "enum": ["file", "store"], "description": "file: the configuration file's value (never written, or reset); store: written through this API" },
                    "revision": { "type": "integer", "minimum": 0 },
                    "etag": { "type": "string", "description": "The ETag header's value" },
                    "value": { "type": "object", "description": "tokens: the [tokens] table; fapi: profile, require_pushed_authorization_requests, pkce_methods; registration: ssa_max_age_secs, status_check_interval_secs, client_limits" },
                    "fixed": { "type": "array", "items": { "type": "string" }, "description": "Members of the file's table that change only with the file and a restart" }
                }
            },
            "PolicyList": {
                "type": "object",
                "required": ["policies"],
                "properties": { "policies": { "type": "array", "items": { "$ref": "#/components/schemas/Policy" } } }
            }
        }
    })
}
