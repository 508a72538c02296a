//! Through the API gateway, over mutual TLS with the transport certificate
//! and a certificate-bound token (RFC 8705 §3): the payment submission
//! (UK OBIE Payment Initiation API v3.1 `OBWriteDomestic2`: `ConsentId`
//! and the consent's `Initiation` unchanged, its `Risk`, an
//! `x-idempotency-key`) with the token of the authorised payment consent;
//! the payment's status with the client's own token (the payment spends
//! the customer's); the customer's accounts and balances (Account and
//! Transaction API v3.1) with the token of the account access consent.

use super::consent::PaymentConsent;
use super::http::{expect_json, text};
use super::setup::Setup;
use crate::sandbox::bank::http::{AISP, DOMESTIC_PAYMENTS};
use serde_json::{Value, json};

/// A customer's account and its balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    /// `AccountId`.
    pub account_id: String,
    /// `Account[0].Identification` (the IBAN).
    pub identification: String,
    /// `Amount.Amount`, signed by `CreditDebitIndicator`.
    pub amount: String,
    /// `Amount.Currency`.
    pub currency: String,
}

/// A submitted payment.
pub struct Payment {
    /// `Data.DomesticPaymentId`.
    pub id: String,
    /// `Data.Status`.
    pub status: String,
}

/// Calls the gateway with the token.
pub struct Gateway<'a> {
    setup: &'a Setup,
    authorization: String,
}

/// The submission body: exactly the consent's initiation and risk.
pub fn submission(consent: &PaymentConsent) -> Value {
    json!({
        "Data": {"ConsentId": consent.id, "Initiation": consent.initiation},
        "Risk": consent.risk,
    })
}

impl<'a> Gateway<'a> {
    /// The gateway of the sandbox, with `access_token` (token type `token_type`).
    pub fn new(setup: &'a Setup, token_type: &str, access_token: &str) -> Self {
        Self {
            setup,
            authorization: format!("{token_type} {access_token}"),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.setup.sandbox.gateway_url.trim_end_matches('/'))
    }

    async fn get(&self, path: &str, what: &str) -> anyhow::Result<Value> {
        let headers = [("authorization", self.authorization.as_str())];
        let response = self.setup.fintech.get(&self.url(path), &headers).await?;
        expect_json(&response, 200, what)
    }

    /// The customer's accounts in `currency`, in the bank's order, with their balances.
    pub async fn balances(&self, currency: &str) -> anyhow::Result<Vec<Balance>> {
        let accounts = self
            .get(&format!("{AISP}/accounts"), "the gateway (accounts)")
            .await?;
        let mut balances = Vec::new();
        for account in accounts["Data"]["Account"].as_array().into_iter().flatten() {
            if account["Currency"] != currency {
                continue;
            }
            let account_id = text(account, &["AccountId"], "the account")?;
            let path = format!("{AISP}/accounts/{account_id}/balances");
            let body = self.get(&path, "the gateway (balances)").await?;
            let balance = &body["Data"]["Balance"][0];
            let amount = text(balance, &["Amount", "Amount"], "the balance")?;
            let sign = if balance["CreditDebitIndicator"] == "Debit" {
                "-"
            } else {
                ""
            };
            balances.push(Balance {
                identification: account["Account"][0]["Identification"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                account_id,
                amount: format!("{sign}{amount}"),
                currency: text(balance, &["Amount", "Currency"], "the balance")?,
            });
        }
        Ok(balances)
    }

    /// `POST /domestic-payments`.
    pub async fn submit(&self, consent: &PaymentConsent, idempotency_key: &str) -> anyhow::Result<Payment> {
        let headers = [
            ("authorization", self.authorization.as_str()),
            ("x-idempotency-key", idempotency_key),
        ];
        let response = self
            .setup
            .fintech
            .post_json(&self.url(DOMESTIC_PAYMENTS), &submission(consent), &headers)
            .await?;
        let body = expect_json(&response, 201, "the gateway")?;
        Ok(Payment {
            id: text(&body, &["Data", "DomesticPaymentId"], "the payment")?,
            status: text(&body, &["Data", "Status"], "the payment")?,
        })
    }

    /// `GET /domestic-payments/{id}`: its status.
    pub async fn status(&self, payment_id: &str) -> anyhow::Result<String> {
        let path = format!("{DOMESTIC_PAYMENTS}/{payment_id}");
        let body = self.get(&path, "the gateway").await?;
        text(&body, &["Data", "Status"], "the payment")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_submission_carries_the_consents_initiation_unchanged() {
        let consent = PaymentConsent {
            id: "pdc-1".into(),
            status: "Authorised".into(),
            initiation: json!({"InstructedAmount": {"Amount": "10.00", "Currency": "EUR"}, "Extra": [1]}),
            risk: json!({"PaymentContextCode": "PartyToParty"}),
        };
        let body = submission(&consent);
        assert_eq!(body["Data"]["ConsentId"], "pdc-1");
        assert_eq!(body["Data"]["Initiation"], consent.initiation);
        assert_eq!(body["Risk"], consent.risk);
    }
}

/// The account a payment left from: the consent's `DebtorAccount` (named by
/// the fintech or chosen by the customer at consent) when it has one, else
/// the customer's first account in the currency (the sample bank's rule).
pub fn debtor<'b>(balances: &'b [Balance], consent_data: &Value) -> Option<&'b Balance> {
    let named = consent_data["Initiation"]["DebtorAccount"]["Identification"].as_str();
    match named {
        Some(identification) => balances
            .iter()
            .find(|b| b.identification.replace(' ', "") == identification.replace(' ', "")),
        None => balances.first(),
    }
}

#[cfg(test)]
mod debtor_tests {
    use super::*;

    fn balance(id: &str, iban: &str) -> Balance {
        Balance {
            account_id: id.into(),
            identification: iban.into(),
            amount: "1.00".into(),
            currency: "EUR".into(),
        }
    }

    #[test]
    fn the_debtor_is_the_consents_account_else_the_first() {
        let balances = [balance("a", "GB01"), balance("b", "GB02")];
        let chosen = json!({"Initiation": {"DebtorAccount": {"SchemeName": "UK.OBIE.IBAN", "Identification": "GB02"}}});
        assert_eq!(debtor(&balances, &chosen).unwrap().account_id, "b");
        assert_eq!(
            debtor(&balances, &json!({"Initiation": {}})).unwrap().account_id,
            "a"
        );
        let unknown = json!({"Initiation": {"DebtorAccount": {"Identification": "GB99"}}});
        assert_eq!(debtor(&balances, &unknown), None);
    }
}
