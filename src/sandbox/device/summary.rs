//! What a request asks, in the words a customer reads: the amount and the
//! payee of a payment (RFC 9396 §2 `payment_initiation`:
//! `instructedAmount`, `creditorName`, `creditorAccount`; or the UK OBIE
//! consent's `amount`, `currency`, `creditor_name`), access to accounts
//! (`account_information`, an OBIE `accounts` consent). Unescaped text: the
//! page escapes it.

use super::notification::PendingRequest;
use serde_json::Value;

/// One labelled line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// What the value is.
    pub label: &'static str,
    /// The value.
    pub value: String,
}

fn line(label: &'static str, value: impl Into<String>) -> Line {
    Line {
        label,
        value: value.into(),
    }
}

fn text<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(value, |v, key| v.get(key))
        .and_then(|v| v.as_str().filter(|s| !s.is_empty()))
}

/// The details of `request` worth showing, in order.
pub fn lines(request: &PendingRequest) -> Vec<Line> {
    let mut out = Vec::new();
    let details = request
        .authorization_details
        .as_ref()
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for detail in details {
        match detail.get("type").and_then(Value::as_str) {
            Some("payment_initiation") => {
                if let (Some(amount), Some(currency)) = (
                    text(detail, &["instructedAmount", "amount"]),
                    text(detail, &["instructedAmount", "currency"]),
                ) {
                    out.push(line("Amount", format!("{amount} {currency}")));
                }
                if let Some(payee) = text(detail, &["creditorName"]) {
                    out.push(line("Payee", payee));
                }
                let account = text(detail, &["creditorAccount", "iban"])
                    .or_else(|| text(detail, &["creditorAccount", "identification"]));
                if let Some(account) = account {
                    out.push(line("Payee account", account));
                }
                if let Some(reference) = text(detail, &["remittanceInformationUnstructured"]) {
                    out.push(line("Reference", reference));
                }
            }
            Some("account_information") => out.push(line("Access", "Your accounts and their data")),
            Some(other) => out.push(line("Detail", other)),
            None => {}
        }
    }
    if let Some(intent) = &request.intent {
        match text(intent, &["kind"]) {
            Some("payment") => {
                if let (Some(amount), Some(currency)) =
                    (text(intent, &["amount"]), text(intent, &["currency"]))
                {
                    out.push(line("Amount", format!("{amount} {currency}")));
                }
                if let Some(payee) = text(intent, &["creditor_name"]) {
                    out.push(line("Payee", payee));
                }
            }
            Some("accounts") => out.push(line("Access", "Your accounts and their data")),
            _ => {}
        }
        if let Some(consent) = text(intent, &["consent_id"]) {
            out.push(line("Consent", consent));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(details: Option<Value>, intent: Option<Value>) -> PendingRequest {
        PendingRequest {
            auth_req_id: "r".into(),
            sub: "s".into(),
            client_id: "c".into(),
            client_name: "C".into(),
            scopes: vec![],
            binding_message: None,
            acr_values: None,
            authorization_details: details,
            intent,
            expires_at: 0,
        }
    }

    #[test]
    fn a_payment_shows_amount_and_payee_rfc9396_s2() {
        let lines = lines(&request(
            Some(json!([{
                "type": "payment_initiation",
                "instructedAmount": {"amount": "12.50", "currency": "EUR"},
                "creditorName": "Merchant A",
                "creditorAccount": {"iban": "DE02100100109307118603"},
            }])),
            None,
        ));
        assert_eq!(lines[0], line("Amount", "12.50 EUR"));
        assert_eq!(lines[1], line("Payee", "Merchant A"));
        assert_eq!(lines[2], line("Payee account", "DE02100100109307118603"));
    }

    #[test]
    fn an_obie_intent_shows_its_payment() {
        let lines = lines(&request(
            None,
            Some(json!({"consent_id": "pdc-1", "kind": "payment", "amount": "5.00",
                        "currency": "GBP", "creditor_name": "Shop"})),
        ));
        assert_eq!(
            lines,
            vec![
                line("Amount", "5.00 GBP"),
                line("Payee", "Shop"),
                line("Consent", "pdc-1")
            ]
        );
    }
}
