//! A payment was made with an access token: its grant is used up.
//!
//! UK OBIE Payment Initiation API v3.1: a domestic payment consent
//! authorises one payment; once the payment is submitted the consent is
//! `Consumed` and no further payment may use it. FAPI 2.0 with RAR (RFC
//! 9396 §2, `payment_initiation`): the grant is the consent, so the same
//! holds for the grant. The API gateway, which saw the bank API accept the
//! payment, reports it here with the token it checked (as a resource
//! server, `[[resource_servers]]`); the OP then moves the consent to
//! `Consumed` and revokes every token of the grant, so a second submission
//! with the same token is refused at introspection.

use crate::consent::{self, ConsentKind, state::ConsentEvent};
use crate::http::endpoints::OpState;
use crate::oauth::token_lookup::{self, PresentedToken};
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::rar;
use serde_json::{Value, json};

/// What consuming a token's grant did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumed {
    /// The client the token was issued to.
    pub client_id: String,
    /// The UK OBIE consent that is now `Consumed`, when the grant had one.
    pub consent_id: Option<String>,
    /// Records revoked under the grant (tokens, codes).
    pub revoked: usize,
}

impl Consumed {
    /// The endpoint's JSON answer.
    pub fn to_json(&self) -> Value {
        json!({
            "client_id": self.client_id,
            "consent_id": self.consent_id,
            "status": "Consumed",
            "revoked": self.revoked,
        })
    }
}

/// Ends the grant of the payment access token `token`: its UK OBIE consent
/// (if any) moves Authorised → Consumed, then everything issued under the
/// grant is revoked. `invalid_request` when the token is not an active
/// access token, authorises no payment, or its consent is not Authorised.
pub async fn consume(op: &OpState, token: &str, now: u64) -> Result<Consumed, OAuthError> {
    let found = token_lookup::find(op, token, Some("access_token"), now).await?;
    let Some(PresentedToken::Access(access)) = found else {
        return Err(OAuthError::invalid_request(
            "the token is not an active access token (already consumed, revoked or expired)",
        ));
    };
    let repo = &op.services.repo;
    let unavailable = |_| OAuthError::bare(ErrorCode::TemporarilyUnavailable);
    let consent = consent::of_grant(repo, &access.grant_id, now)
        .await
        .map_err(unavailable)?;
    let consent_id = match consent {
        Some(found) if matches!(found.kind, ConsentKind::DomesticPayment(_)) => {
            consent::apply(
                repo,
                &found.consent_id,
                &access.client_id,
                ConsentEvent::Consume,
                (now, consent::Lifetimes::from(&op.config.get().consents)),
                |_| {},
            )
            .await
            .map_err(|e| OAuthError::invalid_request(format!("the payment consent: {}", e.message)))?;
            Some(found.consent_id)
        }
        Some(_) => {
            return Err(OAuthError::invalid_request(
                "the token's consent is an account access consent, not a payment consent",
            ));
        }
        None if carries_payment(access.authorization_details.as_deref()) => None,
        None => {
            return Err(OAuthError::invalid_request(
                "the token authorises no payment (no payment consent, no RFC 9396 payment_initiation)",
            ));
        }
    };
    let revoked = repo
        .revoke_by_grant_id(&access.grant_id)
        .await
        .map_err(unavailable)?;
    Ok(Consumed {
        client_id: access.client_id,
        consent_id,
        revoked,
    })
}

/// Whether stored `authorization_details` hold a `payment_initiation`.
fn carries_payment(stored: Option<&str>) -> bool {
    rar::stored_value(stored)
        .as_ref()
        .and_then(Value::as_array)
        .is_some_and(|details| details.iter().any(|d| d["type"] == "payment_initiation"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_payment_initiation_details_carry_a_payment_rfc9396_s2() {
        assert!(carries_payment(Some(
            r#"[{"type":"account_information"},{"type":"payment_initiation"}]"#
        )));
        assert!(!carries_payment(Some(r#"[{"type":"account_information"}]"#)));
        assert!(!carries_payment(None));
    }
}
