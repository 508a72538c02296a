//! The customer's decision, sent to the OP: `POST <decision_endpoint>` over
//! mTLS with the device's client certificate (RFC 8705 §2: the OP
//! authenticates the channel by its certificate, as it does a resource
//! server), a JSON body `{auth_req_id, decision, sub, acr, amr, auth_time}`
//! (`amr` values from RFC 8176 §2). The OP answers 204 when it recorded
//! the decision, 404 `not_found` for an unknown or expired request, 409
//! `already_decided`, 400 `invalid_request` for a malformed body.

use crate::config::DeviceOpConfig;
use crate::gateway::https_client::HttpsClient;
use bytes::Bytes;
use serde::Serialize;
use std::time::Duration;

/// `amr` of a decision on the device: the customer's password (`pwd`) on
/// the bank's app, a key held by the device (`hwk`), RFC 8176 §2.
pub const AMR: &[&str] = &["pwd", "hwk"];
/// Largest answer read from the OP.
const MAX_ANSWER_BYTES: usize = 16 * 1024;

/// Approve or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The customer approved.
    Approved,
    /// The customer denied.
    Denied,
}

impl Verdict {
    /// `approved` or `denied`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Approved => "approved",
            Verdict::Denied => "denied",
        }
    }
}

/// The body of a decision.
#[derive(Debug, Clone, Serialize)]
pub struct Decision<'a> {
    /// The request decided.
    pub auth_req_id: &'a str,
    /// What the customer decided.
    pub decision: Verdict,
    /// The customer's `account_id`.
    pub sub: &'a str,
    /// How the customer was authenticated.
    pub acr: &'a str,
    /// The methods used (RFC 8176).
    pub amr: &'static [&'static str],
    /// When the customer authenticated (unix seconds).
    pub auth_time: u64,
}

/// What the OP made of a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// 204: recorded; the client gets tokens or `access_denied`.
    Yes,
    /// 404: the OP does not know the request (expired, or not this customer's).
    NotFound,
    /// 409: someone decided it first.
    AlreadyDecided,
    /// 400 or another 4xx: the OP refused the body.
    Refused(u16),
    /// No answer, or a 5xx: the request is still pending at the OP.
    Unreachable(String),
}

/// Sends decisions to the OP.
pub struct DecisionClient {
    client: HttpsClient,
    endpoint: String,
}

impl DecisionClient {
    /// A client presenting `op.client_cert` to `op.decision_endpoint`.
    pub fn new(op: &DeviceOpConfig) -> anyhow::Result<Self> {
        Ok(Self {
            client: HttpsClient::new(
                &op.client_cert,
                &op.client_key,
                &op.ca,
                Duration::from_millis(op.timeout_ms),
                MAX_ANSWER_BYTES,
            )?,
            endpoint: op.decision_endpoint.clone(),
        })
    }

    /// POSTs `decision` and says what the OP made of it.
    pub async fn send(&self, decision: &Decision<'_>) -> Recorded {
        let body = match serde_json::to_vec(decision) {
            Ok(body) => body,
            Err(e) => return Recorded::Unreachable(e.to_string()),
        };
        let request = http::Request::post(&self.endpoint)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::ACCEPT, "application/json")
            .body(Bytes::from(body));
        let request = match request {
            Ok(request) => request,
            Err(e) => return Recorded::Unreachable(e.to_string()),
        };
        match self.client.send(request).await {
            Err(e) => Recorded::Unreachable(e.to_string()),
            Ok(answer) => match answer.status().as_u16() {
                200..=299 => Recorded::Yes,
                404 => Recorded::NotFound,
                409 => Recorded::AlreadyDecided,
                status @ 400..=499 => Recorded::Refused(status),
                status => Recorded::Unreachable(format!("the OP answered {status}")),
            },
        }
    }
}
