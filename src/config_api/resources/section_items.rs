//! The Config API's routes over a list section managed live
//! (`oauth::live_sections`, docs/ARCHITECTURE.md "Sections managed
//! live"), the same for every such section (`trusted_directories.rs`,
//! `resource_servers.rs` name theirs):
//!
//! - `GET /{collection}` (`fiducia.config.read`): the items in force with
//!   each one's source (`file` or `store`) and ETag, and the list's source,
//!   revision and ETag (the response's `ETag`);
//! - `GET /{collection}/{key}`: one item, its ETag in `ETag`;
//! - `POST /{collection}` (`fiducia.config.write`): create an item (201,
//!   `Location`, `ETag`; RFC 9110 §15.3.2);
//! - `PUT /{collection}/{key}`, `DELETE /{collection}/{key}`: replace or
//!   remove an item, `If-Match` with its ETag required (RFC 9110
//!   §13.1.1: 412 when it changed; RFC 6585 §3: 428 without);
//! - `DELETE /{collection}`: reset the section to the file's, `If-Match`
//!   with the list's ETag required.
//!
//! A bad body is a 400 RFC 9457 problem with one entry per bad member and
//! the start-up check's message, never the value; a removal the rest of
//! the configuration needs is 409 with those problems. The key in a path
//! is percent-decoded (RFC 3986 §2.1), so a directory's issuer URL is one
//! segment. The operator the audit record names is the caller,
//! `<sub>@<iss>`.

use crate::config_api::problem::{FieldError, Problem};
use crate::config_api::route::{Answer, Call, if_match, json_body, percent_decoded};
use crate::oauth::live_sections::{FieldProblem, ItemView, ListSection, LiveSections, SectionError};
use crate::oauth::op::OpState;
use bytes::Bytes;
use http::header::{CONTENT_TYPE, ETAG, HeaderValue, LOCATION};
use http::{Response, StatusCode};
use serde::Serialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// The longest key a path may name.
const MAX_PATH_KEY: usize = 2048;

/// A list section served as a collection.
pub trait Collection: ListSection {
    /// Its path (`/trusted-directories`).
    const COLLECTION: &'static str;
    /// The list's member in the collection's body (`trusted_directories`).
    const MEMBER: &'static str;
}

fn parts(call: &Call<'_>) -> Result<(Arc<OpState>, String), Problem> {
    let op = call.api.op.upgrade().ok_or_else(Problem::unavailable)?;
    let principal = call.principal.as_ref().ok_or_else(Problem::unavailable)?;
    Ok((op, principal.operator_id()))
}

fn sections(op: &OpState) -> &LiveSections {
    &op.services.sections
}

/// `GET /{collection}`.
pub fn list<S: Collection>(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let (op, _) = parts(&call)?;
        let view = sections(&op).list_items::<S>().await.map_err(problem)?;
        let body = json!({
            "source": view.source,
            "revision": view.revision,
            "etag": view.etag,
            S::MEMBER: view.items,
        });
        Ok(respond(StatusCode::OK, &body, &view.etag))
    })
}

/// `GET /{collection}/{key}`.
pub fn get<S: Collection>(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let key = key(&call)?;
        let (op, _) = parts(&call)?;
        let view = sections(&op).get_item::<S>(&key).await.map_err(problem)?;
        Ok(item_response(StatusCode::OK, &view))
    })
}

/// `POST /{collection}`.
pub fn create<S: Collection>(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let body = json_body(&call, &format!("a {}'s members", S::ITEM))?;
        let (op, operator) = parts(&call)?;
        let view = sections(&op)
            .create_item::<S>(&operator, &body)
            .await
            .map_err(problem)?;
        let mut response = item_response(StatusCode::CREATED, &view);
        // RFC 9110 §15.3.2: 201 names the new resource in `Location`.
        let location = format!(
            "{}{}/{}",
            call.api.settings.base_url,
            S::COLLECTION,
            percent_encoded(S::key(&view.item))
        );
        if let Ok(location) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(LOCATION, location);
        }
        Ok(response)
    })
}

/// `PUT /{collection}/{key}`.
pub fn update<S: Collection>(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let key = key(&call)?;
        let tag = if_match(&call)?;
        let body = json_body(&call, &format!("a {}'s members", S::ITEM))?;
        let (op, operator) = parts(&call)?;
        let view = sections(&op)
            .update_item::<S>(&operator, &key, Some(&tag), &body)
            .await
            .map_err(problem)?;
        Ok(item_response(StatusCode::OK, &view))
    })
}

/// `DELETE /{collection}/{key}`.
pub fn delete<S: Collection>(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let key = key(&call)?;
        let tag = if_match(&call)?;
        crate::config_api::route::no_body(&call)?;
        let (op, operator) = parts(&call)?;
        sections(&op)
            .delete_item::<S>(&operator, &key, Some(&tag))
            .await
            .map_err(problem)?;
        let mut response = Response::new(Bytes::new());
        *response.status_mut() = StatusCode::NO_CONTENT;
        Ok(response)
    })
}

/// `DELETE /{collection}`: back to the file's section.
pub fn reset<S: Collection>(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let tag = if_match(&call)?;
        crate::config_api::route::no_body(&call)?;
        let (op, operator) = parts(&call)?;
        let live = sections(&op);
        live.reset::<S>(&operator, Some(&tag)).await.map_err(problem)?;
        let view = live.list_items::<S>().await.map_err(problem)?;
        let body = json!({
            "source": view.source,
            "revision": view.revision,
            "etag": view.etag,
            S::MEMBER: view.items,
        });
        Ok(respond(StatusCode::OK, &body, &view.etag))
    })
}

fn key(call: &Call<'_>) -> Result<String, Problem> {
    call.params
        .first()
        .and_then(|segment| percent_decoded(segment))
        .filter(|key| !key.is_empty() && key.len() <= MAX_PATH_KEY)
        .ok_or_else(|| Problem::not_found("no such item"))
}

/// A key as one path segment: everything but RFC 3986 §2.3 unreserved
/// characters percent-encoded.
pub fn percent_encoded(key: &str) -> String {
    key.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn respond<T: Serialize>(status: StatusCode, body: &T, etag: &str) -> Response<Bytes> {
    let body = serde_json::to_vec(body).unwrap_or_default();
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Ok(tag) = HeaderValue::from_str(etag) {
        response.headers_mut().insert(ETAG, tag);
    }
    response
}

fn item_response<I: Serialize>(status: StatusCode, view: &ItemView<I>) -> Response<Bytes> {
    respond(status, view, &view.etag)
}

fn fields(problems: Vec<FieldProblem>) -> Vec<FieldError> {
    problems
        .into_iter()
        .map(|p| FieldError::member(&p.field, p.message))
        .collect()
}

fn problem(error: SectionError) -> Problem {
    match error {
        SectionError::NotFound => Problem::not_found("no such item"),
        SectionError::PreconditionFailed { .. } => Problem::precondition_failed(),
        SectionError::PreconditionRequired => Problem::precondition_required(),
        SectionError::Invalid(problems) => Problem::invalid(fields(problems)),
        SectionError::Conflict => {
            Problem::conflict("an item with this key exists: PUT to its URL changes it")
        }
        SectionError::Refused(problems) => Problem::conflict_with(
            "the change would leave a configuration the start-up checks refuse",
            fields(problems),
        ),
        SectionError::Store(error) => {
            tracing::error!(%error, "config API: a section operation failed in the store");
            Problem::unavailable()
        }
    }
}

/// The collection's part of the OpenAPI document: its paths, and the
/// list schema around `item_schema` (named `item_name`).
pub fn openapi<S: Collection>(
    operation: &str,
    item_name: &str,
    item_schema: Value,
    key_description: &str,
) -> Value {
    let read = json!([{ "bearer": ["fiducia.config.read"] }, { "dpop": ["fiducia.config.read"] }]);
    let write = json!([{ "bearer": ["fiducia.config.write"] }, { "dpop": ["fiducia.config.write"] }]);
    let key = json!({ "name": "key", "in": "path", "required": true, "description": key_description, "schema": { "type": "string", "maxLength": MAX_PATH_KEY } });
    let if_match = json!({ "$ref": "#/components/parameters/IfMatch" });
    let refusal = |code: &str| -> (String, Value) {
        let name = match code {
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
        (
            code.to_string(),
            json!({ "$ref": format!("#/components/responses/{name}") }),
        )
    };
    let responses = |ok: (&str, Value), refused: &[&str]| {
        let mut all = serde_json::Map::new();
        all.insert(ok.0.to_string(), ok.1);
        for code in refused {
            let (code, response) = refusal(code);
            all.insert(code, response);
        }
        Value::Object(all)
    };
    let view_name = format!("{item_name}View");
    let list_name = format!("{item_name}List");
    let view_ref = json!({ "$ref": format!("#/components/schemas/{view_name}") });
    let list_ref = json!({ "$ref": format!("#/components/schemas/{list_name}") });
    let item_ref = json!({ "$ref": format!("#/components/schemas/{item_name}") });
    let with_etag = |description: &str, schema: &Value| {
        json!({
            "description": description,
            "headers": { "ETag": { "$ref": "#/components/headers/ETag" } },
            "content": { "application/json": { "schema": schema } }
        })
    };
    let mut created = with_etag("The new item; Location names it", &view_ref);
    created["headers"]["Location"] = json!({ "schema": { "type": "string", "format": "uri" } });
    let writes = ["400", "401", "403", "404", "409", "412", "415", "428", "503"];
    let item_path = format!("{}/{{key}}", S::COLLECTION);
    let mut paths = serde_json::Map::new();
    paths.insert(
        S::COLLECTION.to_string(),
        json!({
            "get": {
                "operationId": format!("list{operation}"),
                "summary": format!("Every {} in force, each with its source and ETag", S::ITEM),
                "security": read,
                "responses": responses(("200", with_etag("The list; its ETag is the one a reset's If-Match names", &list_ref)), &["401", "403", "503"])
            },
            "post": {
                "operationId": format!("create{operation}"),
                "summary": format!("Add a {} (the store's section rules from then on)", S::ITEM),
                "security": write,
                "requestBody": { "required": true, "content": { "application/json": { "schema": item_ref } } },
                "responses": responses(("201", created), &["400", "401", "403", "409", "415", "503"])
            },
            "delete": {
                "operationId": format!("reset{operation}"),
                "summary": "Reset the section to the configuration file's (If-Match: the list's ETag)",
                "security": write,
                "parameters": [if_match],
                "responses": responses(("200", with_etag("The file's list, now in force", &list_ref)), &["401", "403", "409", "412", "428", "503"])
            }
        }),
    );
    paths.insert(
        item_path,
        json!({
            "get": {
                "operationId": format!("get{operation}"),
                "summary": format!("One {}; its ETag is the one If-Match names", S::ITEM),
                "security": read,
                "parameters": [key],
                "responses": responses(("200", with_etag("The item", &view_ref)), &["401", "403", "404", "503"])
            },
            "put": {
                "operationId": format!("update{operation}"),
                "summary": format!("Replace a {} (If-Match: its ETag)", S::ITEM),
                "security": write,
                "parameters": [key, if_match],
                "requestBody": { "required": true, "content": { "application/json": { "schema": item_ref } } },
                "responses": responses(("200", with_etag("The item after the change", &view_ref)), &writes)
            },
            "delete": {
                "operationId": format!("delete{operation}"),
                "summary": format!("Remove a {} (If-Match: its ETag)", S::ITEM),
                "security": write,
                "parameters": [key, if_match],
                "responses": responses(("204", json!({ "description": "Removed" })), &writes)
            }
        }),
    );
    let source = json!({ "type": "string", "enum": ["file", "store"] });
    json!({
        "paths": paths,
        "schemas": {
            item_name: item_schema,
            view_name: {
                "type": "object",
                "required": ["source", "etag", "item"],
                "properties": {
                    "source": source,
                    "etag": { "type": "string" },
                    "item": item_ref
                }
            },
            list_name: {
                "type": "object",
                "required": ["source", "revision", "etag", S::MEMBER],
                "properties": {
                    "source": source,
                    "revision": { "type": "integer", "minimum": 0 },
                    "etag": { "type": "string" },
                    S::MEMBER: { "type": "array", "items": view_ref }
                }
            }
        }
    })
}
