//! Domestic payments (Open Banking Payment Initiation API v3.1,
//! `OBWriteDomestic2` in, `OBWriteDomesticResponse5` out): the request
//! parsed into a [`PaymentOrder`], the stored [`PaymentRecord`], and why a
//! payment is refused ([`Refused`], with the Open Banking error code). Sans-IO.

use super::amount;
use super::ledger_records::Account;
use super::response::rfc3339;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// An account named in an initiation (`DebtorAccount`, `CreditorAccount`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRef {
    /// `SchemeName`.
    pub scheme_name: String,
    /// `Identification`.
    pub identification: String,
    /// `Name`.
    pub name: Option<String>,
}

impl AccountRef {
    fn parse(node: &Value, field: &str) -> Result<Option<Self>, Refused> {
        if node.is_null() {
            return Ok(None);
        }
        let text = |name: &str| {
            node[name]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| Refused::Missing(format!("Data.Initiation.{field}.{name}")))
        };
        Ok(Some(Self {
            scheme_name: text("SchemeName")?,
            identification: text("Identification")?,
            name: node["Name"].as_str().map(str::to_string),
        }))
    }

    /// Whether it names `account`; an IBAN is an IBAN under either scheme name.
    pub fn matches(&self, account: &Account) -> bool {
        let iban = |s: &str| matches!(s, "UK.OBIE.IBAN" | "IBAN");
        let scheme = self.scheme_name == account.scheme_name
            || (iban(&self.scheme_name) && iban(&account.scheme_name));
        scheme && self.identification.replace(' ', "") == account.identification.replace(' ', "")
    }
}

/// A payment submission as the ledger books it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentOrder {
    /// The fintech (`x-fiducia-client-id`).
    pub client_id: String,
    /// The customer (`x-fiducia-customer`).
    pub customer: String,
    /// `x-idempotency-key`.
    pub idempotency_key: String,
    /// `Data.ConsentId`.
    pub consent_id: String,
    /// The consent the payment uses up, as the gateway names it
    /// (`x-fiducia-consent-id`: the UK OBIE consent, or the RFC 9396 grant,
    /// which the OP reserved for this payment); `consent_id` until
    /// [`PaymentOrder::bind_consent`].
    pub consent_reference: String,
    /// `Data.Initiation` as sent.
    pub initiation: Value,
    /// `InstructedAmount.Amount` in 1/100000 units.
    pub amount: i64,
    /// `InstructedAmount.Currency`.
    pub currency: String,
    /// `CreditorAccount`.
    pub creditor: AccountRef,
    /// `DebtorAccount`, when the fintech named one.
    pub debtor: Option<AccountRef>,
    /// `RemittanceInformation.Reference`, else `.Unstructured`, else
    /// `EndToEndIdentification`.
    pub reference: String,
}

impl PaymentOrder {
    /// Whether the body carried remittance text of its own.
    pub fn remittance_sent(&self) -> bool {
        let remittance = &self.initiation["RemittanceInformation"];
        remittance["Reference"].is_string() || remittance["Unstructured"].is_string()
    }

    /// The payment uses up `vouched`, the consent the gateway had the OP
    /// reserve for it (`x-fiducia-consent-id`); the body never chooses it.
    /// Under a UK OBIE consent (`obie`) the body's `Data.ConsentId` must be
    /// that consent (OBIE Payment Initiation API v3.1, "Domestic
    /// Payments"); an RFC 9396 grant has no id the fintech knows, so its
    /// body's `ConsentId` is only echoed.
    pub fn bind_consent(&mut self, vouched: &str, obie: bool) -> Result<(), Refused> {
        if obie && self.consent_id != vouched {
            return Err(Refused::ConsentMismatch(
                "Data.ConsentId is not the consent the token was authorised under".into(),
            ));
        }
        vouched.clone_into(&mut self.consent_reference);
        Ok(())
    }

    /// Reads an `OBWriteDomestic2` body.
    pub fn parse(
        body: &[u8],
        client_id: &str,
        customer: &str,
        idempotency_key: &str,
    ) -> Result<Self, Refused> {
        let body: Value = serde_json::from_slice(body)
            .map_err(|_| Refused::Invalid("the request body is not JSON".into()))?;
        let data = &body["Data"];
        let consent_id = data["ConsentId"]
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Refused::Missing("Data.ConsentId".into()))?;
        let initiation = &data["Initiation"];
        if !initiation.is_object() {
            return Err(Refused::Missing("Data.Initiation".into()));
        }
        let instructed = &initiation["InstructedAmount"];
        let amount_text = instructed["Amount"]
            .as_str()
            .ok_or_else(|| Refused::Missing("Data.Initiation.InstructedAmount.Amount".into()))?;
        let amount = amount::parse(amount_text)
            .filter(|a| *a > 0)
            .ok_or_else(|| Refused::Invalid(format!("`{amount_text}` is not a positive amount")))?;
        let currency = instructed["Currency"]
            .as_str()
            .filter(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()))
            .ok_or_else(|| Refused::Missing("Data.Initiation.InstructedAmount.Currency (ISO 4217)".into()))?;
        let creditor = AccountRef::parse(&initiation["CreditorAccount"], "CreditorAccount")?
            .ok_or_else(|| Refused::Missing("Data.Initiation.CreditorAccount".into()))?;
        let remittance = &initiation["RemittanceInformation"];
        let reference = remittance["Reference"]
            .as_str()
            .or_else(|| remittance["Unstructured"].as_str())
            .or_else(|| initiation["EndToEndIdentification"].as_str())
            .unwrap_or("Domestic payment")
            .to_string();
        Ok(Self {
            client_id: client_id.into(),
            customer: customer.into(),
            idempotency_key: idempotency_key.into(),
            consent_id: consent_id.into(),
            consent_reference: consent_id.into(),
            initiation: initiation.clone(),
            amount,
            currency: currency.into(),
            debtor: AccountRef::parse(&initiation["DebtorAccount"], "DebtorAccount")?,
            creditor,
            reference,
        })
    }
}

/// A booked payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecord {
    /// `DomesticPaymentId`.
    pub payment_id: String,
    /// The fintech that submitted it.
    pub client_id: String,
    /// The customer who pays.
    pub customer: String,
    /// `ConsentId`.
    pub consent_id: String,
    /// The consent it used up ([`PaymentOrder::consent_reference`]).
    #[serde(default)]
    pub consent_reference: String,
    /// The initiation as submitted.
    pub initiation: Value,
    /// The debited account.
    pub debtor_account_id: String,
    /// `Status`.
    pub status: String,
    /// Creation time (unix seconds).
    pub created_at: u64,
}

impl PaymentRecord {
    /// A payment settled at once (the sample bank has no clearing delay).
    pub fn accepted(payment_id: String, order: &PaymentOrder, debtor_account_id: &str, now: u64) -> Self {
        Self {
            payment_id,
            client_id: order.client_id.clone(),
            customer: order.customer.clone(),
            consent_id: order.consent_id.clone(),
            consent_reference: order.consent_reference.clone(),
            initiation: order.initiation.clone(),
            debtor_account_id: debtor_account_id.into(),
            status: "AcceptedSettlementCompleted".into(),
            created_at: now,
        }
    }

    /// Whether `order` is a retry of this payment (same consent and initiation).
    pub fn same_request(&self, order: &PaymentOrder) -> bool {
        self.consent_id == order.consent_id && self.initiation == order.initiation
    }

    /// The `OBWriteDomesticResponse5` body; `self_url` is `Links.Self`.
    pub fn response(&self, self_url: &str) -> Value {
        let at = rfc3339(self.created_at);
        json!({
            "Data": {
                "DomesticPaymentId": self.payment_id,
                "ConsentId": self.consent_id,
                "CreationDateTime": at,
                "Status": self.status,
                "StatusUpdateDateTime": at,
                "Initiation": self.initiation,
            },
            "Links": {"Self": self_url},
            "Meta": {},
        })
    }
}

/// Why the bank refused a payment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// A required field is absent.
    #[error("{0} is missing")]
    Missing(String),
    /// A field has a wrong value.
    #[error("{0}")]
    Invalid(String),
    /// The payment differs from the consent the token carries.
    #[error("{0}")]
    ConsentMismatch(String),
    /// The customer has no account in that currency (or not the named one).
    #[error("the customer has no such account in the payment's currency")]
    NoDebtorAccount,
    /// The creditor's account holds another currency.
    #[error("the creditor account holds another currency")]
    CreditorCurrency,
    /// A payment to the debtor's own account.
    #[error("the creditor account is the debtor account")]
    SameAccount,
    /// The balance is lower than the amount.
    #[error("insufficient funds in the debtor account")]
    InsufficientFunds,
    /// The idempotency key was used for another payment.
    #[error("the x-idempotency-key was used for a different payment")]
    IdempotencyKeyReused,
    /// A payment was already made under the consent.
    #[error("the consent was already used for a payment")]
    ConsentUsed,
    /// The ledger could not be written.
    #[error("the payment could not be recorded; retry with the same x-idempotency-key")]
    Storage,
}

impl Refused {
    /// The HTTP status and the Open Banking error code (`OBErrorResponse1`).
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Refused::Missing(_) => (StatusCode::BAD_REQUEST, "UK.OBIE.Field.Missing"),
            Refused::Invalid(_) => (StatusCode::BAD_REQUEST, "UK.OBIE.Field.Invalid"),
            Refused::ConsentMismatch(_) => (StatusCode::BAD_REQUEST, "UK.OBIE.Resource.ConsentMismatch"),
            Refused::NoDebtorAccount => (StatusCode::BAD_REQUEST, "UK.OBIE.Unsupported.AccountIdentifier"),
            Refused::CreditorCurrency => (StatusCode::BAD_REQUEST, "UK.OBIE.Unsupported.Currency"),
            Refused::SameAccount => (StatusCode::BAD_REQUEST, "UK.OBIE.Field.Invalid"),
            Refused::ConsentUsed => (StatusCode::BAD_REQUEST, "UK.OBIE.Resource.InvalidConsentStatus"),
            // Open Banking has no insufficient-funds code (funds are checked with the
            // funds-confirmation API); the payment is refused against the control
            // parameters of the debtor account.
            Refused::InsufficientFunds => (StatusCode::BAD_REQUEST, "UK.OBIE.Rules.FailsControlParameters"),
            Refused::IdempotencyKeyReused => (StatusCode::BAD_REQUEST, "UK.OBIE.Header.Invalid"),
            Refused::Storage => (StatusCode::INTERNAL_SERVER_ERROR, "UK.OBIE.UnexpectedError"),
        }
    }
}
