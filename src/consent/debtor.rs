//! The account a payment is made from, when the fintech left it open: UK
//! OBIE Payment Initiation API v3.1, "Domestic Payment Consents" —
//! `DebtorAccount` is optional, and without it the customer selects the
//! account at the bank during authorisation. The consent page offers the
//! customer's accounts in the payment's currency (`[[login.seed_users.
//! accounts]]`); the choice is stored in the consent when it is approved,
//! so the payment submission, the gateway and the bank see it. Sans-IO.

use super::{CashAccount, Consent, ConsentKind};
use crate::config::CustomerAccount;

/// Form field carrying the chosen account's identification.
pub const FIELD: &str = "debtor_account";

/// The accounts the customer may pay `consent` from: those of `accounts`
/// in the payment's currency, when it is a payment consent without a
/// debtor account; otherwise none (nothing to choose).
pub fn choices<'a>(consent: &Consent, accounts: &'a [CustomerAccount]) -> Vec<&'a CustomerAccount> {
    match &consent.kind {
        ConsentKind::DomesticPayment(payment) if payment.debtor.is_none() => accounts
            .iter()
            .filter(|a| a.currency == payment.currency)
            .collect(),
        _ => Vec::new(),
    }
}

/// Why a choice cannot be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChoiceError {
    /// Accounts were offered and none was chosen.
    #[error("choose the account to pay from")]
    Missing,
    /// The form named an account that was not offered.
    #[error("that account cannot pay this payment")]
    NotOffered,
}

/// The account chosen in the form (`chosen`: the `debtor_account` field) for
/// `consent`, as the consent stores it: `None` when there was nothing to
/// choose.
pub fn chosen(
    consent: &Consent,
    accounts: &[CustomerAccount],
    holder: &str,
    chosen: Option<&str>,
) -> Result<Option<CashAccount>, ChoiceError> {
    let offered = choices(consent, accounts);
    if offered.is_empty() {
        return Ok(None);
    }
    let chosen = chosen.ok_or(ChoiceError::Missing)?;
    let account = offered
        .into_iter()
        .find(|a| a.identification == chosen)
        .ok_or(ChoiceError::NotOffered)?;
    Ok(Some(CashAccount {
        scheme_name: account.scheme_name.clone(),
        identification: account.identification.clone(),
        name: Some(holder.to_string()),
        secondary_identification: None,
    }))
}

/// How the consent page names an account: its name, the identification and
/// the currency.
pub fn label(account: &CustomerAccount) -> String {
    let name = account.name.as_deref().unwrap_or("Account");
    format!("{name} · {} ({})", account.identification, account.currency)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::AccountAccess;

    fn account(identification: &str, currency: &str) -> CustomerAccount {
        CustomerAccount {
            scheme_name: "UK.OBIE.IBAN".into(),
            identification: identification.into(),
            currency: currency.into(),
            name: Some("Current account".into()),
        }
    }

    /// The sample payment consent, in EUR, with `debtor`.
    fn consent(debtor: Option<CashAccount>) -> Consent {
        let mut consent =
            crate::consent::tests::consent("fintech", &crate::consent::tests::payment_request());
        if let ConsentKind::DomesticPayment(payment) = &mut consent.kind {
            payment.currency = "EUR".into();
            payment.debtor = debtor;
        }
        consent
    }

    #[test]
    fn accounts_in_the_payments_currency_are_offered_when_the_debtor_is_open() {
        let accounts = [
            account("EUR-1", "EUR"),
            account("GBP-1", "GBP"),
            account("EUR-2", "EUR"),
        ];
        let offered: Vec<_> = choices(&consent(None), &accounts)
            .iter()
            .map(|a| a.identification.as_str())
            .collect();
        assert_eq!(offered, ["EUR-1", "EUR-2"]);
        let chosen_one = chosen(&consent(None), &accounts, "Alice", Some("EUR-2"))
            .unwrap()
            .unwrap();
        assert_eq!(chosen_one.identification, "EUR-2");
        assert_eq!(chosen_one.name.as_deref(), Some("Alice"));
        assert_eq!(
            chosen(&consent(None), &accounts, "Alice", None),
            Err(ChoiceError::Missing)
        );
        assert_eq!(
            chosen(&consent(None), &accounts, "Alice", Some("GBP-1")),
            Err(ChoiceError::NotOffered)
        );
    }

    #[test]
    fn nothing_is_offered_when_the_fintech_named_the_debtor_or_for_account_access() {
        let accounts = [account("EUR-1", "EUR")];
        let named = consent(Some(CashAccount {
            scheme_name: "UK.OBIE.IBAN".into(),
            identification: "EUR-1".into(),
            name: None,
            secondary_identification: None,
        }));
        assert!(choices(&named, &accounts).is_empty());
        assert_eq!(chosen(&named, &accounts, "Alice", None), Ok(None));
        let mut access = consent(None);
        access.kind = ConsentKind::AccountAccess(AccountAccess {
            permissions: vec!["ReadBalances".into()],
            expiration: None,
            transaction_from: None,
            transaction_to: None,
        });
        assert!(choices(&access, &accounts).is_empty());
        assert_eq!(chosen(&consent(None), &[], "Alice", None), Ok(None));
    }
}
