//! Unit tests of `authorization_details` parsing (RFC 9396).

use super::*;
use crate::protocol::error::ErrorCode;
use serde_json::json;

const IBAN: &str = "DE02100100109307118603";

fn payment() -> Value {
    // RFC 9396 §2, the first example.
    json!({
        "type": "payment_initiation",
        "actions": ["initiate", "status", "cancel"],
        "locations": ["https://example.com/payments"],
        "instructedAmount": {"currency": "EUR", "amount": "123.50"},
        "creditorName": "Merchant A",
        "creditorAccount": {"iban": IBAN},
        "remittanceInformationUnstructured": "Ref Number Merchant"
    })
}

fn parse_one(detail: Value) -> Result<AuthorizationDetails, RarError> {
    parse_details(&json!([detail]).to_string(), DetailType::ALL)
}

fn reason(detail: Value) -> String {
    match parse_one(detail) {
        Err(RarError::Invalid { reason, .. }) => reason,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn the_rfc9396_s2_payment_example_parses_into_typed_fields() {
    let parsed = parse_one(payment()).unwrap();
    let [AuthorizationDetail::PaymentInitiation(p)] = parsed.details() else {
        panic!("{parsed:?}");
    };
    assert_eq!(p.instructed_amount.amount, "123.50");
    assert_eq!(p.instructed_amount.currency, "EUR");
    assert_eq!(p.creditor_name, "Merchant A");
    assert_eq!(p.creditor_account, AccountRef::Iban(IBAN.into()));
    assert_eq!(p.remittance.as_deref(), Some("Ref Number Merchant"));
    assert_eq!(p.actions.len(), 3);
    // The JSON kept is what was asked (RFC 9396 §7: echoed as approved).
    let kept: Value = serde_json::from_str(parsed.json()).unwrap();
    assert_eq!(kept, json!([payment()]));
    assert_eq!(AuthorizationDetails::from_stored(parsed.json()).unwrap(), parsed);
}

#[test]
fn consent_lines_show_amount_currency_creditor_and_reference() {
    let lines = parse_one(payment()).unwrap().consent_lines();
    let text: Vec<String> = lines.iter().map(|(l, v)| format!("{l}: {v}")).collect();
    assert!(
        text.contains(&"Payment amount: 123.50 EUR".to_string()),
        "{text:?}"
    );
    assert!(text.contains(&"Pay to: Merchant A".to_string()), "{text:?}");
    assert!(text.contains(&format!("Payee account: {IBAN}")), "{text:?}");
    assert!(
        text.contains(&"Reference: Ref Number Merchant".to_string()),
        "{text:?}"
    );
}

#[test]
fn unknown_type_is_refused_rfc9396_s5() {
    let e = parse_one(json!({"type": "crypto_swap"})).unwrap_err();
    assert_eq!(e, RarError::UnknownType("crypto_swap".into()));
    assert_eq!(OAuthError::from(e).code, ErrorCode::InvalidAuthorizationDetails);
}

#[test]
fn type_not_allowed_for_the_client_is_refused_rfc9396_s5() {
    let raw = json!([payment()]).to_string();
    let e = parse_details(&raw, &[DetailType::AccountInformation]).unwrap_err();
    assert_eq!(e, RarError::TypeNotAllowed("payment_initiation"));
}

#[test]
fn the_parameter_is_a_json_array_of_objects_with_a_type_rfc9396_s2() {
    assert_eq!(parse_details("not json", DetailType::ALL), Err(RarError::NotJson));
    assert_eq!(
        parse_details(&payment().to_string(), DetailType::ALL),
        Err(RarError::NotArray)
    );
    assert_eq!(parse_details("[]", DetailType::ALL), Err(RarError::Empty));
    assert_eq!(parse_details("[42]", DetailType::ALL), Err(RarError::NoType(0)));
    assert_eq!(
        parse_details(r#"[{"type": 7}]"#, DetailType::ALL),
        Err(RarError::NoType(0))
    );
    assert!(parse(None, DetailType::ALL).unwrap().is_none());
}

#[test]
fn missing_or_malformed_payment_fields_are_refused_rfc9396_s5() {
    let mut no_amount = payment();
    no_amount["instructedAmount"]
        .as_object_mut()
        .unwrap()
        .remove("amount");
    assert!(reason(no_amount).contains("amount"));
    for (amount, currency) in [
        ("12,50", "EUR"),
        ("-1", "EUR"),
        ("0", "EUR"),
        ("0.00", "EUR"),
        ("1e3", "EUR"),
        ("012", "EUR"),
        ("1.123456", "EUR"),
        ("123456789012345", "EUR"),
        ("10", "eur"),
        ("10", "EURO"),
        ("10", "E1R"),
    ] {
        let mut bad = payment();
        bad["instructedAmount"] = json!({"amount": amount, "currency": currency});
        assert!(parse_one(bad).is_err(), "{amount} {currency} accepted");
    }
    for ok in ["0.01", "1", "99999999999999.99999"] {
        let mut good = payment();
        good["instructedAmount"]["amount"] = json!(ok);
        assert!(parse_one(good).is_ok(), "{ok} refused");
    }
    // A number where a string is expected: the wrong JSON shape.
    let mut numeric = payment();
    numeric["instructedAmount"]["amount"] = json!(123.5);
    assert!(reason(numeric).contains("invalid type"));
}

#[test]
fn unknown_fields_of_a_known_type_are_refused_rfc9396_s5() {
    let mut extra = payment();
    extra["executionDate"] = json!("2030-01-01");
    assert!(reason(extra).contains("unknown field"));
    let mut nested = payment();
    nested["creditorAccount"]["bic"] = json!("DEUTDEFF");
    assert!(reason(nested).contains("unknown field"));
}

#[test]
fn accounts_are_an_iban_or_a_scheme_and_identification() {
    assert!(text::is_valid_iban(IBAN));
    assert!(text::is_valid_iban("GB82WEST12345698765432"));
    for bad in [
        "DE02100100109307118604",
        "de02100100109307118603",
        "DE02 1001 0010 9307 1186 03",
        "DE02",
    ] {
        assert!(!text::is_valid_iban(bad), "{bad}");
    }
    let mut scheme = payment();
    scheme["creditorAccount"] =
        json!({"schemeName": "UK.OBIE.SortCodeAccountNumber", "identification": "08080021325698"});
    assert!(parse_one(scheme).is_ok());
    for account in [
        json!({}),
        json!({"schemeName": "X"}),
        json!({"iban": IBAN, "schemeName": "X", "identification": "1"}),
    ] {
        let mut bad = payment();
        bad["creditorAccount"] = account;
        assert!(reason(bad).contains("creditorAccount"));
    }
}

#[test]
fn sizes_are_bounded() {
    let mut long_name = payment();
    long_name["creditorName"] = json!("x".repeat(141));
    assert!(reason(long_name).contains("140"));
    let mut control = payment();
    control["remittanceInformationUnstructured"] = json!("line\nbreak");
    assert!(reason(control).contains("control"));
    let many = Value::Array(vec![payment(); MAX_DETAILS + 1]).to_string();
    assert_eq!(parse_details(&many, DetailType::ALL), Err(RarError::TooMany));
    let huge = format!("[{}]", " ".repeat(MAX_JSON_BYTES));
    assert_eq!(parse_details(&huge, DetailType::ALL), Err(RarError::TooLong));
}

#[test]
fn account_information_needs_known_actions_rfc9396_s2_2() {
    let ok = parse_one(json!({
        "type": "account_information",
        "actions": ["list_accounts", "read_balances"],
        "locations": ["https://bank.example/accounts"],
        "accounts": [{"iban": IBAN}]
    }))
    .unwrap();
    let [AuthorizationDetail::AccountInformation(a)] = ok.details() else {
        panic!("{ok:?}");
    };
    assert_eq!(
        a.actions,
        vec![AccountAction::ListAccounts, AccountAction::ReadBalances]
    );
    for bad in [
        json!({"type": "account_information"}),
        json!({"type": "account_information", "actions": []}),
        json!({"type": "account_information", "actions": ["transfer"]}),
        json!({"type": "account_information", "actions": ["read_balances", "read_balances"]}),
        json!({"type": "account_information", "actions": ["read_balances"], "locations": ["http://x"]}),
        json!({"type": "account_information", "actions": "read_balances"}),
    ] {
        assert!(parse_one(bad.clone()).is_err(), "{bad} accepted");
    }
}
