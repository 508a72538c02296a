//! The JSON API for scripts and tests, each call authenticated with the
//! customer's own credentials (HTTP Basic, RFC 7617, over TLS only):
//!
//! | route | answer |
//! |---|---|
//! | `GET /api/customers/{username}/requests` | 200 `{"requests": [...]}`: the customer's live requests |
//! | `POST /api/requests/{auth_req_id}/approve` | 200 `{"auth_req_id", "decision": "approved"}` once the OP recorded it |
//! | `POST /api/requests/{auth_req_id}/deny` | same with `denied` |
//!
//! Wrong or missing credentials: 401 with a `Basic` challenge. Another
//! customer's list: 403. A request that is not the caller's live request on
//! the device, or that the OP no longer knows: 404 `not_found`; decided
//! already: 409 `already_decided`; the OP unreachable: 502
//! `temporarily_unavailable` (the request stays pending on the device).

use super::customers::Customer;
use super::decision::{Recorded, Verdict};
use super::respond::{json, json_error};
use super::state::{DeviceState, Outcome};
use super::summary;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use serde_json::{Value, json};

/// The prefix of every API route.
pub const PREFIX: &str = "/api/";

/// Handles an API request (path under [`PREFIX`]).
pub async fn handle(state: &DeviceState, request: &Request<Bytes>) -> Response<Bytes> {
    let path = request.uri().path();
    let segments: Vec<&str> = path.trim_start_matches(PREFIX).split('/').collect();
    let route = match (request.method(), segments.as_slice()) {
        (&Method::GET, ["customers", username, "requests"]) => Route::List(username),
        (&Method::POST, ["requests", id, "approve"]) => Route::Decide(id, Verdict::Approved),
        (&Method::POST, ["requests", id, "deny"]) => Route::Decide(id, Verdict::Denied),
        _ => return json_error(StatusCode::NOT_FOUND, "not_found", "no such route"),
    };
    let Some(customer) = authenticate(state, request).await else {
        let mut response = json_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "the customer's username and password are required (HTTP Basic)",
        );
        response.headers_mut().insert(
            http::header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"fiducia-device\", charset=\"UTF-8\""),
        );
        return response;
    };
    let now = state.clock.now_unix();
    match route {
        Route::List(username) => {
            let asked = percent_decode(username);
            let same = crate::protocol::credentials::normalize_username(&asked)
                .is_ok_and(|u| u == customer.username);
            if !same {
                return json_error(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "a customer sees only their own requests",
                );
            }
            let requests: Vec<Value> = state
                .inbox
                .of(&customer.account_id, now)
                .iter()
                .map(|r| {
                    let mut value = serde_json::to_value(r.as_ref()).unwrap_or(Value::Null);
                    if let Value::Object(map) = &mut value {
                        let lines: serde_json::Map<String, Value> = summary::lines(r)
                            .into_iter()
                            .map(|l| (l.label.to_string(), Value::String(l.value)))
                            .collect();
                        map.insert("summary".into(), Value::Object(lines));
                        map.insert("expires_in".into(), json!(r.expires_at.saturating_sub(now)));
                    }
                    value
                })
                .collect();
            json(StatusCode::OK, &json!({ "requests": requests }))
        }
        Route::Decide(id, verdict) => {
            let id = percent_decode(id);
            // Authenticated just now, by this very call.
            match state.decide(&customer, &id, verdict, now).await {
                Outcome::Op(Recorded::Yes) => json(
                    StatusCode::OK,
                    &json!({"auth_req_id": id, "decision": verdict.as_str()}),
                ),
                Outcome::NotFound | Outcome::Op(Recorded::NotFound) => {
                    json_error(StatusCode::NOT_FOUND, "not_found", "no such pending request")
                }
                Outcome::Op(Recorded::AlreadyDecided) => json_error(
                    StatusCode::CONFLICT,
                    "already_decided",
                    "the request was decided already",
                ),
                Outcome::Op(Recorded::Refused(status)) => json_error(
                    StatusCode::BAD_GATEWAY,
                    "op_refused",
                    &format!("the OP refused the decision ({status})"),
                ),
                Outcome::Op(Recorded::Unreachable(_)) => json_error(
                    StatusCode::BAD_GATEWAY,
                    "temporarily_unavailable",
                    "the OP could not be reached; try again",
                ),
            }
        }
    }
}

enum Route<'a> {
    List(&'a str),
    Decide(&'a str, Verdict),
}

/// The customer of the `Authorization: Basic` header (RFC 7617 §2: base64
/// of `user-id ":" password`, UTF-8).
async fn authenticate(state: &DeviceState, request: &Request<Bytes>) -> Option<Customer> {
    let header = request
        .headers()
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, encoded) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (username, password) = text.split_once(':')?;
    state.customers.authenticate(username, password).await
}

/// A path segment with its `%XX` escapes decoded (RFC 3986 §2.1).
fn percent_decode(segment: &str) -> String {
    let bytes: std::borrow::Cow<'_, [u8]> = segment.as_bytes().into();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_percent_decoded() {
        assert_eq!(percent_decode("a%20b%2Fc"), "a b/c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
