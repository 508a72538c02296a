//! The bank's authentication device channel, outbound: each backchannel
//! authentication request goes to the customer's device (the bank's
//! notification service; `fiducia device` in the sandbox) before the client
//! hears its `auth_req_id`: a request the device never received would only
//! ever expire. The requests go through the node's batcher
//! (`device_batch.rs`): one JWS signed with the OP's key through the HSM
//! pool (`typ` `ciba-requests+jwt`, `application/jwt`) carries every
//! request waiting, and the device verifies it with the OP's `/jwks`.
//!
//! Each request's claims: `auth_req_id`, `exp` (the request's expiry),
//! `sub` (the customer), `client_id`, `client_name`, `scope`, and when
//! present `binding_message`, `acr_values`, `authorization_details` (RFC
//! 9396) and `intent` (the UK OBIE consent: `consent_id`, `kind`, and for
//! a payment `amount`, `currency`, `creditor_name`); `iss`, `aud`, `iat`
//! and `jti` are the batch's. The device answers 200 with each request's
//! outcome; a request it refused, or a batch it did not take after
//! `[ciba] delivery_attempts`, is the client's 503.
//!
//! The `auth_req_id` travels to the device because it is how the device
//! names the request when it answers (`/ciba/decision`); alone it issues
//! nothing: the token endpoint also authenticates the client.

use crate::consent::{Consent, ConsentKind};
use crate::model::Client;
use crate::model::ciba::BackchannelRequest;
use crate::outbound::RetryPolicy;
use crate::protocol::error::{ErrorCode, OAuthError};
use serde_json::{Map, Value, json};
use std::time::Duration;

/// The retry policy `[ciba]` sets for every delivery.
pub fn retry_policy(config: &crate::config::CibaConfig) -> RetryPolicy {
    RetryPolicy {
        attempts: config.delivery_attempts,
        first_backoff: Duration::from_millis(config.delivery_first_backoff_ms),
        timeout: Duration::from_millis(config.delivery_timeout_ms),
    }
}

/// The request's claims for the device.
pub fn claims(
    client: &Client,
    request: &BackchannelRequest,
    auth_req_id: &str,
    consent: Option<&Consent>,
) -> Map<String, Value> {
    let mut claims = Map::new();
    for (name, value) in [
        ("auth_req_id", json!(auth_req_id)),
        ("exp", json!(request.expires_at)),
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

/// The consent as the device (and an interaction app) shows it.
pub fn intent(consent: &Consent) -> Value {
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

/// The client's answer when the device did not take its request (503
/// `temporarily_unavailable`: the client may try again).
pub fn failed() -> OAuthError {
    OAuthError::new(
        ErrorCode::TemporarilyUnavailable,
        "the customer's authentication device could not be reached; try again later",
    )
}
