//! `/customers`: the customer accounts (`login/customers/`, docs/
//! ARCHITECTURE.md "Customer accounts") read and changed live through the
//! customers service (`login::customers::ManagedCustomers`); this file is
//! only HTTP.
//!
//! - `GET /customers?after=&limit=`, `GET /customers/{username}`
//!   (`fiducia.config.read`): a page as `fiducia users list` shows it
//!   (username, sub, name, disabled, verified claim sets) with its `next`
//!   link; one customer as `fiducia users show` shows it, never the
//!   password hash, with its `ETag` (of the record's contents,
//!   `login/customers/view.rs`);
//! - `POST /customers` (`fiducia.users.write`): an import line's members
//!   (`password_hash` or no password; a clear `password` is refused),
//!   201 with `Location` and `ETag`, 409 for a username or `sub` held;
//! - `PUT /customers/{username}`, `POST /customers/{username}/disable`,
//!   `/enable`, `DELETE /customers/{username}` (`fiducia.users.write`),
//!   each needing `If-Match` with the customer's ETag (RFC 9110 §13.1.1:
//!   412 when it changed; RFC 6585 §3: 428 without). A disable (and a
//!   delete, before it deletes) revokes everything the account holds and
//!   says how many grants and records went.
//!
//! `fiducia.config.write` does not change customers: the route table
//! asks `fiducia.users.write` (RFC 6750 §3.1 `insufficient_scope`
//! otherwise). The operator recorded is the caller, `<sub>@<iss>`. A
//! problem never carries a member's value (`login/customers/body.rs`),
//! and the path's username is not echoed.

use crate::config_api::problem::{FieldError, Problem};
use crate::config_api::route::{
    Answer, Call, Route, if_match, json_body, no_body, percent_decoded, representation,
};
use crate::config_api::scope::Scope;
use crate::login::customers::service::{Page, Revoked};
use crate::login::customers::{BodyProblem, CustomerError, CustomerView, ManagedCustomers};
use crate::oauth::op::OpState;
use bytes::Bytes;
use http::header::{CONTENT_TYPE, ETAG, HeaderValue, LINK, LOCATION};
use http::{Method, Response, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;

/// Customers per page unless asked otherwise.
pub const DEFAULT_LIMIT: usize = 100;
/// The most customers one page holds.
pub const MAX_LIMIT: usize = 1000;
/// The longest username a path may name, in bytes (a username is at most
/// `protocol::credentials::MAX_USERNAME_CHARS` characters).
const MAX_PATH_USERNAME: usize = 1024;

/// The routes.
pub const ROUTES: &[Route] = &[
    Route {
        method: Method::GET,
        path: "/customers",
        scope: Some(Scope::ConfigRead),
        label: "config_api_customers",
        handle: list,
    },
    Route {
        method: Method::POST,
        path: "/customers",
        scope: Some(Scope::UsersWrite),
        label: "config_api_customers_create",
        handle: create,
    },
    Route {
        method: Method::GET,
        path: "/customers/{username}",
        scope: Some(Scope::ConfigRead),
        label: "config_api_customer",
        handle: get,
    },
    Route {
        method: Method::PUT,
        path: "/customers/{username}",
        scope: Some(Scope::UsersWrite),
        label: "config_api_customer_update",
        handle: update,
    },
    Route {
        method: Method::DELETE,
        path: "/customers/{username}",
        scope: Some(Scope::UsersWrite),
        label: "config_api_customer_delete",
        handle: delete,
    },
    Route {
        method: Method::POST,
        path: "/customers/{username}/disable",
        scope: Some(Scope::UsersWrite),
        label: "config_api_customer_disable",
        handle: disable,
    },
    Route {
        method: Method::POST,
        path: "/customers/{username}/enable",
        scope: Some(Scope::UsersWrite),
        label: "config_api_customer_enable",
        handle: enable,
    },
];

/// The OP (503 once it has stopped) and the operator id of the caller.
fn parts(call: &Call<'_>) -> Result<(Arc<OpState>, String), Problem> {
    let op = call.api.op.upgrade().ok_or_else(Problem::unavailable)?;
    let principal = call.principal.as_ref().ok_or_else(Problem::unavailable)?;
    Ok((op, principal.operator_id()))
}

/// The service over the OP's accounts.
fn service(op: &OpState) -> ManagedCustomers<'_> {
    let config = op.config.get();
    ManagedCustomers::new(
        &op.services.users,
        &config.login,
        config.tokens.revocation_marker_secs(),
    )
}

fn list(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let (after, limit) = page_request(call.request.uri().query().unwrap_or(""))?;
        let (op, _) = parts(&call)?;
        let Page { rows, next } = service(&op)
            .page(after.as_deref(), limit, op.now())
            .await
            .map_err(problem)?;
        let customers: Vec<Value> = rows
            .iter()
            .map(|r| {
                json!({ "username": r.username, "sub": r.sub, "name": r.name,
                        "disabled": r.disabled, "verified_claim_sets": r.verified_sets })
            })
            .collect();
        let next = next.map(|after| format!("/customers?after={}&limit={limit}", query_encoded(&after)));
        let body = serde_json::to_vec(&json!({ "customers": customers, "next": next })).unwrap_or_default();
        let mut response = representation(StatusCode::OK, body);
        // RFC 8288: the next page, as `GET /audit` links it.
        if let Some(next) = next
            && let Ok(link) = HeaderValue::from_str(&format!("<{next}>; rel=\"next\""))
        {
            response.headers_mut().insert(LINK, link);
        }
        Ok(response)
    })
}

fn get(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let username = username(&call)?;
        let (op, _) = parts(&call)?;
        let view = service(&op).get(&username, op.now()).await.map_err(problem)?;
        Ok(view_response(StatusCode::OK, &view, None))
    })
}

fn create(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let body = json_body(&call, "an import line's members")?;
        let (op, operator) = parts(&call)?;
        let view = service(&op)
            .create(&operator, &body, op.now())
            .await
            .map_err(problem)?;
        let mut response = view_response(StatusCode::CREATED, &view, None);
        // RFC 9110 §15.3.2: 201 names the new resource in `Location`.
        let location = format!(
            "{}/customers/{}",
            call.api.settings.base_url,
            path_encoded(&view.username)
        );
        if let Ok(location) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(LOCATION, location);
        }
        Ok(response)
    })
}

fn update(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let username = username(&call)?;
        let tag = if_match(&call)?;
        let body = json_body(&call, "an import line's members")?;
        let (op, operator) = parts(&call)?;
        let view = service(&op)
            .replace(&operator, &username, &tag, &body, op.now())
            .await
            .map_err(problem)?;
        Ok(view_response(StatusCode::OK, &view, None))
    })
}

fn disable(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let (username, tag, op, operator) = action(&call)?;
        let (view, revoked) = service(&op)
            .disable(&operator, &username, &tag, op.now())
            .await
            .map_err(problem)?;
        Ok(view_response(StatusCode::OK, &view, Some(revoked)))
    })
}

fn enable(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let (username, tag, op, operator) = action(&call)?;
        let view = service(&op)
            .enable(&operator, &username, &tag, op.now())
            .await
            .map_err(problem)?;
        Ok(view_response(StatusCode::OK, &view, None))
    })
}

fn delete(call: Call<'_>) -> Answer<'_> {
    Box::pin(async move {
        let (username, tag, op, operator) = action(&call)?;
        service(&op)
            .delete(&operator, &username, &tag, op.now())
            .await
            .map_err(problem)?;
        let mut response = Response::new(Bytes::new());
        *response.status_mut() = StatusCode::NO_CONTENT;
        Ok(response)
    })
}

/// What an action on one customer (disable, enable, delete) starts from:
/// the username, `If-Match`, no body, the OP and the operator.
fn action(call: &Call<'_>) -> Result<(String, String, Arc<OpState>, String), Problem> {
    let username = username(call)?;
    let tag = if_match(call)?;
    no_body(call)?;
    let (op, operator) = parts(call)?;
    Ok((username, tag, op, operator))
}

/// The path's username, percent-decoded (RFC 3986 §2.1: a username may
/// hold `@`, spaces, any letter); one no account can have is 404 without a
/// store read (and is not echoed).
fn username(call: &Call<'_>) -> Result<String, Problem> {
    call.params
        .first()
        .and_then(|segment| percent_decoded(segment))
        .filter(|name| !name.trim().is_empty() && name.len() <= MAX_PATH_USERNAME)
        .ok_or_else(|| Problem::not_found("no such customer"))
}

/// `after` and `limit` (1 to [`MAX_LIMIT`]), one error per bad parameter.
fn page_request(query: &str) -> Result<(Option<String>, usize), Problem> {
    let (mut after, mut limit) = (None, DEFAULT_LIMIT);
    let mut errors = Vec::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "after" => after = Some(value.into_owned()),
            "limit" => match value.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => limit = n,
                _ => errors.push(FieldError::new("?limit", format!("must be 1 to {MAX_LIMIT}"))),
            },
            other => errors.push(FieldError::new(
                format!("?{}", other.chars().take(64).collect::<String>()),
                "unknown parameter",
            )),
        }
    }
    match errors.is_empty() {
        true => Ok((after, limit)),
        false => Err(Problem::invalid(errors)),
    }
}

/// One customer with its `ETag`; after a disable, what it revoked.
fn view_response(status: StatusCode, view: &CustomerView, revoked: Option<Revoked>) -> Response<Bytes> {
    let mut body = view.body.clone();
    if let (Some(revoked), Value::Object(members)) = (revoked, &mut body) {
        members.insert(
            "revoked".into(),
            json!({ "grants": revoked.grants, "records": revoked.records }),
        );
    }
    let mut response = Response::new(Bytes::from(serde_json::to_vec(&body).unwrap_or_default()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Ok(tag) = HeaderValue::from_str(&view.etag) {
        response.headers_mut().insert(ETAG, tag);
    }
    response
}

/// A username as one path segment: bytes other than RFC 3986 §2.3
/// unreserved characters percent-encoded (§2.1).
fn path_encoded(username: &str) -> String {
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    username
        .bytes()
        .map(|b| match unreserved(b) {
            true => (b as char).to_string(),
            false => format!("%{b:02X}"),
        })
        .collect()
}

/// A value as one query parameter (`application/x-www-form-urlencoded`).
fn query_encoded(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Each refusal of the service as its status and RFC 9457 problem.
fn problem(error: CustomerError) -> Problem {
    match error {
        CustomerError::NotFound => Problem::not_found("no such customer"),
        // RFC 9110 §13.1.1.
        CustomerError::PreconditionFailed => Problem::precondition_failed(),
        // RFC 9457 §3.2: one entry per member, its pointer, never its value.
        CustomerError::Invalid(problems) => Problem::invalid(problems.into_iter().map(field_error).collect()),
        CustomerError::UsernameTaken => {
            Problem::conflict("a customer with this username exists: PUT /customers/{username} changes it")
        }
        CustomerError::SubTaken => Problem::conflict(
            "this sub belongs to another customer: a sub has one username (renaming is delete and create)",
        ),
        CustomerError::Store(error) => {
            tracing::error!(%error, "config API: a customers operation failed in the store");
            Problem::unavailable()
        }
        CustomerError::Login(error) => {
            tracing::error!(%error, "config API: a customers operation failed");
            Problem::unavailable()
        }
    }
}

/// A service problem as a problem entry: a query parameter (`?after`) as
/// it is, a JSON path (`verified_claims[0].verification`, `$` the body) as
/// an RFC 6901 pointer.
fn field_error(problem: BodyProblem) -> FieldError {
    if problem.path.starts_with('?') {
        return FieldError::new(problem.path, problem.problem);
    }
    FieldError::new(pointer(&problem.path), problem.problem)
}

/// `a.b[2].c` as `/a/b/2/c`, each name escaped (RFC 6901 §3); `$` as `""`.
fn pointer(path: &str) -> String {
    if path == "$" || path.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    for part in path.split('.') {
        let (name, indexes) = match part.find('[') {
            Some(i) => part.split_at(i),
            None => (part, ""),
        };
        out.push('/');
        out.push_str(&name.replace('~', "~0").replace('/', "~1"));
        for index in indexes.split(['[', ']']).filter(|s| !s.is_empty()) {
            out.push('/');
            out.push_str(index);
        }
    }
    out
}

/// Its part of the OpenAPI document.
pub fn openapi() -> Value {
    super::customers_openapi::part(DEFAULT_LIMIT, MAX_LIMIT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::kv::KvError;

    #[test]
    fn json_paths_become_rfc_6901_pointers() {
        assert_eq!(pointer("$"), "");
        assert_eq!(pointer("email"), "/email");
        assert_eq!(
            pointer("verified_claims[0].verification.evidence[1].type"),
            "/verified_claims/0/verification/evidence/1/type"
        );
        assert_eq!(pointer("accounts[2]"), "/accounts/2");
        assert_eq!(pointer("a/b~c"), "/a~1b~0c");
    }

    #[test]
    fn refusals_map_to_their_status_and_problem() {
        let status = |e| problem(e).status;
        assert_eq!(status(CustomerError::NotFound), 404);
        assert_eq!(status(CustomerError::PreconditionFailed), 412);
        assert_eq!(status(CustomerError::UsernameTaken), 409);
        assert_eq!(status(CustomerError::SubTaken), 409);
        assert_eq!(status(CustomerError::Store(KvError::Backend("down".into()))), 503);
        let invalid = problem(CustomerError::Invalid(vec![
            BodyProblem {
                path: "password".into(),
                problem: "refused".into(),
            },
            BodyProblem {
                path: "?after".into(),
                problem: "bad".into(),
            },
        ]));
        assert_eq!(invalid.status, 400);
        let pointers: Vec<&str> = invalid.errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(pointers, ["/password", "?after"]);
    }

    #[test]
    fn a_username_is_one_segment_in_a_location() {
        assert_eq!(path_encoded("carol"), "carol");
        assert_eq!(path_encoded("carol@bank.example"), "carol%40bank.example");
        assert_eq!(path_encoded("a b/é"), "a%20b%2F%C3%A9");
    }

    #[test]
    fn a_page_request_is_bounded() {
        assert_eq!(page_request("").unwrap(), (None, DEFAULT_LIMIT));
        assert_eq!(
            page_request("after=carol&limit=5").unwrap(),
            (Some("carol".into()), 5)
        );
        assert_eq!(page_request("limit=0").unwrap_err().status, 400);
        assert_eq!(page_request("limit=1001").unwrap_err().status, 400);
        assert_eq!(page_request("secret=x").unwrap_err().errors[0].pointer, "?secret");
    }
}
