//! After the bank API accepted a payment (a 2xx answer on a payment route),
//! the token that made it is spent: the gateway refuses it from then on
//! (until its `exp`), and reports it to the OP (`POST /grants/consume` as
//! its resource-server credential), which consumes the token's UK OBIE
//! consent or RAR grant and revokes the grant's tokens (OBIE Payment
//! Initiation API v3.1: a consent authorises one payment). A failed report
//! is logged and counted; the payment stands, the token stays refused
//! here, and the bank's ledger refuses a second payment under the consent.

use super::https_client::HttpsClient;
use super::metrics as m;
use aws_lc_rs::digest::{SHA256, digest};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Most spent tokens remembered; beyond it expired ones are dropped.
const MAX_SPENT: usize = 100_000;

/// Spent payment tokens and the OP's consumption endpoint.
pub struct PaymentReports {
    client: Arc<HttpsClient>,
    endpoint: String,
    client_id: String,
    /// SHA-256 of a spent token → its `exp`.
    spent: Mutex<HashMap<[u8; 32], u64>>,
}

impl PaymentReports {
    /// Reports to `endpoint` as resource server `client_id` through `client`.
    pub fn new(client: Arc<HttpsClient>, endpoint: String, client_id: String) -> Self {
        Self {
            client,
            endpoint,
            client_id,
            spent: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `token` already made its payment.
    pub fn is_spent(&self, token: &str, now: u64) -> bool {
        let key = token_key(token);
        self.spent
            .lock()
            .map(|spent| spent.get(&key).is_some_and(|exp| *exp > now))
            .unwrap_or(false)
    }

    /// `token` (valid until `exp`) made its payment: remember it as spent
    /// and tell the OP, once (concurrent retries of the same payment all
    /// get the bank's answer; only the first reports it).
    pub async fn payment_made(&self, token: &str, exp: u64, now: u64) {
        let first = match self.spent.lock() {
            Ok(mut spent) => {
                if spent.len() >= MAX_SPENT {
                    spent.retain(|_, until| *until > now);
                }
                spent.insert(token_key(token), exp).is_none()
            }
            Err(_) => true,
        };
        if !first {
            return;
        }
        let outcome = self.report(token).await;
        m::payment_reported(outcome.is_ok());
        match outcome {
            Ok(()) => tracing::info!("payment reported to the OP: its grant is consumed"),
            Err(error) => tracing::error!(
                %error,
                "the OP was not told of a payment; its consent stays Authorised there until reported"
            ),
        }
    }

    async fn report(&self, token: &str) -> Result<(), String> {
        let form = [("token", token), ("client_id", self.client_id.as_str())];
        let response = self
            .client
            .post_form(&self.endpoint, &form)
            .await
            .map_err(|e| e.to_string())?;
        if response.status() == http::StatusCode::OK {
            return Ok(());
        }
        let answer: serde_json::Value = serde_json::from_slice(response.body()).unwrap_or_default();
        Err(format!(
            "the OP answered {} {} {}",
            response.status().as_u16(),
            answer["error"].as_str().unwrap_or("-"),
            answer["error_description"].as_str().unwrap_or("")
        ))
    }
}

fn token_key(token: &str) -> [u8; 32] {
    let mut key = [0u8; 32];
    key.copy_from_slice(digest(&SHA256, token.as_bytes()).as_ref());
    key
}
