//! The bank's authentication device channel, outbound: each backchannel
//! authentication request goes to the customer's device (the bank's
//! notification service; `fiducia device` in the sandbox) as a JWS signed
//! with the OP's key through the HSM pool (`typ` `ciba-request+jwt`,
//! `application/jwt`), before the client hears its `auth_req_id`: a
//! request the device never received would only ever expire. The device
//! verifies it with the OP's `/jwks`.
//!
//! Claims: `iss` (the issuer), `aud` (`[ciba] device_audience`), `iat`,
//! `exp` (the request's expiry), `jti`, `auth_req_id`, `sub` (the
//! customer), `client_id`, `client_name`, `scope`, and when present
//! `binding_message`, `acr_values`, `authorization_details` (RFC 9396) and
//! `intent` (the UK OBIE consent: `consent_id`, `kind`, and for a payment
//! `amount`, `currency`, `creditor_name`). The device answers 202; a
//! failure after `[ciba] delivery_attempts` is the client's 503.
//!
//! The `auth_req_id` travels to the device because it is how the device
//! names the request when it answers (`/ciba/decision`); alone it issues
//! nothing: the token endpoint also authenticates the client.

use crate::consent::{Consent, ConsentKind};
use crate::model::Client;
use crate::model::ciba::BackchannelRequest;
use crate::oauth::op::OpState;
use crate::outbound::{AddressPolicy, Delivery, OutboundPoster, RetryPolicy};
use crate::protocol::error::{ErrorCode, OAuthError};
use serde_json::{Map, Value, json};
use std::time::Duration;

/// `typ` of the notification JWS.
pub const NOTIFICATION_TYP: &str = "ciba-request+jwt";

/// The retry policy `[ciba]` sets for every delivery.
pub fn retry_policy(config: &crate::config::CibaConfig) -> RetryPolicy {
    RetryPolicy {
        attempts: config.delivery_attempts,
        first_backoff: Duration::from_millis(config.delivery_first_backoff_ms),
        timeout: Duration::from_millis(config.delivery_timeout_ms),
    }
}

/// The notification's claims.
pub fn claims(
    op: &OpState,
    client: &Client,
    request: &BackchannelRequest,
    auth_req_id: &str,
    consent: Option<&Consent>,
    now: u64,
) -> Map<String, Value> {
    let config = &op.config.get().ciba;
    let mut claims = Map::new();
    for (name, value) in [
        ("iss", json!(op.config.issuer())),
        ("aud", json!(config.device_audience)),
        ("iat", json!(now)),
        ("exp", json!(request.expires_at)),
        ("jti", json!(uuid::Uuid::new_v4().to_string())),
        ("auth_req_id", json!(auth_req_id)),
        ("sub", json!(request.account_id)),
        ("client_id", json!(client.client_id)),
        ("client_name", json!(client.client_name)),
        ("scope", json!(request.scopes.join(" "))),
    ] {
        claims.insert(name.into(), value);
    }
    if let Some(message) = &request.binding_message {
        claims.insert("binding_message".into(), json!(message));
    }
    if !request.acr_values.is_empty() {
        claims.insert("acr_values".into(), json!(request.acr_values.join(" ")));
    }
    if let Some(details) = crate::protocol::rar::stored_value(request.authorization_details.as_deref()) {
        claims.insert("authorization_details".into(), details);
    }
    if let Some(consent) = consent {
        claims.insert("intent".into(), intent(consent));
    }
    claims
}

/// The consent as the device shows it.
fn intent(consent: &Consent) -> Value {
    match &consent.kind {
        ConsentKind::DomesticPayment(payment) => json!({
            "consent_id": consent.consent_id,
            "kind": "payment",
            "amount": payment.amount,
            "currency": payment.currency,
            "creditor_name": payment.creditor.name,
        }),
        ConsentKind::AccountAccess(_) => json!({
            "consent_id": consent.consent_id,
            "kind": "accounts",
        }),
    }
}

/// Signs `claims` and delivers them to the device channel.
pub async fn notify(
    op: &OpState,
    poster: &OutboundPoster,
    claims: Map<String, Value>,
) -> Result<(), OAuthError> {
    let config = &op.config.get().ciba;
    let keys = op.key_set();
    let signer = keys
        .signer
        .as_ref()
        .ok_or_else(|| OAuthError::new(ErrorCode::TemporarilyUnavailable, "no active signing key"))?;
    let mut header = Map::new();
    header.insert("typ".into(), Value::String(NOTIFICATION_TYP.into()));
    let payload =
        serde_json::to_vec(&claims).map_err(|e| OAuthError::new(ErrorCode::ServerError, e.to_string()))?;
    let jws = fiducia_hsm::sign_jws(signer.as_ref(), header, &payload).await?;
    let delivery = Delivery {
        url: &config.device_notification_url,
        content_type: "application/jwt",
        body: jws.into(),
        bearer: None,
    };
    let delivered = poster
        .deliver(&delivery, AddressPolicy::Any, retry_policy(config))
        .await;
    let outcome = if delivered.is_ok() { "delivered" } else { "failed" };
    metrics::counter!("fiducia_ciba_deliveries_total", "kind" => "device", "outcome" => outcome).increment(1);
    delivered.map(|_| ()).map_err(|error| {
        tracing::warn!(%error, "the device channel did not take a backchannel authentication request");
        OAuthError::new(
            ErrorCode::TemporarilyUnavailable,
            "the customer's authentication device could not be reached; try again later",
        )
    })
}
