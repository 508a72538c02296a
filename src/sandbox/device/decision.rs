//! The customer's decision, sent to the OP: `POST <decision_endpoint>` over
//! mTLS with the device's client certificate (RFC 8705 §2: the OP
//! authenticates the channel by its certificate, as it does a resource
//! server), a JSON body `{auth_req_id, decision, sub, acr, amr, auth_time}`
//! (`amr` values from RFC 8176 §2). The OP answers 204 when it recorded
//! the decision, 404 `not_found` for an unknown or expired request, 409
//! `already_decided`, 400 `invalid_request` for a malformed body. Several
//! decisions go in one call as `{"decisions": [...]}` ([`DecisionClient::send_all`],
//! at most [`MAX_DECISIONS_PER_CALL`]), answered 200 with each one's outcome.

use crate::config::DeviceOpConfig;
use crate::gateway::https_client::HttpsClient;
use crate::protocol::ciba::device_batch::BatchAnswer;
use bytes::Bytes;
use serde::Serialize;
use std::time::Duration;

/// `amr` of a decision on the device: the customer's password (`pwd`) on
/// the bank's app, a key held by the device (`hwk`), RFC 8176 §2.
pub const AMR: &[&str] = &["pwd", "hwk"];
/// Largest answer read from the OP.
const MAX_ANSWER_BYTES: usize = 16 * 1024;
/// Most decisions sent in one call (the OP takes up to 128; each result
/// of its answer is about 70 bytes).
pub const MAX_DECISIONS_PER_CALL: usize = 64;

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
        match self.post(body).await {
            Ok(answer) => recorded(answer.status().as_u16()),
            Err(error) => Recorded::Unreachable(error),
        }
    }

    /// POSTs `decisions` (at most [`MAX_DECISIONS_PER_CALL`]) in one call
    /// and says what the OP made of each, in their order.
    pub async fn send_all(&self, decisions: &[Decision<'_>]) -> Vec<Recorded> {
        let all = |recorded: Recorded| vec![recorded; decisions.len()];
        let body = match serde_json::to_vec(&serde_json::json!({ "decisions": decisions })) {
            Ok(body) => body,
            Err(e) => return all(Recorded::Unreachable(e.to_string())),
        };
        let answer = match self.post(body).await {
            Ok(answer) if answer.status() == http::StatusCode::OK => answer,
            Ok(answer) => return all(recorded(answer.status().as_u16())),
            Err(error) => return all(Recorded::Unreachable(error)),
        };
        let Ok(answer) = serde_json::from_slice::<BatchAnswer>(answer.body()) else {
            return all(Recorded::Unreachable(
                "the OP's answer is not a batch answer".into(),
            ));
        };
        decisions
            .iter()
            .map(|decision| {
                let result = answer
                    .results
                    .iter()
                    .find(|r| r.auth_req_id == decision.auth_req_id);
                match result.map(|r| r.error.as_deref()) {
                    None => Recorded::Unreachable("the OP did not answer for it".into()),
                    Some(None) => Recorded::Yes,
                    Some(Some("not_found")) => Recorded::NotFound,
                    Some(Some("already_decided")) => Recorded::AlreadyDecided,
                    Some(Some("temporarily_unavailable")) => {
                        Recorded::Unreachable("the OP answered 503".into())
                    }
                    Some(Some(_)) => Recorded::Refused(400),
                }
            })
            .collect()
    }

    async fn post(&self, body: Vec<u8>) -> Result<http::Response<Bytes>, String> {
        let request = http::Request::post(&self.endpoint)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::ACCEPT, "application/json")
            .body(Bytes::from(body));
        let request = request.map_err(|e| e.to_string())?;
        self.client.send(request).await.map_err(|e| e.to_string())
    }
}

/// What the OP's status says of a single decision.
fn recorded(status: u16) -> Recorded {
    match status {
        200..=299 => Recorded::Yes,
        404 => Recorded::NotFound,
        409 => Recorded::AlreadyDecided,
        status @ 400..=499 => Recorded::Refused(status),
        status => Recorded::Unreachable(format!("the OP answered {status}")),
    }
}
