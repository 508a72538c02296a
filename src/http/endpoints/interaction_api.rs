//! The interaction API (issue 25), called by the bank's login and consent
//! app (an interaction app, `oauth::interaction_app`) over mTLS with its
//! resource server certificate:
//!
//! - `POST /interaction-api/read` `{interaction_id}`: what is asked;
//! - `POST /interaction-api/login` `{interaction_id, sub, acr, amr, auth_time}`;
//! - `POST /interaction-api/consent` `{interaction_id, approve, scopes, claims, debtor_account}`;
//! - `POST /interaction-api/return` `{interaction_id}`: `{return_to}`.
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
use crate::oauth::op::OpState;
use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use http::{Request, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

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
    let app = match interaction_app::authenticate(&servers, caller) {
        Ok(app) => app,
        Err(AppRefusal::NoCertificate) => {
            return problem(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "present the interaction app's certificate (RFC 8705 §2.1)",
            );
        }
        Err(AppRefusal::NotAnApp) => {
            return problem(
                StatusCode::FORBIDDEN,
                "not-an-interaction-app",
                "this certificate belongs to no interaction app",
            );
        }
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
        return response;
    }
    let now = op.now();
    let result = match operation {
        Operation::Read => match body::<interaction_api::InteractionRef>(request) {
            Ok(r) => interaction_api::read(op, app, &r.interaction_id, now).await,
            Err(refused) => return refused.response(),
        },
        Operation::Login => match body::<interaction_api::LoginReport>(request) {
            Ok(report) => interaction_api::report_login(op, app, report, now).await,
            Err(refused) => return refused.response(),
        },
        Operation::Consent => match body::<interaction_api::ConsentReport>(request) {
            Ok(report) => interaction_api::report_consent(op, app, report, now).await,
            Err(refused) => return refused.response(),
        },
        Operation::Return => match body::<interaction_api::InteractionRef>(request) {
            Ok(r) => interaction_api::return_to(op, app, &r.interaction_id, now).await,
            Err(refused) => return refused.response(),
        },
    };
    match result {
        Ok(value) => json_response(StatusCode::OK, &value, "application/json"),
        Err(e) => refusal(&e),
    }
}

/// Why a body is refused: the problem document's status, name and detail.
struct BodyRefusal {
    status: StatusCode,
    name: &'static str,
    detail: String,
}

impl BodyRefusal {
    fn response(&self) -> Response<Bytes> {
        problem(self.status, self.name, &self.detail)
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
fn problem(status: StatusCode, name: &str, detail: &str) -> Response<Bytes> {
    let body = json!({
        "type": format!("urn:fiducia:problem:{name}"),
        "title": status.canonical_reason().unwrap_or("error"),
        "status": status.as_u16(),
        "detail": detail,
    });
    json_response(status, &body, "application/problem+json")
}

fn json_response(status: StatusCode, value: &Value, content_type: &'static str) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(value.to_string()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
