//! `GET /audit` (`fiducia.audit.read`): the audit trail's records, oldest
//! first in the order `store::audit::read` uses (time, chain, sequence),
//! each exactly as stored — the JSON line `fiducia audit export` writes,
//! whose SHA-256 the next record of its chain carries — a bounded page at
//! a time with a `next` link (RFC 8288 relation `next`, in the body and
//! the `Link` header) while more may follow.
//!
//! Query: `since` (RFC 3339 time, default the beginning), `after` (the
//! cursor a `next` link carries: `time.chain.seq` of the last record
//! returned), `limit` (1 to [`MAX_LIMIT`], default [`DEFAULT_LIMIT`]).

use crate::config_api::problem::{FieldError, Problem};
use crate::config_api::route::{Answer, Call, Route, representation};
use crate::config_api::scope::Scope;
use crate::store::audit::read::{self, Position};
use http::{Method, StatusCode};
use serde_json::{Value, json};

/// Records per page unless asked otherwise.
pub const DEFAULT_LIMIT: usize = 100;
/// The most records one page holds.
pub const MAX_LIMIT: usize = 1000;

/// The routes.
pub const ROUTES: &[Route] = &[Route {
    method: Method::GET,
    path: "/audit",
    scope: Some(Scope::AuditRead),
    label: "config_api_audit",
    handle: get,
}];

/// A page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PageRequest {
    since: u64,
    after: Option<Position>,
    limit: usize,
}

fn get(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let asked = page_request(call.request.uri().query().unwrap_or(""))?;
        let records = read::page(&call.api.store, asked.since, asked.after, asked.limit)
            .await
            .map_err(|error| {
                tracing::error!(%error, "config API: the audit trail could not be read");
                Problem::unavailable()
            })?;
        let next = match (records.len() == asked.limit, records.last()) {
            (true, Some(last)) => {
                let at = Position::of(&last.record);
                Some(format!(
                    "/audit?after={}.{}.{}&limit={}",
                    at.time, at.chain, at.seq, asked.limit
                ))
            }
            _ => None,
        };
        // The records' stored bytes, unchanged, inside the page object.
        let mut body = b"{\"records\":[".to_vec();
        for (i, stored) in records.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            body.extend_from_slice(&stored.bytes);
        }
        body.extend_from_slice(b"],\"next\":");
        body.extend_from_slice(&serde_json::to_vec(&next).unwrap_or_else(|_| b"null".to_vec()));
        body.push(b'}');
        let mut response = representation(StatusCode::OK, body);
        if let Some(next) = next
            && let Ok(link) = http::HeaderValue::from_str(&format!("<{next}>; rel=\"next\""))
        {
            response.headers_mut().insert(http::header::LINK, link);
        }
        Ok(response)
    })
}

/// The query's parameters, one error per bad one.
fn page_request(query: &str) -> Result<PageRequest, Problem> {
    let mut asked = PageRequest {
        since: 0,
        after: None,
        limit: DEFAULT_LIMIT,
    };
    let mut errors = Vec::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "since" => {
                match time::OffsetDateTime::parse(&value, &time::format_description::well_known::Rfc3339)
                    .ok()
                    .and_then(|t| u64::try_from(t.unix_timestamp()).ok())
                {
                    Some(since) => asked.since = since,
                    None => errors.push(FieldError::new("?since", "must be an RFC 3339 time")),
                }
            }
            "after" => match cursor(&value) {
                Some(after) => asked.after = Some(after),
                None => errors.push(FieldError::new("?after", "must be a cursor from a `next` link")),
            },
            "limit" => match value.parse::<usize>() {
                Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => asked.limit = limit,
                _ => errors.push(FieldError::new("?limit", format!("must be 1 to {MAX_LIMIT}"))),
            },
            other => errors.push(FieldError::new(
                format!("?{}", other.chars().take(64).collect::<String>()),
                "unknown parameter",
            )),
        }
    }
    match errors.is_empty() {
        true => Ok(asked),
        false => Err(Problem::invalid(errors)),
    }
}

/// `time.chain.seq`.
fn cursor(value: &str) -> Option<Position> {
    let mut parts = value.split('.');
    let position = Position {
        time: parts.next()?.parse().ok()?,
        chain: parts.next()?.parse().ok()?,
        seq: parts.next()?.parse().ok()?,
    };
    parts.next().is_none().then_some(position)
}

/// Its part of the OpenAPI document.
pub fn openapi() -> Value {
    json!({
        "paths": {
            "/audit": {
                "get": {
                    "operationId": "readAudit",
                    "summary": "Audit records, oldest first, a page at a time",
                    "security": [{ "bearer": ["fiducia.audit.read"] }, { "dpop": ["fiducia.audit.read"] }],
                    "parameters": [
                        { "name": "since", "in": "query", "schema": { "type": "string", "format": "date-time" } },
                        { "name": "after", "in": "query", "description": "The cursor of a `next` link", "schema": { "type": "string", "pattern": "^[0-9]+\\.[0-9]+\\.[0-9]+$" } },
                        { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT } }
                    ],
                    "responses": {
                        "200": {
                            "description": "A page of records",
                            "headers": {
                                "ETag": { "$ref": "#/components/headers/ETag" },
                                "Link": { "description": "RFC 8288 `next` link while more may follow", "schema": { "type": "string" } }
                            },
                            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/AuditPage" } } }
                        },
                        "400": { "$ref": "#/components/responses/InvalidRequest" },
                        "401": { "$ref": "#/components/responses/Unauthorized" },
                        "403": { "$ref": "#/components/responses/Forbidden" },
                        "503": { "$ref": "#/components/responses/Unavailable" }
                    }
                }
            }
        },
        "schemas": {
            "AuditRecord": {
                "type": "object",
                "description": "A record as stored (docs/ARCHITECTURE.md, Audit trail); its bytes are what the next record's `prev` hashes",
                "required": ["v", "chain", "seq", "time", "event", "actor", "node", "targets", "changed", "prev"],
                "properties": {
                    "v": { "type": "integer" },
                    "chain": { "type": "integer" },
                    "seq": { "type": "integer" },
                    "time": { "type": "integer", "description": "Unix seconds" },
                    "event": { "type": "string" },
                    "actor": {
                        "type": "object",
                        "properties": { "type": { "type": "string" }, "id": { "type": "string" } }
                    },
                    "node": { "type": "string" },
                    "targets": {
                        "type": "array",
                        "items": { "type": "object", "properties": { "kind": { "type": "string" }, "id": { "type": "string" } } }
                    },
                    "changed": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": { "member": { "type": "string" }, "from": { "type": "string" }, "to": { "type": "string" } }
                        }
                    },
                    "prev": { "type": "string" }
                }
            },
            "AuditPage": {
                "type": "object",
                "required": ["records", "next"],
                "properties": {
                    "records": { "type": "array", "items": { "$ref": "#/components/schemas/AuditRecord" } },
                    "next": { "type": ["string", "null"], "description": "The next page, while more may follow" }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_is_checked_parameter_by_parameter() {
        assert_eq!(
            page_request("since=1970-01-01T00:01:40Z&after=100.3.7&limit=5").unwrap(),
            PageRequest {
                since: 100,
                after: Some(Position {
                    time: 100,
                    chain: 3,
                    seq: 7
                }),
                limit: 5
            }
        );
        let bad = page_request("since=yesterday&after=1.2&limit=0&x=1").unwrap_err();
        let pointers: Vec<&str> = bad.errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["?since", "?after", "?limit", "?x"]);
        assert_eq!(page_request("").unwrap().limit, DEFAULT_LIMIT);
    }
}
