//! The UK Open Banking (OBIE Read/Write API v3.1) consent request bodies,
//! parsed into typed consents, and their JSON renderings: Payment
//! Initiation API `OBWriteDomesticConsent4` (domestic payment consents) and
//! Account and Transaction API `OBReadConsent1` (account access consents).
//! Unknown members are ignored, as the OBIE specifications allow; the ones
//! read are checked for presence, type and the specifications' lengths and
//! patterns, each failure naming its JSON path.

use super::error::ObieError;
use super::{AccountAccess, CashAccount, DomesticPayment};
use serde_json::{Map, Value, json};

/// The permissions of an account access consent (OBIE Account and
/// Transaction API v3.1, "Permissions").
pub const PERMISSIONS: &[&str] = &[
    "ReadAccountsBasic",
    "ReadAccountsDetail",
    "ReadBalances",
    "ReadBeneficiariesBasic",
    "ReadBeneficiariesDetail",
    "ReadDirectDebits",
    "ReadProducts",
    "ReadStandingOrdersBasic",
    "ReadStandingOrdersDetail",
    "ReadTransactionsBasic",
    "ReadTransactionsCredits",
    "ReadTransactionsDebits",
    "ReadTransactionsDetail",
];

/// A `Data.Initiation` of a domestic payment consent request.
pub fn parse_domestic_payment(body: &Value) -> Result<DomesticPayment, ObieError> {
    object(body.get("Risk"), "Risk")?;
    let data = object(body.get("Data"), "Data")?;
    let initiation = object(data.get("Initiation"), "Data.Initiation")?;
    let at = |name: &str| format!("Data.Initiation.{name}");
    let amount = object(initiation.get("InstructedAmount"), &at("InstructedAmount"))?;
    let remittance = optional_object(
        initiation.get("RemittanceInformation"),
        &at("RemittanceInformation"),
    )?;
    let payment = DomesticPayment {
        instruction_identification: text(initiation, "InstructionIdentification", 35, &at(""))?,
        end_to_end_identification: text(initiation, "EndToEndIdentification", 35, &at(""))?,
        local_instrument: optional_text(initiation, "LocalInstrument", 50, &at(""))?,
        amount: decimal_amount(amount, &at("InstructedAmount."))?,
        currency: currency(amount, &at("InstructedAmount."))?,
        creditor: cash_account(initiation.get("CreditorAccount"), &at("CreditorAccount"), true)?
            .ok_or_else(|| ObieError::missing(at("CreditorAccount")))?,
        debtor: cash_account(initiation.get("DebtorAccount"), &at("DebtorAccount"), false)?,
        remittance_reference: match remittance {
            Some(r) => optional_text(r, "Reference", 35, &at("RemittanceInformation."))?,
            None => None,
        },
        remittance_unstructured: match remittance {
            Some(r) => optional_text(r, "Unstructured", 140, &at("RemittanceInformation."))?,
            None => None,
        },
    };
    Ok(payment)
}

/// The `Data` of an account access consent request.
pub fn parse_account_access(body: &Value) -> Result<AccountAccess, ObieError> {
    object(body.get("Risk"), "Risk")?;
    let data = object(body.get("Data"), "Data")?;
    let permissions = data
        .get("Permissions")
        .ok_or_else(|| ObieError::missing("Data.Permissions"))?
        .as_array()
        .filter(|a| !a.is_empty() && a.len() <= PERMISSIONS.len())
        .ok_or_else(|| ObieError::invalid("Data.Permissions", "a non-empty array of permissions"))?;
    let mut parsed = Vec::new();
    for permission in permissions {
        match permission.as_str().filter(|p| PERMISSIONS.contains(p)) {
            Some(p) if !parsed.iter().any(|q| q == p) => parsed.push(p.to_string()),
            Some(_) => return Err(ObieError::invalid("Data.Permissions", "a permission is repeated")),
            None => return Err(ObieError::invalid("Data.Permissions", "an unknown permission")),
        }
    }
    // Account and Transaction API v3.1 "Permissions": a transactions
    // permission needs Basic or Detail, and Credits or Debits, to mean
    // anything.
    let has = |p: &str| parsed.iter().any(|q| q == p);
    if parsed.iter().any(|p| p.starts_with("ReadTransactions"))
        && !((has("ReadTransactionsBasic") || has("ReadTransactionsDetail"))
            && (has("ReadTransactionsCredits") || has("ReadTransactionsDebits")))
    {
        return Err(ObieError::invalid(
            "Data.Permissions",
            "transaction permissions need ReadTransactionsBasic or ReadTransactionsDetail, and ReadTransactionsCredits or ReadTransactionsDebits",
        ));
    }
    Ok(AccountAccess {
        permissions: parsed,
        expiration: date_time(data, "ExpirationDateTime")?,
        transaction_from: date_time(data, "TransactionFromDateTime")?,
        transaction_to: date_time(data, "TransactionToDateTime")?,
    })
}

/// `Data.Initiation` as the OBIE responses show it.
pub fn domestic_payment_json(payment: &DomesticPayment) -> Value {
    let mut initiation = Map::new();
    initiation.insert(
        "InstructionIdentification".into(),
        json!(payment.instruction_identification),
    );
    initiation.insert(
        "EndToEndIdentification".into(),
        json!(payment.end_to_end_identification),
    );
    if let Some(local) = &payment.local_instrument {
        initiation.insert("LocalInstrument".into(), json!(local));
    }
    initiation.insert(
        "InstructedAmount".into(),
        json!({"Amount": payment.amount, "Currency": payment.currency}),
    );
    initiation.insert("CreditorAccount".into(), account_json(&payment.creditor));
    if let Some(debtor) = &payment.debtor {
        initiation.insert("DebtorAccount".into(), account_json(debtor));
    }
    let mut remittance = Map::new();
    if let Some(reference) = &payment.remittance_reference {
        remittance.insert("Reference".into(), json!(reference));
    }
    if let Some(unstructured) = &payment.remittance_unstructured {
        remittance.insert("Unstructured".into(), json!(unstructured));
    }
    if !remittance.is_empty() {
        initiation.insert("RemittanceInformation".into(), Value::Object(remittance));
    }
    Value::Object(initiation)
}

/// The `Data` members of an account access consent beyond id and status.
pub fn account_access_json(access: &AccountAccess, data: &mut Map<String, Value>) {
    data.insert("Permissions".into(), json!(access.permissions));
    for (name, value) in [
        ("ExpirationDateTime", &access.expiration),
        ("TransactionFromDateTime", &access.transaction_from),
        ("TransactionToDateTime", &access.transaction_to),
    ] {
        if let Some(value) = value {
            data.insert(name.into(), json!(value));
        }
    }
}

fn account_json(account: &CashAccount) -> Value {
    let mut out = Map::new();
    out.insert("SchemeName".into(), json!(account.scheme_name));
    out.insert("Identification".into(), json!(account.identification));
    if let Some(name) = &account.name {
        out.insert("Name".into(), json!(name));
    }
    if let Some(secondary) = &account.secondary_identification {
        out.insert("SecondaryIdentification".into(), json!(secondary));
    }
    Value::Object(out)
}

fn object<'a>(value: Option<&'a Value>, path: &str) -> Result<&'a Map<String, Value>, ObieError> {
    value
        .ok_or_else(|| ObieError::missing(path))?
        .as_object()
        .ok_or_else(|| ObieError::invalid(path, "an object"))
}

fn optional_object<'a>(
    value: Option<&'a Value>,
    path: &str,
) -> Result<Option<&'a Map<String, Value>>, ObieError> {
    value.map(|v| object(Some(v), path)).transpose()
}

/// A required string member of 1..=`max` characters.
fn text(parent: &Map<String, Value>, name: &str, max: usize, prefix: &str) -> Result<String, ObieError> {
    optional_text(parent, name, max, prefix)?.ok_or_else(|| ObieError::missing(format!("{prefix}{name}")))
}

fn optional_text(
    parent: &Map<String, Value>,
    name: &str,
    max: usize,
    prefix: &str,
) -> Result<Option<String>, ObieError> {
    let Some(value) = parent.get(name) else {
        return Ok(None);
    };
    let path = format!("{prefix}{name}");
    let text = value
        .as_str()
        .ok_or_else(|| ObieError::invalid(&path, "a string"))?;
    let length = text.chars().count();
    if length == 0 || length > max || text.chars().any(char::is_control) {
        return Err(ObieError::invalid(
            &path,
            &format!("1 to {max} printable characters"),
        ));
    }
    Ok(Some(text.to_string()))
}

/// `OBActiveCurrencyAndAmount_SimpleType`: `^\d{1,13}$|^\d{1,13}\.\d{1,5}$`,
/// and (for a payment) more than zero.
fn decimal_amount(amount: &Map<String, Value>, prefix: &str) -> Result<String, ObieError> {
    let value = text(amount, "Amount", 19, prefix)?;
    let (whole, fraction) = value.split_once('.').unwrap_or((&value, ""));
    let digits =
        |s: &str, max: usize| !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit());
    let well_formed = digits(whole, 13) && (!value.contains('.') || digits(fraction, 5));
    let positive = value.bytes().any(|b| (b'1'..=b'9').contains(&b));
    if !well_formed || !positive {
        return Err(ObieError::invalid(
            &format!("{prefix}Amount"),
            "a positive amount of up to 13 digits and 5 decimals",
        ));
    }
    Ok(value)
}

/// `ActiveOrHistoricCurrencyCode`: `^[A-Z]{3,3}$` (ISO 4217).
fn currency(amount: &Map<String, Value>, prefix: &str) -> Result<String, ObieError> {
    let value = text(amount, "Currency", 3, prefix)?;
    if value.len() != 3 || !value.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(ObieError::invalid(
            &format!("{prefix}Currency"),
            "three capital letters (ISO 4217)",
        ));
    }
    Ok(value)
}

/// `OBCashAccountCreditor3` / `OBCashAccountDebtor4`.
fn cash_account(
    value: Option<&Value>,
    path: &str,
    name_required: bool,
) -> Result<Option<CashAccount>, ObieError> {
    let Some(account) = optional_object(value, path)? else {
        return Ok(None);
    };
    let prefix = format!("{path}.");
    let name = optional_text(account, "Name", 350, &prefix)?;
    if name_required && name.is_none() {
        return Err(ObieError::missing(format!("{prefix}Name")));
    }
    Ok(Some(CashAccount {
        scheme_name: text(account, "SchemeName", 40, &prefix)?,
        identification: text(account, "Identification", 256, &prefix)?,
        name,
        secondary_identification: optional_text(account, "SecondaryIdentification", 34, &prefix)?,
    }))
}

/// An ISO 8601 date-time with a time zone (RFC 3339), kept as sent.
fn date_time(data: &Map<String, Value>, name: &str) -> Result<Option<String>, ObieError> {
    let path = format!("Data.{name}");
    let Some(value) = optional_text(data, name, 64, "Data.")? else {
        return Ok(None);
    };
    time::OffsetDateTime::parse(&value, &time::format_description::well_known::Rfc3339)
        .map_err(|_| ObieError::invalid_date(&path))?;
    Ok(Some(value))
}
