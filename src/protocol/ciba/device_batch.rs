//! The batched form of the bank's authentication device channel (the OP's
//! side of it; the contract is in docs/ARCHITECTURE.md, "The sandbox
//! customer device"): one JWS of `typ` [`BATCH_TYP`] signed with the OP's
//! key whose `requests` claim lists several backchannel authentication
//! requests (OpenID Connect CIBA Core 1.0 §7.1: what the customer is asked),
//! each with its own `exp`; the device verifies it once and answers 200 with
//! one [`ItemResult`] per request, so that each request's client hears its
//! own outcome. Sans-IO: the shapes and their bounds only.

use serde::{Deserialize, Serialize};

/// `typ` of a batch (RFC 8725 §3.11: explicit typing, distinct from the
/// single form's `ciba-request+jwt`, so neither is taken for the other).
pub const BATCH_TYP: &str = "ciba-requests+jwt";
/// The claim holding the requests, an array of objects.
pub const REQUESTS_CLAIM: &str = "requests";
/// Most requests in one batch (the contract's bound; the device refuses
/// more, and the OP's `[ciba] device_batch_max` may not exceed it). It
/// also keeps the answer small: each result is about 70 bytes.
pub const MAX_BATCH_REQUESTS: usize = 128;

/// The device's answer to a batch (200).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchAnswer {
    /// One per request of the batch, in any order.
    pub results: Vec<ItemResult>,
}

/// What the device made of one request of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemResult {
    /// The request.
    pub auth_req_id: String,
    /// Absent: the request was taken (queued for the customer, or
    /// approved at once). Present: why it was refused (`invalid_request`,
    /// `invalid_token` for an expired one, `unknown_user_id`, CIBA Core
    /// §13).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl BatchAnswer {
    /// Whether the device took `auth_req_id`: it is in the answer without
    /// an error. A request missing from the answer was not taken.
    pub fn accepted(&self, auth_req_id: &str) -> bool {
        self.results
            .iter()
            .any(|r| r.auth_req_id == auth_req_id && r.error.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An item without `error` is taken; one with an error, or missing
    /// from the answer, is not.
    #[test]
    fn each_request_hears_its_own_outcome() {
        let answer: BatchAnswer = serde_json::from_str(
            r#"{"results":[{"auth_req_id":"a"},{"auth_req_id":"b","error":"unknown_user_id"}]}"#,
        )
        .unwrap();
        assert!(answer.accepted("a"));
        assert!(!answer.accepted("b"));
        assert!(!answer.accepted("c"));
        let text = serde_json::to_string(&answer).unwrap();
        assert_eq!(
            text,
            r#"{"results":[{"auth_req_id":"a"},{"auth_req_id":"b","error":"unknown_user_id"}]}"#
        );
    }
}
