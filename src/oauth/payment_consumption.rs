//! A payment made with an access token uses up its consent, in two steps
//! that a resource server (`[[resource_servers]]`, the API gateway) asks
//! for with the token it checked:
//!
//! 1. [`reserve`], **before** the bank API is called: the token's consent
//!    (its UK OBIE domestic payment consent, else its RFC 9396
//!    `payment_initiation` grant) is reserved for this payment (client +
//!    `x-idempotency-key`) in one store transaction (`consent/reservation.rs`):
//!    the OBIE consent moves Authorised → Consumed. The same payment again
//!    passes (a retry), any other is refused, whichever gateway replica,
//!    token of the grant or process asks. The answer names the consent the
//!    bank API is told; the payment's body never chooses it.
//! 2. [`consume`], **after** the bank API accepted the payment: everything
//!    issued under the grant is revoked. Revoking at (1) would refuse the
//!    retry of a payment whose answer was lost between bank and fintech;
//!    between (1) and (2) only that same payment can pass, so nothing is
//!    lost if (2) never comes.
//!
//! UK OBIE Payment Initiation API v3.1: a domestic payment consent
//! authorises one payment. RFC 9396 §2: a `payment_initiation` grant is the
//! consent, so the same holds for it.

use crate::consent::reservation::{self, Claim, ConsentRef, ReserveError, Reserved};
use crate::consent::{self, ConsentKind};
use crate::model::records::AccessToken;
use crate::oauth::op::OpState;
use crate::oauth::token_lookup;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::rar;
use serde_json::{Value, json};

/// OBIE Read/Write API v3.1: `x-idempotency-key` is Max40Text.
const MAX_IDEMPOTENCY_KEY: usize = 40;

/// The consent a payment reserved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    /// The client the token was issued to.
    pub client_id: String,
    /// The consent used up: the OBIE `ConsentId`, else the grant id.
    pub consent_id: String,
    /// Whether the consent is a UK OBIE consent (else a RAR grant).
    pub obie: bool,
    /// Whether this same payment had reserved it before (a retry).
    pub retry: bool,
}

impl Reservation {
    /// The endpoint's JSON answer.
    pub fn to_json(&self) -> Value {
        json!({
            "client_id": self.client_id,
            "consent_id": self.consent_id,
            "consent_type": if self.obie { "openbanking" } else { "grant" },
            "status": "Reserved",
            "retry": self.retry,
        })
    }
}

/// What consuming a token's grant did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consumed {
    /// The client the token was issued to.
    pub client_id: String,
    /// The consent the payment used up.
    pub consent_id: String,
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

/// Step 1: reserves the consent of payment access token `token` for the
/// payment `idempotency_key`. `invalid_token` when the token is not an
/// active access token (a refresh token never is: RFC 6749 §1.5);
/// `invalid_request` when it authorises no payment or the key is not
/// 1–40 characters; `invalid_grant` when its consent was used for another
/// payment or is not Authorised.
pub async fn reserve(
    op: &OpState,
    token: &str,
    idempotency_key: &str,
    now: u64,
) -> Result<Reservation, OAuthError> {
    if idempotency_key.is_empty() || idempotency_key.chars().count() > MAX_IDEMPOTENCY_KEY {
        return Err(OAuthError::invalid_request(
            "idempotency_key must be 1 to 40 characters (OBIE x-idempotency-key)",
        ));
    }
    let access = active_access_token(op, token, now).await?;
    let consent = payment_consent(op, &access, now).await?;
    // Outlives every token of the grant: refresh tokens live at most
    // refresh_token_ttl_secs from the grant's first one, an access token
    // access_token_ttl_secs after its refresh; over the file's lifetimes
    // and the live ones (`oauth/policies/tokens.rs`).
    let bound = |t: &crate::config::TokensConfig| {
        t.refresh_token_ttl_secs
            .saturating_add(t.access_token_ttl_secs)
            .saturating_add(t.code_ttl_secs)
    };
    let config = op.config.get();
    let lifetime = bound(&config.tokens).max(bound(&op.tokens()));
    let claim = Claim {
        consent: &consent,
        client_id: &access.client_id,
        grant_id: &access.grant_id,
        idempotency_key,
        consent_retention_secs: config.consents.retention_secs,
    };
    let reserved = reservation::reserve(&op.services.repo, claim, lifetime, now)
        .await
        .map_err(|e| match e {
            ReserveError::Unavailable => OAuthError::bare(ErrorCode::TemporarilyUnavailable),
            ReserveError::OtherPayment => OAuthError::new(
                ErrorCode::InvalidGrant,
                "the consent was already used for another payment (OBIE: one payment per consent)",
            ),
            ReserveError::Status(why) => {
                OAuthError::new(ErrorCode::InvalidGrant, format!("the payment consent: {why}"))
            }
        })?;
    Ok(Reservation {
        client_id: access.client_id,
        consent_id: consent.as_str().to_string(),
        obie: matches!(consent, ConsentRef::Obie(_)),
        retry: reserved == Reserved::Again,
    })
}

/// Step 2: the bank API accepted the payment reserved with `token`: every
/// record issued under the grant is revoked. `invalid_request` when the
/// token's consent was never reserved (step 1 comes first).
pub async fn consume(op: &OpState, token: &str, now: u64) -> Result<Consumed, OAuthError> {
    let access = active_access_token(op, token, now).await?;
    let consent = payment_consent(op, &access, now).await?;
    let repo = &op.services.repo;
    let unavailable = |_| OAuthError::bare(ErrorCode::TemporarilyUnavailable);
    let reserved = reservation::find(repo, &consent, now)
        .await
        .map_err(unavailable)?;
    if reserved.is_none_or(|r| r.client_id != access.client_id) {
        return Err(OAuthError::invalid_request(
            "no payment was reserved with this token's consent (reserve it before calling the bank)",
        ));
    }
    let revoked = repo
        .revoke_by_grant_id(
            &access.grant_id,
            crate::oauth::tokens::grant_revocation(
                op,
                op.now(),
                crate::store::repo::RevocationCause::PaymentConsumed,
            ),
        )
        .await
        .map_err(unavailable)?;
    Ok(Consumed {
        client_id: access.client_id,
        consent_id: consent.as_str().to_string(),
        revoked,
    })
}

/// The active access token `token` (never a refresh token).
async fn active_access_token(op: &OpState, token: &str, now: u64) -> Result<AccessToken, OAuthError> {
    let found = token_lookup::find_access_token(op, token, now).await?;
    // RFC 7592 §2.3: a deleted client's tokens are dead; so are a suspended
    // client's, those issued before its reinstatement (`trusted_since`) and
    // those bound to a certificate its directory revoked.
    let found = match found {
        Some(t) if crate::oauth::trusted_since::honours(op, &t).await => Some(t),
        _ => None,
    };
    found.ok_or_else(|| {
        OAuthError::new(
            ErrorCode::InvalidToken,
            "the token is not an active access token (already paid, revoked or expired)",
        )
    })
}

/// The consent a payment with `access` uses up.
async fn payment_consent(op: &OpState, access: &AccessToken, now: u64) -> Result<ConsentRef, OAuthError> {
    let found = consent::of_grant(&op.services.repo, &access.grant_id, now)
        .await
        .map_err(|_| OAuthError::bare(ErrorCode::TemporarilyUnavailable))?;
    match found {
        Some(c) if matches!(c.kind, ConsentKind::DomesticPayment(_)) => Ok(ConsentRef::Obie(c.consent_id)),
        Some(_) => Err(OAuthError::invalid_request(
            "the token's consent is an account access consent, not a payment consent",
        )),
        None if carries_payment(access.authorization_details.as_deref()) => {
            Ok(ConsentRef::Grant(access.grant_id.clone()))
        }
        None => Err(OAuthError::invalid_request(
            "the token authorises no payment (no payment consent, no RFC 9396 payment_initiation)",
        )),
    }
}

/// Whether stored `authorization_details` hold a `payment_initiation`.
pub fn carries_payment(stored: Option<&str>) -> bool {
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
