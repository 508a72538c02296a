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
use super::token_info::TokenInfo;
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

    /// Reserves `token` (described by `info`)'s consent for the payment
    /// `idempotency_key`; the consent id the bank API is to be told.
    pub async fn reserve(
        &self,
        token: &str,
        info: &TokenInfo,
        idempotency_key: &str,
    ) -> Result<String, Refusal> {
        let form = [
            ("token", token),
            ("idempotency_key", idempotency_key),
            ("client_id", self.client_id.as_str()),
        ];
        let outcome = match self.client.post_form(&self.reserve_endpoint, &form).await {
            Ok(response) => read_reservation(response.status().as_u16(), response.body(), info),
            Err(error) => {
                tracing::warn!(%error, "the OP could not be asked to reserve a payment's consent");
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

/// The OP's answer to a reservation of the payment token `info` describes:
/// the consent id, which must be the token's own (its client, and its UK
/// OBIE consent when it names one), or the refusal to give the fintech.
fn read_reservation(status: u16, body: &[u8], info: &TokenInfo) -> Result<String, Refusal> {
    let answer: Value = serde_json::from_slice(body).unwrap_or_default();
    let description = answer["error_description"].as_str().unwrap_or_default();
    match (status, answer["error"].as_str()) {
        (200, _) => {
            let consent_id = answer["consent_id"].as_str().filter(|id| !id.is_empty());
            let named = info
                .openbanking_consent
                .as_ref()
                .and_then(|c| c["ConsentId"].as_str());
            match consent_id {
                Some(id)
                    if answer["client_id"] == info.client_id.as_str() && named.is_none_or(|n| n == id) =>
                {
                    Ok(id.to_string())
                }
                _ => {
                    tracing::error!(
                        "the OP reserved another consent than the token's; the payment is refused"
                    );
                    Err(Refusal::OpUnavailable)
                }
            }
        }
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::token_info::Cnf;
    use serde_json::json;

    fn info(consent: Option<&str>) -> TokenInfo {
        TokenInfo {
            client_id: "fintech".into(),
            sub: Some("alice".into()),
            scopes: vec!["payments".into()],
            exp: 200,
            cnf: Cnf::Jkt("k".into()),
            authorization_details: None,
            grant_id: Some("g-1".into()),
            openbanking_consent: consent.map(|id| json!({"ConsentId": id})),
        }
    }

    fn answer(status: u16, body: Value, info: &TokenInfo) -> Result<String, Refusal> {
        read_reservation(status, body.to_string().as_bytes(), info)
    }

    /// The consent the bank is told is the one the OP reserved, and only if
    /// it is the token's own (OBIE Payment Initiation API v3.1).
    #[test]
    fn the_reserved_consent_must_be_the_tokens() {
        let ok = json!({"client_id": "fintech", "consent_id": "pdc-1", "status": "Reserved"});
        assert_eq!(answer(200, ok.clone(), &info(Some("pdc-1"))), Ok("pdc-1".into()));
        assert_eq!(answer(200, ok.clone(), &info(None)), Ok("pdc-1".into()));
        assert_eq!(answer(200, ok, &info(Some("pdc-2"))), Err(Refusal::OpUnavailable));
        let other_client = json!({"client_id": "other", "consent_id": "pdc-1"});
        assert_eq!(
            answer(200, other_client, &info(None)),
            Err(Refusal::OpUnavailable)
        );
        assert_eq!(
            answer(200, json!({"client_id": "fintech"}), &info(None)),
            Err(Refusal::OpUnavailable)
        );
    }

    /// The OP's OAuth errors become the fintech's OB refusals: a used
    /// consent 403 InvalidConsentStatus, a dead token 401, anything else 503.
    #[test]
    fn the_ops_refusals_are_mapped() {
        let error = |code: &str| json!({"error": code, "error_description": "why"});
        assert!(matches!(
            answer(400, error("invalid_grant"), &info(None)),
            Err(Refusal::ConsentUsed(_))
        ));
        assert!(matches!(
            answer(401, error("invalid_token"), &info(None)),
            Err(Refusal::InvalidToken(_))
        ));
        assert!(matches!(
            answer(400, error("invalid_request"), &info(None)),
            Err(Refusal::ConsentMismatch(_))
        ));
        assert_eq!(
            answer(401, error("invalid_client"), &info(None)),
            Err(Refusal::OpUnavailable)
        );
        assert_eq!(
            read_reservation(502, b"<html>", &info(None)),
            Err(Refusal::OpUnavailable)
        );
    }
}
