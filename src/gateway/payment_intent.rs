//! A payment submission under a UK OBIE domestic payment consent (OBIE
//! Payment Initiation API v3.1, "Domestic Payments"): `Data.ConsentId` is
//! the consent the token was authorised under, the consent is
//! `Authorised` or reserved for a payment (`Consumed`; when the status is
//! known: introspection), and
//! `Data.Initiation` repeats the consented Initiation.
//! Sans-IO; `consent` is the OP's `openbanking_consent` introspection
//! member (`ConsentId`, `Status`, `Initiation`).

use super::amount::same_amount;
use super::errors::Refusal;
use serde_json::Value;

/// The Initiation members that must be repeated as consented, compared as
/// text.
const SAME_TEXT: &[&[&str]] = &[
    &["InstructionIdentification"],
    &["EndToEndIdentification"],
    &["LocalInstrument"],
    &["InstructedAmount", "Currency"],
    &["CreditorAccount", "SchemeName"],
    &["CreditorAccount", "Identification"],
    // The consent page names the payee by it.
    &["CreditorAccount", "Name"],
    &["RemittanceInformation", "Reference"],
    &["RemittanceInformation", "Unstructured"],
];

/// Refuses `body` unless it is the payment `consent` authorised.
pub fn check(body: &Value, consent: &Value) -> Result<(), Refusal> {
    let data = &body["Data"];
    let consent_id = consent["ConsentId"].as_str().unwrap_or_default();
    let submitted_id = data["ConsentId"]
        .as_str()
        .ok_or_else(|| Refusal::MissingField("Data.ConsentId is missing".into()))?;
    if submitted_id != consent_id {
        return Err(Refusal::ConsentMismatch(
            "Data.ConsentId is not the consent the token was authorised under".into(),
        ));
    }
    // Introspection gives the live status; a JWT access token's snapshot
    // has none (it would be stale). `Consumed` means reserved for a payment:
    // the OP's reservation, before the bank is called, decides whether this
    // is that payment retried (same x-idempotency-key) or another one.
    match consent.get("Status").map(Value::as_str) {
        None | Some(Some("Authorised" | "Consumed")) => {}
        Some(status) => {
            return Err(Refusal::ConsentMismatch(format!(
                "the consent is {}, not Authorised",
                status.unwrap_or("of unknown status")
            )));
        }
    }
    let consented = &consent["Initiation"];
    if !consented.is_object() {
        return Err(Refusal::ConsentMismatch(
            "the token's consent is not a domestic payment consent".into(),
        ));
    }
    let submitted = &data["Initiation"];
    if !submitted.is_object() {
        return Err(Refusal::MissingField("Data.Initiation is missing".into()));
    }
    for path in SAME_TEXT {
        if at(submitted, path) != at(consented, path) {
            return Err(differs(path));
        }
    }
    let amount = |v: &Value| at(v, &["InstructedAmount", "Amount"]).map(str::to_owned);
    match (amount(submitted), amount(consented)) {
        (Some(a), Some(b)) if same_amount(&a, &b) => {}
        _ => return Err(differs(&["InstructedAmount", "Amount"])),
    }
    // The debtor may be left to the consent (the customer chose it at the
    // bank); named, it must be the consented one.
    let debtor = &submitted["DebtorAccount"];
    if !debtor.is_null() {
        let consented_debtor = consented_debtor(consent);
        for field in ["SchemeName", "Identification"] {
            if debtor[field].as_str().is_none() || debtor[field] != consented_debtor[field] {
                return Err(differs(&["DebtorAccount", field]));
            }
        }
    }
    Ok(())
}

/// The consent's debtor account (`Initiation.DebtorAccount`, where the
/// fintech named it or the customer chose it), or `null`.
pub fn consented_debtor(consent: &Value) -> &Value {
    &consent["Initiation"]["DebtorAccount"]
}

fn at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(value, |node, name| node.get(*name))?
        .as_str()
}

fn differs(path: &[&str]) -> Refusal {
    Refusal::ConsentMismatch(format!(
        "Data.Initiation.{} differs from the consent's",
        path.join(".")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn initiation() -> Value {
        json!({"InstructionIdentification": "i-1", "EndToEndIdentification": "e-1",
            "InstructedAmount": {"Amount": "10.00", "Currency": "GBP"},
            "CreditorAccount": {"SchemeName": "UK.OBIE.IBAN", "Identification": "GB29NWBK60161331926819", "Name": "Shop"},
            "RemittanceInformation": {"Reference": "Order 1"}})
    }

    fn consent(status: &str) -> Value {
        let mut initiation = initiation();
        initiation["DebtorAccount"] = json!({"SchemeName": "UK.OBIE.IBAN", "Identification": "GB00DEBTOR"});
        json!({"ConsentId": "pdc-1", "Status": status, "Initiation": initiation})
    }

    fn body(consent_id: &str, initiation: Value) -> Value {
        json!({"Data": {"ConsentId": consent_id, "Initiation": initiation}, "Risk": {}})
    }

    #[test]
    fn the_consented_initiation_passes_obie_domestic_payments() {
        assert_eq!(
            check(&body("pdc-1", initiation()), &consent("Authorised")),
            Ok(())
        );
        let mut with_debtor = initiation();
        with_debtor["DebtorAccount"] = json!({"SchemeName": "UK.OBIE.IBAN", "Identification": "GB00DEBTOR"});
        with_debtor["InstructedAmount"]["Amount"] = json!("10.0");
        assert_eq!(check(&body("pdc-1", with_debtor), &consent("Authorised")), Ok(()));
    }

    /// A JWT access token's consent snapshot has no Status (the OP's
    /// reservation decides); the body must still name its consent.
    #[test]
    fn a_jwt_snapshot_without_status_is_checked_the_same_rfc9068_s2_2() {
        let mut snapshot = consent("Authorised");
        snapshot.as_object_mut().unwrap().remove("Status");
        assert_eq!(check(&body("pdc-1", initiation()), &snapshot), Ok(()));
        assert!(matches!(
            check(&body("pdc-2", initiation()), &snapshot),
            Err(Refusal::ConsentMismatch(_))
        ));
    }

    #[test]
    fn another_consent_status_or_initiation_is_refused() {
        let mismatch = |r: Result<(), Refusal>| matches!(r, Err(Refusal::ConsentMismatch(_)));
        assert!(mismatch(check(
            &body("pdc-2", initiation()),
            &consent("Authorised")
        )));
        assert!(mismatch(check(&body("pdc-1", initiation()), &consent("Revoked"))));
        assert!(mismatch(check(
            &body("pdc-1", initiation()),
            &consent("AwaitingAuthorisation")
        )));
        // Reserved for a payment: the OP's reservation decides.
        assert_eq!(check(&body("pdc-1", initiation()), &consent("Consumed")), Ok(()));
        for (path, value) in [
            ("/InstructedAmount/Amount", json!("10.01")),
            ("/InstructedAmount/Currency", json!("EUR")),
            ("/CreditorAccount/Identification", json!("GB00OTHER")),
            ("/RemittanceInformation/Reference", json!("Order 2")),
            (
                "/DebtorAccount",
                json!({"SchemeName": "UK.OBIE.IBAN", "Identification": "GB00ELSE"}),
            ),
        ] {
            let mut changed = initiation();
            match changed.pointer_mut(path) {
                Some(slot) => *slot = value,
                None => changed["DebtorAccount"] = value,
            }
            assert!(
                mismatch(check(&body("pdc-1", changed), &consent("Authorised"))),
                "{path}"
            );
        }
        let mut without_reference = initiation();
        without_reference["RemittanceInformation"] = json!({});
        assert!(mismatch(check(
            &body("pdc-1", without_reference),
            &consent("Authorised")
        )));
        assert!(matches!(
            check(
                &json!({"Data": {"Initiation": initiation()}}),
                &consent("Authorised")
            ),
            Err(Refusal::MissingField(_))
        ));
    }
}
