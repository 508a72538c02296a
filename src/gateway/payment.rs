//! Payment submission against the consent the token carries. Sans-IO.
//!
//! - A UK OBIE intent token (the OP's introspection names its consent,
//!   `openbanking_consent`): the submission's `Data.ConsentId` must be that
//!   consent, the consent must be `Authorised`, and `Data.Initiation` must
//!   repeat the consented one (OBIE Payment Initiation API v3.1, "Domestic
//!   Payments": the Initiation of the payment matches the consent's). A
//!   `DebtorAccount` may be left out when the consent has one (chosen by
//!   the customer at the bank).
//! - Otherwise the body (Open Banking `OBWriteDomestic2` shape:
//!   `Data.Initiation.InstructedAmount.{Amount,Currency}` and
//!   `Data.Initiation.CreditorAccount.{SchemeName,Identification}`) must
//!   equal a `payment_initiation` authorization detail of the token (RFC
//!   9396 §2: `instructedAmount`, `creditorAccount`).
//!
//! The token is active only while its grant is, so a consent that was
//! revoked or consumed is refused before this check.

use super::errors::Refusal;
use crate::protocol::rar::payment_initiation::PaymentInitiation;
use crate::protocol::rar::text::AccountRef;
use serde_json::Value;

/// What a payment request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Requested<'a> {
    amount: &'a str,
    currency: &'a str,
    scheme: &'a str,
    identification: &'a str,
}

/// Refuses the payment unless it is the one the token's consent allows:
/// the UK OBIE consent when the token has one, else one of its
/// `payment_initiation` details.
pub fn check_payment(
    body: &[u8],
    authorization_details: Option<&Value>,
    openbanking_consent: Option<&Value>,
) -> Result<(), Refusal> {
    let body: Value = serde_json::from_slice(body)
        .map_err(|_| Refusal::InvalidBody("the payment request is not JSON".into()))?;
    if let Some(consent) = openbanking_consent {
        return super::payment_intent::check(&body, consent);
    }
    let initiation = &body["Data"]["Initiation"];
    let field = |path: &[&str]| {
        let mut node = initiation;
        for name in path {
            node = &node[*name];
        }
        node.as_str()
            .ok_or_else(|| Refusal::MissingField(format!("Data.Initiation.{} is missing", path.join("."))))
    };
    let requested = Requested {
        amount: field(&["InstructedAmount", "Amount"])?,
        currency: field(&["InstructedAmount", "Currency"])?,
        scheme: field(&["CreditorAccount", "SchemeName"])?,
        identification: field(&["CreditorAccount", "Identification"])?,
    };
    let consents: Vec<PaymentInitiation> = authorization_details
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|d| d["type"] == "payment_initiation")
        .filter_map(|d| PaymentInitiation::parse(d).ok())
        .collect();
    if consents.is_empty() {
        return Err(Refusal::ConsentMismatch(
            "the token carries no payment consent (RFC 9396 payment_initiation)".into(),
        ));
    }
    if consents.iter().any(|consent| matches(consent, &requested)) {
        Ok(())
    } else {
        Err(Refusal::ConsentMismatch(
            "the payment's amount, currency or creditor account differs from the consent".into(),
        ))
    }
}

fn matches(consent: &PaymentInitiation, requested: &Requested<'_>) -> bool {
    let amount = &consent.instructed_amount;
    let account = match &consent.creditor_account {
        // Open Banking names an IBAN with the `UK.OBIE.IBAN` scheme.
        AccountRef::Iban(iban) => {
            matches!(requested.scheme, "UK.OBIE.IBAN" | "IBAN") && requested.identification == iban
        }
        AccountRef::Scheme {
            scheme_name,
            identification,
        } => requested.scheme == scheme_name && requested.identification == identification,
    };
    account && amount.currency == requested.currency && same_amount(&amount.amount, requested.amount)
}

/// Decimal amounts compared by value: `123.5` is `123.50`.
pub(super) fn same_amount(a: &str, b: &str) -> bool {
    fn canonical(s: &str) -> Option<(String, String)> {
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let digits = |p: &str| p.bytes().all(|c| c.is_ascii_digit());
        if int.is_empty() || !digits(int) || !digits(frac) {
            return None;
        }
        let int = int.trim_start_matches('0');
        Some((int.to_string(), frac.trim_end_matches('0').to_string()))
    }
    matches!((canonical(a), canonical(b)), (Some(x), Some(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const IBAN: &str = "DE02100100109307118603";

    fn details() -> Value {
        json!([{"type": "payment_initiation", "instructedAmount": {"currency": "EUR", "amount": "123.50"},
            "creditorName": "Merchant A", "creditorAccount": {"iban": IBAN}}])
    }

    fn body(amount: &str, iban: &str) -> Vec<u8> {
        json!({"Data": {"ConsentId": "c", "Initiation": {
            "InstructedAmount": {"Amount": amount, "Currency": "EUR"},
            "CreditorAccount": {"SchemeName": "UK.OBIE.IBAN", "Identification": iban, "Name": "Merchant A"}}},
            "Risk": {}})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn the_consented_payment_passes_rfc9396_s2() {
        assert_eq!(
            check_payment(&body("123.50", IBAN), Some(&details()), None),
            Ok(())
        );
        assert_eq!(
            check_payment(&body("123.5", IBAN), Some(&details()), None),
            Ok(())
        );
    }

    #[test]
    fn another_amount_or_creditor_is_refused() {
        let mismatch = |r: Result<(), Refusal>| matches!(r, Err(Refusal::ConsentMismatch(_)));
        assert!(mismatch(check_payment(
            &body("999.00", IBAN),
            Some(&details()),
            None
        )));
        assert!(mismatch(check_payment(
            &body("123.50", "GB33BUKB20201555555555"),
            Some(&details()),
            None
        )));
        assert!(mismatch(check_payment(&body("123.50", IBAN), None, None)));
        assert!(matches!(
            check_payment(b"{}", Some(&details()), None),
            Err(Refusal::MissingField(_))
        ));
        assert!(matches!(
            check_payment(b"no", Some(&details()), None),
            Err(Refusal::InvalidBody(_))
        ));
    }

    #[test]
    fn amounts_compare_by_value() {
        assert!(same_amount("0010.10", "10.1"));
        assert!(!same_amount("10.1", "10.01"));
        assert!(!same_amount("-1", "-1"));
    }
}
