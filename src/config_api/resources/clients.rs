//! `/clients`: the OP's clients changed live through the clients service
//! (`oauth::managed_clients::ManagedClients`, docs/ARCHITECTURE.md
//! "Clients managed live"): the file's `[[clients]]` entries, the stored
//! client documents and the registrations (RFC 7591), each with its
//! source, state, revision and ETag.
//!
//! - `GET /clients`, `GET /clients/{client_id}` (`fiducia.config.read`);
//! - `POST /clients` (`fiducia.config.write`): create a stored client
//!   from a `[[clients]]` entry's members (201, `Location`, `ETag`);
//! - `PUT /clients/{client_id}`: replace a stored client's metadata, or
//!   override a file entry's; `POST /clients/{client_id}/disable`,
//!   `/enable`; `DELETE /clients/{client_id}` (a tombstone over a file
//!   entry or stored client, the registration itself for a registered
//!   one) — all `fiducia.config.write` and all needing `If-Match` with the
//!   client's ETag (RFC 9110 §13.1.1: 412 when it changed; RFC 6585 §3:
//!   428 without).
//!
//! A registered client's metadata is changed by its own RFC 7592 §2.2
//! requests, never here: its `PUT` is 409 Conflict, not 405, because the
//! method is served on the path (for the other clients), so `Allow` could
//! not say which; the refusal depends on the client's current state (its
//! source) and the problem's detail names RFC 7592. The operator passed to
//! the service (the `config_changed` record's actor) is the caller,
//! `<sub>@<iss>` as for keys. A caller creates, changes, disables or
//! deletes only clients whose Config API scopes (`fiducia.*`) its own
//! token holds (`operator_scopes.rs`): `fiducia.config.write` alone cannot
//! mint an operators' client with `fiducia.keys.write`, nor take over or
//! lock out one (403). A problem never carries a member's value
//! (a secret pasted in the wrong member stays out of answers and logs).

use crate::config_api::etag::of as etag_of;
use crate::config_api::operator_scopes::within_callers_scopes;
use crate::config_api::problem::{FieldError, Problem};
use crate::config_api::route::{
    Answer, Call, Route, if_match, json_body, no_body, percent_decoded, representation,
};
use crate::config_api::scope::Scope;
use crate::oauth::managed_clients::view::if_match_matches;
use crate::oauth::managed_clients::{ClientView, ManagedClientError, ManagedClients};
use crate::oauth::op::OpState;
use bytes::Bytes;
use http::header::{CONTENT_TYPE, ETAG, HeaderValue, LOCATION};
use http::{Method, Response, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;

/// The longest client id a path may name (a document's is at most 128).
const MAX_PATH_ID: usize = 256;

/// The routes.
pub const ROUTES: &[Route] = &[
    Route {
        method: Method::GET,
        path: "/clients",
        scope: Some(Scope::ConfigRead),
        label: "config_api_clients",
        handle: list,
    },
    Route {
        method: Method::POST,
        path: "/clients",
        scope: Some(Scope::ConfigWrite),
        label: "config_api_clients_create",
        handle: create,
    },
    Route {
        method: Method::GET,
        path: "/clients/{client_id}",
        scope: Some(Scope::ConfigRead),
        label: "config_api_client",
        handle: get,
    },
    Route {
        method: Method::PUT,
        path: "/clients/{client_id}",
        scope: Some(Scope::ConfigWrite),
        label: "config_api_client_update",
        handle: update,
    },
    Route {
        method: Method::DELETE,
        path: "/clients/{client_id}",
        scope: Some(Scope::ConfigWrite),
        label: "config_api_client_delete",
        handle: delete,
    },
    Route {
        method: Method::POST,
        path: "/clients/{client_id}/disable",
        scope: Some(Scope::ConfigWrite),
        label: "config_api_client_disable",
        handle: disable,
    },
    Route {
        method: Method::POST,
        path: "/clients/{client_id}/enable",
        scope: Some(Scope::ConfigWrite),
        label: "config_api_client_enable",
        handle: enable,
    },
];

/// The OP (for its clients service) and the caller; 503 once the OP has
/// stopped.
fn parts(call: &Call<'_>) -> Result<(Arc<OpState>, Caller), Problem> {
    let op = call.api.op.upgrade().ok_or_else(Problem::unavailable)?;
    let principal = call.principal.as_ref().ok_or_else(Problem::unavailable)?;
    Ok((
        op,
        Caller {
            operator: principal.operator_id(),
            scope: principal.claims.scope.clone(),
        },
    ))
}

/// Who calls: the operator id the service records, the token's scopes.
struct Caller {
    operator: String,
    scope: String,
}

fn list(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let (op, _) = parts(&call)?;
        let views = ManagedClients::of(&op).list().await.map_err(problem)?;
        let body = serde_json::to_vec(&json!({ "clients": views })).unwrap_or_default();
        Ok(representation(StatusCode::OK, body))
    })
}

fn get(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let id = client_id(&call)?;
        let (op, _) = parts(&call)?;
        let view = ManagedClients::of(&op).get(&id).await.map_err(problem)?;
        Ok(view_response(StatusCode::OK, &view))
    })
}

fn create(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let body = json_body(&call, "a [[clients]] entry's members")?;
        let (op, caller) = parts(&call)?;
        within_callers_scopes(&caller.scope, &body)?;
        let view = ManagedClients::of(&op)
            .create(&caller.operator, &body)
            .await
            .map_err(problem)?;
        let mut response = view_response(StatusCode::CREATED, &view);
        // RFC 9110 §15.3.2: 201 names the new resource in `Location`.
        let location = format!("{}/clients/{}", call.api.settings.base_url, view.client_id);
        if let Ok(location) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(LOCATION, location);
        }
        Ok(response)
    })
}

fn update(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let id = client_id(&call)?;
        let tag = if_match(&call)?;
        let body = json_body(&call, "a [[clients]] entry's members")?;
        let (op, caller) = parts(&call)?;
        let service = ManagedClients::of(&op);
        within_callers_scopes(&caller.scope, &body)?;
        let checked = guard(&service, &caller, &id, &tag).await?;
        let view = service
            .update(&caller.operator, &id, Some(&checked), &body)
            .await
            .map_err(problem)?;
        Ok(view_response(StatusCode::OK, &view))
    })
}

fn disable(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let (id, tag, op, caller) = action(&call)?;
        let service = ManagedClients::of(&op);
        let checked = guard(&service, &caller, &id, &tag).await?;
        let view = service
            .disable(&caller.operator, &id, Some(&checked))
            .await
            .map_err(problem)?;
        Ok(view_response(StatusCode::OK, &view))
    })
}

fn enable(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let (id, tag, op, caller) = action(&call)?;
        let service = ManagedClients::of(&op);
        let checked = guard(&service, &caller, &id, &tag).await?;
        let view = service
            .enable(&caller.operator, &id, Some(&checked))
            .await
            .map_err(problem)?;
        Ok(view_response(StatusCode::OK, &view))
    })
}

fn delete(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let (id, tag, op, caller) = action(&call)?;
        let service = ManagedClients::of(&op);
        let checked = guard(&service, &caller, &id, &tag).await?;
        service
            .delete(&caller.operator, &id, Some(&checked))
            .await
            .map_err(problem)?;
        let mut response = Response::new(Bytes::new());
        *response.status_mut() = StatusCode::NO_CONTENT;
        Ok(response)
    })
}

/// What an action on one client (disable, enable, delete) starts from:
/// its id, `If-Match`, no body, the OP and the caller.
fn action(call: &Call<'_>) -> Result<(String, String, Arc<OpState>, Caller), Problem> {
    let id = client_id(call)?;
    let tag = if_match(call)?;
    no_body(call)?;
    let (op, caller) = parts(call)?;
    Ok((id, tag, op, caller))
}

/// A change of an existing client is refused when the client now holds a
/// Config API scope the caller's token lacks (`operator_scopes.rs`), and
/// when `If-Match` does not name the view checked (RFC 9110 §13.1.1: 412).
/// The service is then given that view's own ETag (even for `If-Match:
/// *`), so the change applies to the very view checked or fails 412.
async fn guard(
    service: &ManagedClients<'_>,
    caller: &Caller,
    id: &str,
    tag: &str,
) -> Result<String, Problem> {
    let current = service.get(id).await.map_err(problem)?;
    within_callers_scopes(&caller.scope, &current.metadata)?;
    match if_match_matches(tag, &current.etag) {
        true => Ok(current.etag),
        false => Err(Problem::precondition_failed()),
    }
}

/// The path's client id, percent-decoded (RFC 3986 §2.1: a file entry's
/// id may hold characters a path segment cannot); an id no client can
/// have is 404 without a store read (and is not echoed).
fn client_id(call: &Call<'_>) -> Result<String, Problem> {
    call.params
        .first()
        .and_then(|segment| percent_decoded(segment))
        .filter(|id| !id.is_empty() && id.len() <= MAX_PATH_ID)
        .ok_or_else(|| Problem::not_found("no such client"))
}

/// One client with its own ETag (`"r<revision>"`, or `"g<n>-r<m>"` for a
/// registration), the one `If-Match` is compared with.
fn view_response(status: StatusCode, view: &ClientView) -> Response<Bytes> {
    let body = serde_json::to_vec(view).unwrap_or_default();
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let tag = HeaderValue::from_str(&view.etag).or_else(|_| HeaderValue::from_str(&etag_of(b"")));
    if let Ok(tag) = tag {
        response.headers_mut().insert(ETAG, tag);
    }
    response
}

/// Each refusal of the service as its status and RFC 9457 problem.
fn problem(error: ManagedClientError) -> Problem {
    match error {
        ManagedClientError::NotFound(_) => Problem::not_found("no such client"),
        // RFC 9110 §13.1.1.
        ManagedClientError::PreconditionFailed { .. } => Problem::precondition_failed(),
        // RFC 6585 §3.
        ManagedClientError::PreconditionRequired => Problem::precondition_required(),
        // RFC 9457 §3.2: one entry per member, its name, never its value.
        ManagedClientError::Invalid(fields) => Problem::invalid(
            fields
                .into_iter()
                .map(|f| FieldError::member(&f.field, f.message))
                .collect(),
        ),
        ManagedClientError::Conflict(_) => Problem::conflict(
            "a client with this client_id exists (a file entry, a stored or a registered client): PUT /clients/{client_id} changes it",
        ),
        ManagedClientError::RegisteredMetadata(_) => Problem::conflict(
            "the client is registered (RFC 7591): its metadata is changed by its own RFC 7592 §2.2 client configuration requests; here it can only be disabled, enabled or deleted",
        ),
        ManagedClientError::Store(error) => {
            tracing::error!(%error, "config API: a clients operation failed in the store");
            Problem::unavailable()
        }
    }
}

/// Its part of the OpenAPI document.
pub fn openapi() -> Value {
    super::clients_openapi::part()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::managed_clients::FieldProblem;
    use crate::store::kv::KvError;

    /// Each service refusal has its status; field problems become RFC 6901
    /// pointers; no detail repeats the client id given.
    #[test]
    fn refusals_map_to_their_status_and_problem() {
        let status = |e| problem(e).status;
        assert_eq!(status(ManagedClientError::NotFound("x".into())), 404);
        assert_eq!(
            status(ManagedClientError::PreconditionFailed {
                current: "\"r2\"".into()
            }),
            412
        );
        assert_eq!(status(ManagedClientError::PreconditionRequired), 428);
        assert_eq!(status(ManagedClientError::Conflict("x".into())), 409);
        let registered = problem(ManagedClientError::RegisteredMetadata("dcr-1".into()));
        assert_eq!(registered.status, 409);
        assert!(registered.detail.unwrap().contains("RFC 7592"));
        assert_eq!(
            status(ManagedClientError::Store(KvError::Backend("down".into()))),
            503
        );
        let invalid = problem(ManagedClientError::Invalid(vec![
            FieldProblem {
                field: "client_secret".into(),
                message: "is not a member".into(),
            },
            FieldProblem {
                field: "".into(),
                message: "not an entry".into(),
            },
        ]));
        assert_eq!(invalid.status, 400);
        let pointers: Vec<&str> = invalid.errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["/client_secret", ""]);
    }
}
