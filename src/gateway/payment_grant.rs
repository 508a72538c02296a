//! The OP's say on a payment's consent, asked as the gateway's
//! resource-server credential (mTLS, `[gateway.op]`):
//!
//! - [`PaymentGrants::reserve`], before the bank API is called: `POST
//!   /grants/reserve` with the token and the payment's `x-idempotency-key`.
//!   The OP reserves the token's consent (UK OBIE consent or RAR grant) for
//!   this payment in one store transaction, so every gateway replica, and
//!   a restarted one, agrees: the same payment again passes (the bank's
//!   ledger gives it back), any other is refused (OBIE Payment Initiation
//!   API v3.1: a consent authorises one payment). The answer names the
//!   consent the bank API is told (`x-fiducia-consent-id`).
//! - [`PaymentGrants::paid`], after the bank API accepted it: `POST
//!   /grants/consume`, and the OP revokes the grant's tokens. A failed
//!   report is logged and counted; the reservation already keeps the
//!   consent from paying again.

use super::errors::Refusal;
use super::https_client::HttpsClient;
use super::metrics as m;
use serde_json::Value;
use std::sync::Arc;

/// The OP's reservation and consumption endpoints.
pub struct PaymentGrants {
    client: Arc<HttpsClient>,
    reserve_endpoint: String,
    consume_endpoint: String,
    client_id: String,
}

impl PaymentGrants {
    /// Calls `reserve_endpoint` and `consume_endpoint` as resource server
    /// `client_id` through `client`.
    pub fn new(
        client: Arc<HttpsClient>,
        reserve_endpoint: String,
        consume_endpoint: String,
        client_id: String,
    ) -> Self {
        Self {
            client,
            reserve_endpoint,
            consume_endpoint,
            client_id,
        }
    }

    /// Reserves `token`'s consent for the payment `idempotency_key`; the
    /// consent id the bank API is to be told.
    pub async fn reserve(&self, token: &str, idempotency_key: &str) -> Result<String, Refusal> {
        let form = [
            ("token", token),
            ("idempotency_key", idempotency_key),
            ("client_id", self.client_id.as_str()),
        ];
        let response = self
            .client
            .post_form(&self.reserve_endpoint, &form)
            .await
            .map_err(|error| {
                tracing::warn!(%error, "the OP could not be asked to reserve a payment's consent");
                Refusal::OpUnavailable
            })?;
        let answer: Value = serde_json::from_slice(response.body()).unwrap_or_default();
        let description = answer["error_description"].as_str().unwrap_or_default();
        let outcome = match (response.status().as_u16(), answer["error"].as_str()) {
            (200, _) => match answer["consent_id"].as_str() {
                Some(id) if !id.is_empty() => Ok(id.to_string()),
                _ => Err(Refusal::OpUnavailable),
            },
            (_, Some("invalid_token")) => Err(Refusal::InvalidToken(format!("the OP: {description}"))),
            (_, Some("invalid_grant")) => Err(Refusal::ConsentUsed(format!("the OP: {description}"))),
            (_, Some("invalid_request")) => Err(Refusal::ConsentMismatch(format!("the OP: {description}"))),
            (status, error) => {
                tracing::warn!(
                    status,
                    error = error.unwrap_or("-"),
                    "the OP refused the gateway's reservation"
                );
                Err(Refusal::OpUnavailable)
            }
        };
        m::payment_reserved(outcome.as_ref().map_err(Refusal::reason).err());
        outcome
    }

    /// The bank API accepted the payment made with `token`: the OP revokes
    /// the grant's tokens.
    pub async fn paid(&self, token: &str) {
        let outcome = self.report(token).await;
        m::payment_reported(outcome.is_ok());
        match outcome {
            Ok(()) => tracing::info!("payment reported to the OP: its grant is consumed"),
            Err(error) => tracing::error!(
                %error,
                "the OP was not told of a payment; its grant's tokens stay until they expire, its consent is reserved for that payment only"
            ),
        }
    }

    async fn report(&self, token: &str) -> Result<(), String> {
        let form = [("token", token), ("client_id", self.client_id.as_str())];
        let response = self
            .client
            .post_form(&self.consume_endpoint, &form)
            .await
            .map_err(|e| e.to_string())?;
        if response.status() == http::StatusCode::OK {
            return Ok(());
        }
        let answer: Value = serde_json::from_slice(response.body()).unwrap_or_default();
        Err(format!(
            "the OP answered {} {} {}",
            response.status().as_u16(),
            answer["error"].as_str().unwrap_or("-"),
            answer["error_description"].as_str().unwrap_or("")
        ))
    }
}
