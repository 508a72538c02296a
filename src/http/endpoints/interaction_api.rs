//! The interaction API (issue 25), called by the bank's login and consent
//! app (an interaction app, `oauth::interaction_app`) over mTLS with its
//! resource server certificate:
//!
//! - `POST /interaction-api/read` `{interaction_id}`: what is asked;
//! - `POST /interaction-api/login` `{interaction_id, sub, acr, amr, auth_time}`;
//! - `POST /interaction-api/consent` `{interaction_id, approve, scopes, claims, debtor_account}`;
//! - `POST /interaction-api/return` `{interaction_id}`: `{return_to}`;
//! - `POST /interaction-api/abandon` `{interaction_id, reason}`: the app
//!   gives up; `{return_to}` (`interaction_api::abandon`);
//! - `POST /interaction-api/ciba/pending` `{limit?}`, `/ciba/read`
//!   `{request_ref}`, `/ciba/decision` `{request_ref, approve, sub, acr,
//!   amr, auth_time}`: the CIBA requests handed to the app
//!   (`oauth::ciba::app_api`); 404 `unknown-request`, 409
//!   `already-decided`, 404 `ciba-disabled` where `[ciba]` is off.
//!
//! The app authenticates with its certificate (RFC 8705 §2.1), or, when
//! its entry has keys (`jwks_file` / `jwks_uri`), with a client assertion
//! in the body: `client_assertion_type` and `client_assertion` as JSON
//! members beside the operation's own (RFC 7521 §4.2's parameter names;
//! RFC 7523 §2.2; `oauth::interaction_app_assertion`), checked before the
//! rest of the body: 401 `invalid-client-assertion` or
//! `client-assertion-replayed`.
//!
//! Bodies are JSON (`application/json`, at most [`MAX_BODY_BYTES`]);
//! answers are JSON, every refusal an RFC 9457 problem document
//! (`application/problem+json`: `type`, `title`, `status`, `detail`) with
//! a `type` of `urn:fiducia:problem:<name>`: 401 `unauthenticated` (no
//! certificate that chains to `tls.client_ca`), 403 `not-an-interaction-app`,
//! 404 `unknown-interaction` (unknown, expired, or another app's), 409
//! `wrong-stage` and `interaction-used`, 400 `invalid-report`, 429
//! `rate-limited` (with `Retry-After`; the app's `interaction_requests_per_second`
//! and `interaction_burst`, per node), 413
//! `body-too-large`, 415 `unsupported-media-type`, 503 `unavailable`.

use crate::oauth::caller::Caller;
use crate::oauth::interaction_api::{self, ApiError};
use crate::oauth::interaction_app::{self, AppRefusal};
use crate::oauth::interaction_app_assertion::{self, AssertionRefusal};
use crate::oauth::op::OpState;
use crate::protocol::paths;
use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use http::{Request, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

/// The largest body accepted (the listener's `max_body_bytes` bounds it
/// first): a report is a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Which operation a route runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// What is asked.
    Read,
    /// The login report.
    Login,
    /// The consent report.
    Consent,
    /// The URL to send the browser back to.
    Return,
    /// The app gives the interaction up.
    Abandon,
    /// The app's pending CIBA requests.
    CibaPending,
    /// What a CIBA request asks.
    CibaRead,
    /// The customer's decision on a CIBA request.
    CibaDecision,
}

impl Operation {
    /// The endpoint's path (a client assertion's `aud` may name its URL).
    fn path(self) -> &'static str {
        match self {
            Operation::Read => paths::INTERACTION_API_READ,
            Operation::Login => paths::INTERACTION_API_LOGIN,
            Operation::Consent => paths::INTERACTION_API_CONSENT,
            Operation::Return => paths::INTERACTION_API_RETURN,
            Operation::Abandon => paths::INTERACTION_API_ABANDON,
            Operation::CibaPending => paths::INTERACTION_API_CIBA_PENDING,
            Operation::CibaRead => paths::INTERACTION_API_CIBA_READ,
            Operation::CibaDecision => paths::INTERACTION_API_CIBA_DECISION,
        }
    }

    /// Whether it works on CIBA requests rather than interactions.
    fn is_ciba(self) -> bool {
        matches!(
            self,
            Operation::CibaPending | Operation::CibaRead | Operation::CibaDecision
        )
    }
}

/// Handles one call of the interaction API.
pub async fn post(
    op: &OpState,
    request: &Request<Bytes>,
    caller: &Caller,
    operation: Operation,
) -> Response<Bytes> {
    // The interaction apps this node runs now (`oauth/live_sections`).
    let servers = op
        .services
        .sections
        .get::<crate::oauth::live_sections::ResourceServers>();
    // The body first: a JSON object, its client assertion (if any) taken out.
    let (mut object, assertion) = match body_object(request) {
        Ok(found) => found,
        Err(refused) => return refused.response(),
    };
    let app = match calling_app(op, &servers, caller, assertion, operation.path()).await {
        Ok(app) => app,
        Err(refused) => return refused,
    };
    let now = op.now();
    let body = Value::Object(std::mem::take(&mut object));
    let result = match operation {
        Operation::Read => match typed::<interaction_api::InteractionRef>(body) {
            Ok(r) => interaction_api::read(op, app, &r.interaction_id, now).await,
            Err(refused) => return refused.response(),
        },
        Operation::Login => match typed::<interaction_api::LoginReport>(body) {
            Ok(report) => interaction_api::report_login(op, app, report, now).await,
            Err(refused) => return refused.response(),
        },
        Operation::Consent => match typed::<interaction_api::ConsentReport>(body) {
            Ok(report) => interaction_api::report_consent(op, app, report, now).await,
            Err(refused) => return refused.response(),
        },
        Operation::Return => match typed::<interaction_api::InteractionRef>(body) {
            Ok(r) => interaction_api::return_to(op, app, &r.interaction_id, now).await,
            Err(refused) => return refused.response(),
        },
        Operation::Abandon => match typed::<interaction_api::AbandonReport>(body) {
            Ok(report) => interaction_api::abandon(op, app, report, now).await,
            Err(refused) => return refused.response(),
        },
        Operation::CibaPending | Operation::CibaRead | Operation::CibaDecision => {
            let Some(ciba) = op.services.ciba.as_deref() else {
                return problem(
                    StatusCode::NOT_FOUND,
                    "ciba-disabled",
                    "CIBA is not enabled on this OP",
                );
            };
            match ciba_call(op, ciba, app, operation, body, now).await {
                Ok(result) => result,
                Err(refused) => return refused.response(),
            }
        }
    };
    match result {
        Ok(value) => json_response(StatusCode::OK, &value, "application/json"),
        Err(ApiError::NotFound) if operation.is_ciba() => problem(
            StatusCode::NOT_FOUND,
            "unknown-request",
            "no pending backchannel authentication request of this app has this request_ref: unknown, expired, or not handed to this app",
        ),
        Err(e) => refusal(&e),
    }
}

/// The interaction app calling (RFC 8705 §2.1 certificate, or the RFC
/// 7523 client assertion taken from the body), charged to its per-node
/// budget; else the refusal to answer with (401, 403, 429).
pub(super) async fn calling_app<'a>(
    op: &OpState,
    servers: &'a [crate::config::ResourceServerConfig],
    caller: &Caller,
    assertion: Option<Assertion>,
    path: &str,
) -> Result<&'a crate::config::ResourceServerConfig, Response<Bytes>> {
    let app = match assertion {
        Some((kind, jwt)) => {
            let found =
                interaction_app_assertion::authenticate(op, servers, (&kind, &jwt), path, op.now()).await;
            match found {
                Ok(app) => app,
                Err(refusal) => return Err(assertion_refused(&refusal)),
            }
        }
        None => match interaction_app::authenticate(servers, caller) {
            Ok(app) => app,
            Err(AppRefusal::NoCertificate) => {
                return Err(problem(
                    StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    "present the interaction app's certificate (RFC 8705 §2.1) or a client_assertion (RFC 7523 §2.2)",
                ));
            }
            Err(AppRefusal::NotAnApp) => {
                return Err(problem(
                    StatusCode::FORBIDDEN,
                    "not-an-interaction-app",
                    "this certificate belongs to no interaction app",
                ));
            }
        },
    };
    // The app's request budget on this node (RFC 6585 §4).
    if let Err(limited) = op
        .services
        .interaction_budgets
        .take(app, std::time::Instant::now())
    {
        let mut response = problem(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "the interaction app's request budget is spent; retry later",
        );
        response
            .headers_mut()
            .insert(http::header::RETRY_AFTER, HeaderValue::from(limited.0));
        return Err(response);
    }
    Ok(app)
}

/// A CIBA operation of the interaction API (`oauth::ciba::app_api`).
async fn ciba_call(
    op: &OpState,
    ciba: &crate::oauth::ciba::Ciba,
    app: &crate::config::ResourceServerConfig,
    operation: Operation,
    body: Value,
    now: u64,
) -> Result<Result<Value, ApiError>, BodyRefusal> {
    use crate::oauth::ciba::app_api;
    Ok(match operation {
        Operation::CibaPending => app_api::pending(op, app, typed(body)?, now).await,
        Operation::CibaRead => {
            let r: app_api::RequestRef = typed(body)?;
            app_api::read(op, app, &r.request_ref, now).await
        }
        _ => app_api::decide(op, ciba, app, typed(body)?, now).await,
    })
}

/// Why a body is refused: the problem document's status, name and detail.
pub(super) struct BodyRefusal {
    status: StatusCode,
    name: &'static str,
    detail: String,
}

impl BodyRefusal {
    pub(super) fn response(&self) -> Response<Bytes> {
        problem(self.status, self.name, &self.detail)
    }
}

/// A client assertion's two members, as RFC 7521 §4.2 names the parameters.
const ASSERTION_MEMBERS: [&str; 2] = ["client_assertion_type", "client_assertion"];

/// A client assertion from a body: its type and the JWT.
pub(super) type Assertion = (String, String);

/// The JSON object of the body, and the client assertion it carries
/// (`client_assertion_type`, `client_assertion`, both strings, taken out
/// of the object), or why it is refused.
pub(super) fn body_object(
    request: &Request<Bytes>,
) -> Result<(Map<String, Value>, Option<Assertion>), BodyRefusal> {
    let refused = |detail: &str| BodyRefusal {
        status: StatusCode::BAD_REQUEST,
        name: "invalid-report",
        detail: detail.to_string(),
    };
    let Value::Object(mut object) = body::<Value>(request)? else {
        return Err(refused("the body must be a JSON object"));
    };
    let [kind, jwt] = ASSERTION_MEMBERS.map(|name| object.remove(name));
    let assertion = match (kind, jwt) {
        (None, None) => None,
        (Some(Value::String(kind)), Some(Value::String(jwt))) => Some((kind, jwt)),
        _ => {
            return Err(refused(
                "send client_assertion_type and client_assertion together, as strings (RFC 7521 §4.2)",
            ));
        }
    };
    Ok((object, assertion))
}

/// The object as the operation's body `T`.
fn typed<T: DeserializeOwned>(body: Value) -> Result<T, BodyRefusal> {
    serde_json::from_value(body).map_err(|e| BodyRefusal {
        status: StatusCode::BAD_REQUEST,
        name: "invalid-report",
        detail: format!("the body is not acceptable: {e}"),
    })
}

/// A refused client assertion as a problem: 401 `invalid-client-assertion`
/// (RFC 7523 §3: signature, `iss`/`sub`, `aud`, `exp`, `jti`), 401
/// `client-assertion-replayed` (§3 item 7), 503 when the keys or the store
/// cannot be reached.
fn assertion_refused(refusal: &AssertionRefusal) -> Response<Bytes> {
    tracing::warn!(target: "fiducia::audit", ?refusal, "interaction API call with a refused client assertion");
    match refusal {
        AssertionRefusal::Invalid(reason) => problem(
            StatusCode::UNAUTHORIZED,
            "invalid-client-assertion",
            &format!("the client assertion is not acceptable (RFC 7523 §3): {reason}"),
        ),
        AssertionRefusal::Replayed => problem(
            StatusCode::UNAUTHORIZED,
            "client-assertion-replayed",
            "this assertion's jti was used before (RFC 7523 §3 item 7): sign a new assertion for each call",
        ),
        AssertionRefusal::Unavailable => {
            let mut response = problem(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "try again");
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
    }
}

/// The JSON body as `T`, or why it is refused.
fn body<T: DeserializeOwned>(request: &Request<Bytes>) -> Result<T, BodyRefusal> {
    let refused = |status, name, detail: String| BodyRefusal { status, name, detail };
    let json_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json_type {
        return Err(refused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "send application/json".into(),
        ));
    }
    if request.body().len() > MAX_BODY_BYTES {
        return Err(refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body-too-large",
            "the body is larger than 16 KiB".into(),
        ));
    }
    serde_json::from_slice(request.body()).map_err(|e| {
        refused(
            StatusCode::BAD_REQUEST,
            "invalid-report",
            format!("the body is not acceptable: {e}"),
        )
    })
}

fn refusal(error: &ApiError) -> Response<Bytes> {
    match error {
        ApiError::NotFound => problem(
            StatusCode::NOT_FOUND,
            "unknown-interaction",
            "no interaction of this app has this id: unknown, expired, or not handed to this app",
        ),
        ApiError::WrongStage(detail) => problem(StatusCode::CONFLICT, "wrong-stage", detail),
        ApiError::Used => problem(
            StatusCode::CONFLICT,
            "interaction-used",
            "this interaction was completed already: its id is single use",
        ),
        ApiError::AlreadyDecided => problem(
            StatusCode::CONFLICT,
            "already-decided",
            "this backchannel authentication request was decided already (one decision per request)",
        ),
        ApiError::Invalid(detail) => problem(StatusCode::BAD_REQUEST, "invalid-report", detail),
        ApiError::Unavailable => {
            let mut response = problem(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "try again");
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
    }
}

/// An RFC 9457 §3 problem document.
pub(super) fn problem(status: StatusCode, name: &str, detail: &str) -> Response<Bytes> {
    let body = json!({
        "type": format!("urn:fiducia:problem:{name}"),
        "title": status.canonical_reason().unwrap_or("error"),
        "status": status.as_u16(),
        "detail": detail,
    });
    json_response(status, &body, "application/problem+json")
}

pub(super) fn json_response(
    status: StatusCode,
    value: &Value,
    content_type: &'static str,
) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(value.to_string()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
