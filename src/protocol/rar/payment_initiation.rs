//! `payment_initiation` (RFC 9396 §2, its first example; the shape the
//! FAPI and Open Banking payment initiation APIs use): an amount and
//! currency, the creditor's name and account, an optional unstructured
//! reference and an optional debtor account.
//!
//! ```json
//! {"type": "payment_initiation", "actions": ["initiate", "status", "cancel"],
//!  "locations": ["https://bank.example/payments"],
//!  "instructedAmount": {"currency": "EUR", "amount": "123.50"},
//!  "creditorName": "Merchant A", "creditorAccount": {"iban": "DE02100100109307118603"},
//!  "remittanceInformationUnstructured": "Ref Number Merchant"}
//! ```

use super::text::{self, AccountRef, AccountWire, MAX_TEXT_CHARS};
use serde::Deserialize;
use serde_json::Value;

/// What a client may do with an approved payment (RFC 9396 §2.2 `actions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentAction {
    /// Submit the payment.
    Initiate,
    /// Read its status.
    Status,
    /// Cancel it.
    Cancel,
}

const ACTIONS: &[(&str, PaymentAction)] = &[
    ("initiate", PaymentAction::Initiate),
    ("status", PaymentAction::Status),
    ("cancel", PaymentAction::Cancel),
];

/// A positive decimal amount as a string (at most 14 integer and 5
/// fraction digits, no sign, no exponent) in an ISO 4217 currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amount {
    /// The amount exactly as sent, e.g. `123.50`.
    pub amount: String,
    /// Three capital letters, e.g. `EUR`.
    pub currency: String,
}

/// A checked `payment_initiation` detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentInitiation {
    /// RFC 9396 §2.2 `actions` (empty: none named).
    pub actions: Vec<PaymentAction>,
    /// RFC 9396 §2.2 `locations`.
    pub locations: Vec<String>,
    /// `instructedAmount`.
    pub instructed_amount: Amount,
    /// `creditorName`.
    pub creditor_name: String,
    /// `creditorAccount`.
    pub creditor_account: AccountRef,
    /// `remittanceInformationUnstructured`: the reference the creditor sees.
    pub remittance: Option<String>,
    /// `debtorAccount`: the account to pay from, when the client names it.
    pub debtor_account: Option<AccountRef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Wire {
    #[allow(dead_code)] // checked by the caller; named so that it is not an unknown field
    r#type: String,
    actions: Option<Vec<String>>,
    locations: Option<Vec<String>>,
    instructed_amount: AmountWire,
    creditor_name: String,
    creditor_account: AccountWire,
    remittance_information_unstructured: Option<String>,
    debtor_account: Option<AccountWire>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AmountWire {
    amount: String,
    currency: String,
}

impl PaymentInitiation {
    /// RFC 9396 §5: every field known, required ones present, values well formed.
    pub fn parse(value: &Value) -> Result<Self, String> {
        let wire: Wire = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
        Ok(Self {
            actions: text::actions(wire.actions, ACTIONS)?,
            locations: text::locations(wire.locations)?,
            instructed_amount: Amount::parse(wire.instructed_amount)?,
            creditor_name: text::bounded_text("creditorName", &wire.creditor_name, MAX_TEXT_CHARS)?,
            creditor_account: AccountRef::parse("creditorAccount", wire.creditor_account)?,
            remittance: wire
                .remittance_information_unstructured
                .map(|r| text::bounded_text("remittanceInformationUnstructured", &r, MAX_TEXT_CHARS))
                .transpose()?,
            debtor_account: wire
                .debtor_account
                .map(|a| AccountRef::parse("debtorAccount", a))
                .transpose()?,
        })
    }

    /// What the customer is asked to approve.
    pub fn consent_lines(&self) -> Vec<(&'static str, String)> {
        let mut lines = vec![
            (
                "Payment amount",
                format!(
                    "{} {}",
                    self.instructed_amount.amount, self.instructed_amount.currency
                ),
            ),
            ("Pay to", self.creditor_name.clone()),
            ("Payee account", self.creditor_account.display()),
        ];
        if let Some(reference) = &self.remittance {
            lines.push(("Reference", reference.clone()));
        }
        if let Some(debtor) = &self.debtor_account {
            lines.push(("From account", debtor.display()));
        }
        lines
    }
}

impl Amount {
    fn parse(wire: AmountWire) -> Result<Self, String> {
        if !is_decimal_amount(&wire.amount) {
            return Err("`instructedAmount.amount` must be a positive decimal string like \"123.50\"".into());
        }
        if wire.currency.len() != 3 || !wire.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(
                "`instructedAmount.currency` must be an ISO 4217 code of three capital letters".into(),
            );
        }
        Ok(Self {
            amount: wire.amount,
            currency: wire.currency,
        })
    }
}

/// `^(0|[1-9][0-9]{0,13})(\.[0-9]{1,5})?$` and not zero.
fn is_decimal_amount(amount: &str) -> bool {
    let (int, frac) = match amount.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (amount, None),
    };
    let int_ok = !int.is_empty()
        && int.len() <= 14
        && int.bytes().all(|b| b.is_ascii_digit())
        && (int == "0" || !int.starts_with('0'));
    let frac_ok = frac.is_none_or(|f| !f.is_empty() && f.len() <= 5 && f.bytes().all(|b| b.is_ascii_digit()));
    int_ok && frac_ok && amount.bytes().any(|b| (b'1'..=b'9').contains(&b))
}
