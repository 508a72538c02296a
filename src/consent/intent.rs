//! The consent an authorization request asks the customer to authorise
//! (UK OBIE Read/Write API v3.1 "Security & Access Control", hybrid flow:
//! the request carries `claims` (OIDC Core §5.5) with
//! `openbanking_intent_id` as an essential claim whose `value` is the
//! ConsentId; read by `protocol::intent_claim`, shared with the
//! backchannel authentication request). At PAR the consent must exist,
//! belong to the calling client and await authorisation.

use super::state::ConsentStatus;
use super::{Consent, ConsentKind};
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::store::repo::Repo;

pub use crate::protocol::intent_claim::{CLAIM, requested};

/// Checks that consent `id` exists, belongs to `client_id`, awaits
/// authorisation and has not expired (OBIE Account Access Consents:
/// `ExpirationDateTime`); the consent.
pub async fn check_awaiting(repo: &Repo, id: &str, client_id: &str, now: u64) -> Result<Consent, OAuthError> {
    let consent = match repo.find::<Consent>(id, now).await {
        Ok(Some(found)) if found.payload.client_id == client_id => found.payload,
        // Another client's consent is as unknown as a missing one.
        Ok(_) => {
            return Err(OAuthError::invalid_request(
                "`openbanking_intent_id` names no consent of this client",
            ));
        }
        Err(_) => return Err(OAuthError::bare(ErrorCode::TemporarilyUnavailable)),
    };
    if consent.status != ConsentStatus::AwaitingAuthorisation {
        return Err(OAuthError::invalid_request(format!(
            "the consent is {}, not AwaitingAuthorisation",
            consent.status
        )));
    }
    if consent.is_expired(now) {
        return Err(OAuthError::invalid_request(
            "the consent's ExpirationDateTime has passed",
        ));
    }
    Ok(consent)
}

/// The lines the consent page shows for `consent`.
pub fn consent_lines(consent: &Consent) -> Vec<(&'static str, String)> {
    match &consent.kind {
        ConsentKind::DomesticPayment(payment) => {
            let mut lines = vec![
                ("Payment", format!("{} {}", payment.amount, payment.currency)),
                (
                    "To",
                    payment
                        .creditor
                        .name
                        .clone()
                        .unwrap_or_else(|| "the creditor".into()),
                ),
                ("Account", payment.creditor.identification.clone()),
            ];
            if let Some(reference) = &payment.remittance_reference {
                lines.push(("Reference", reference.clone()));
            }
            if let Some(debtor) = &payment.debtor {
                lines.push(("From account", debtor.identification.clone()));
            }
            lines
        }
        ConsentKind::AccountAccess(access) => {
            // Everything the bank enforces (`sandbox::bank::bounds`) is
            // shown: the permissions, the expiry and the transaction range.
            let mut lines = vec![("Access", access.permissions.join(", "))];
            for (label, value) in [
                ("Until", &access.expiration),
                ("Transactions from", &access.transaction_from),
                ("Transactions to", &access.transaction_to),
            ] {
                if let Some(value) = value {
                    lines.push((label, value.clone()));
                }
            }
            lines
        }
    }
}

/// The terms a payment consent's second factor is linked to (PSD2 RTS
/// Art. 5: amount, currency, payee); `None` for an account-access consent.
pub fn payment_terms(consent: &Consent) -> Option<crate::protocol::payment_link::PaymentTerms> {
    match &consent.kind {
        ConsentKind::DomesticPayment(payment) => Some(crate::protocol::payment_link::PaymentTerms {
            amount: payment.amount.clone(),
            currency: payment.currency.clone(),
            payee_name: payment.creditor.name.clone().unwrap_or_default(),
            payee_account: (
                payment.creditor.scheme_name.clone(),
                payment.creditor.identification.clone(),
            ),
        }),
        ConsentKind::AccountAccess(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// OBIE Account Access Consents: the page shows the permissions, the
    /// expiry and the transaction range the bank then enforces.
    #[test]
    fn the_page_shows_an_account_access_consents_dates() {
        let mut consent =
            crate::consent::tests::consent("fintech", &crate::consent::tests::payment_request());
        consent.kind = ConsentKind::AccountAccess(crate::consent::AccountAccess {
            permissions: vec!["ReadTransactionsBasic".into(), "ReadTransactionsCredits".into()],
            expiration: Some("2027-05-02T00:00:00+00:00".into()),
            transaction_from: Some("2026-01-01T00:00:00+00:00".into()),
            transaction_to: Some("2026-12-31T00:00:00+00:00".into()),
        });
        assert_eq!(
            consent_lines(&consent),
            [
                (
                    "Access",
                    "ReadTransactionsBasic, ReadTransactionsCredits".to_string()
                ),
                ("Until", "2027-05-02T00:00:00+00:00".to_string()),
                ("Transactions from", "2026-01-01T00:00:00+00:00".to_string()),
                ("Transactions to", "2026-12-31T00:00:00+00:00".to_string()),
            ]
        );
    }
}
