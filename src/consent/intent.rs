//! The consent an authorization request asks the customer to authorise
//! (UK OBIE Read/Write API v3.1 "Security & Access Control", hybrid flow:
//! the request carries `claims` (OIDC Core §5.5) with
//! `openbanking_intent_id` as an essential claim whose `value` is the
//! ConsentId). At PAR the consent must exist, belong to the calling client
//! and await authorisation.

use super::state::ConsentStatus;
use super::{Consent, ConsentKind};
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::store::repo::Repo;
use serde_json::Value;

/// The claim's name.
pub const CLAIM: &str = "openbanking_intent_id";

/// Longest `claims` parameter read.
const MAX_CLAIMS_LEN: usize = 4096;

/// The intent id requested in the `claims` parameter (JSON text), from
/// `id_token` or `userinfo`; `None` when not requested.
pub fn requested(claims: Option<&str>) -> Result<Option<String>, OAuthError> {
    let Some(claims) = claims else {
        return Ok(None);
    };
    if claims.len() > MAX_CLAIMS_LEN {
        return Err(OAuthError::invalid_request("`claims` is too long"));
    }
    let claims: Value = serde_json::from_str(claims)
        .map_err(|_| OAuthError::invalid_request("`claims` is not JSON (OIDC Core §5.5)"))?;
    if !claims.is_object() {
        return Err(OAuthError::invalid_request(
            "`claims` must be a JSON object (OIDC Core §5.5)",
        ));
    }
    let mut found = None;
    for member in ["id_token", "userinfo"] {
        let Some(request) = claims.get(member).and_then(|m| m.get(CLAIM)) else {
            continue;
        };
        let value = request
            .get("value")
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty() && v.len() <= 64)
            .ok_or_else(|| {
                OAuthError::invalid_request("`openbanking_intent_id` needs a `value`: the ConsentId")
            })?;
        match &found {
            Some(other) if other != value => {
                return Err(OAuthError::invalid_request(
                    "`openbanking_intent_id` differs between id_token and userinfo",
                ));
            }
            _ => found = Some(value.to_string()),
        }
    }
    Ok(found)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_intent_comes_from_the_claims_request_oidc_core_s5_5() {
        assert_eq!(requested(None).unwrap(), None);
        let claims = r#"{"id_token":{"openbanking_intent_id":{"value":"pdc-1","essential":true}}}"#;
        assert_eq!(requested(Some(claims)).unwrap().as_deref(), Some("pdc-1"));
        let both = r#"{"userinfo":{"openbanking_intent_id":{"value":"pdc-1"}},"id_token":{"openbanking_intent_id":{"value":"pdc-1"}}}"#;
        assert_eq!(requested(Some(both)).unwrap().as_deref(), Some("pdc-1"));
        assert_eq!(requested(Some(r#"{"id_token":{"acr":null}}"#)).unwrap(), None);
    }

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

    #[test]
    fn malformed_intent_requests_are_invalid_request() {
        for bad in [
            "not json",
            "[]",
            r#"{"id_token":{"openbanking_intent_id":{"essential":true}}}"#,
            r#"{"id_token":{"openbanking_intent_id":{"value":7}}}"#,
            r#"{"userinfo":{"openbanking_intent_id":{"value":"a"}},"id_token":{"openbanking_intent_id":{"value":"b"}}}"#,
        ] {
            let err = requested(Some(bad)).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidRequest, "{bad}");
        }
    }
}
