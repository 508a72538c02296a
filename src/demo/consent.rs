//! The consents: a client_credentials token (RFC 6749 §4.4) with scope
//! `payments` (and `accounts`), certificate-bound (RFC 8705 §3), then `POST
//! /open-banking/v3.1/pisp/domestic-payment-consents` (UK OBIE Payment
//! Initiation API v3.1, `OBWriteDomesticConsent4`) and `POST
//! /open-banking/v3.1/aisp/account-access-consents` (Account and
//! Transaction API v3.1, `OBReadConsent1`), each with an
//! `x-idempotency-key`; `GET .../{ConsentId}` reads one back.

use super::args::PaymentOrder;
use super::http::{expect_json, text};
use super::setup::Setup;
use crate::protocol::paths::{ACCOUNT_ACCESS_CONSENTS, PAYMENT_CONSENTS};
use serde_json::{Value, json};

/// A created consent.
pub struct PaymentConsent {
    /// `Data.ConsentId`.
    pub id: String,
    /// `Data.Status`.
    pub status: String,
    /// `Data.Initiation`, exactly as the OP answered: the payment submits it unchanged.
    pub initiation: Value,
    /// `Risk`, as answered.
    pub risk: Value,
}

/// A client_credentials token for `scope` at the (mTLS) token endpoint,
/// the client authenticated by `client_auth` (its `client_id`, and a
/// `client_assertion` for private_key_jwt) besides its certificate.
pub async fn client_token(
    setup: &Setup,
    client_auth: &[(&str, &str)],
    scope: &str,
) -> anyhow::Result<String> {
    let mut params = vec![("grant_type", "client_credentials"), ("scope", scope)];
    params.extend_from_slice(client_auth);
    let response = setup.fintech.post_form(&setup.op.token, &params, &[]).await?;
    let body = expect_json(&response, 200, "the token endpoint")?;
    text(&body, &["access_token"], "the token response")
}

/// The consent request body for the payment `args` describes.
pub fn consent_request(args: &PaymentOrder, instruction_id: &str) -> Value {
    json!({
        "Data": {"Initiation": {
            "InstructionIdentification": instruction_id,
            "EndToEndIdentification": instruction_id,
            "InstructedAmount": {"Amount": args.amount, "Currency": args.currency},
            "CreditorAccount": {
                "SchemeName": "UK.OBIE.IBAN",
                "Identification": args.creditor_iban,
                "Name": args.creditor_name,
            },
            "RemittanceInformation": {"Reference": args.reference},
        }},
        "Risk": {"PaymentContextCode": "PartyToParty"},
    })
}

/// The account access consent the balance is read under: accounts and
/// their balances, nothing else (OBIE "Permissions").
pub fn account_access_request() -> Value {
    json!({
        "Data": {"Permissions": ["ReadAccountsBasic", "ReadAccountsDetail", "ReadBalances"]},
        "Risk": {},
    })
}

/// The consent API's URL of `collection` (a payment or account access path).
fn url(setup: &Setup, collection: &str) -> String {
    format!("{}{collection}", setup.op.issuer.trim_end_matches('/'))
}

/// Creates a payment consent with the client's token.
pub async fn create_payment(
    setup: &Setup,
    token: &str,
    request: &Value,
    idempotency_key: &str,
) -> anyhow::Result<PaymentConsent> {
    let body = create(setup, token, PAYMENT_CONSENTS, request, idempotency_key).await?;
    Ok(PaymentConsent {
        id: text(&body, &["Data", "ConsentId"], "the consent")?,
        status: text(&body, &["Data", "Status"], "the consent")?,
        initiation: body["Data"]["Initiation"].clone(),
        risk: body["Risk"].clone(),
    })
}

/// Creates an account access consent; its id and status.
pub async fn create_account_access(
    setup: &Setup,
    token: &str,
    idempotency_key: &str,
) -> anyhow::Result<(String, String)> {
    let request = account_access_request();
    let body = create(setup, token, ACCOUNT_ACCESS_CONSENTS, &request, idempotency_key).await?;
    Ok((
        text(&body, &["Data", "ConsentId"], "the consent")?,
        text(&body, &["Data", "Status"], "the consent")?,
    ))
}

async fn create(
    setup: &Setup,
    token: &str,
    collection: &str,
    request: &Value,
    idempotency_key: &str,
) -> anyhow::Result<Value> {
    let authorization = format!("Bearer {token}");
    let headers = [
        ("authorization", authorization.as_str()),
        ("x-idempotency-key", idempotency_key),
    ];
    let response = setup
        .fintech
        .post_json(&url(setup, collection), request, &headers)
        .await?;
    expect_json(&response, 201, "the consent API")
}

/// Reads payment consent `id` back (its `Data`).
pub async fn read_payment(setup: &Setup, token: &str, id: &str) -> anyhow::Result<Value> {
    let authorization = format!("Bearer {token}");
    let item = format!("{}/{id}", url(setup, PAYMENT_CONSENTS));
    let response = setup
        .fintech
        .get(&item, &[("authorization", authorization.as_str())])
        .await?;
    Ok(expect_json(&response, 200, "the consent API")?["Data"].take())
}

/// `InstructionIdentification` (Max35Text): unique per run.
pub fn instruction_id() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("DEMO-{}", &id[..16])
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: PaymentOrder,
    }

    #[test]
    fn the_consent_names_amount_creditor_and_reference_obie_v3_1() {
        let cli = Cli::parse_from([
            "demo",
            "--amount",
            "12.34",
            "--creditor-iban",
            "GB33BUKB20201555555555",
        ]);
        let id = instruction_id();
        assert!(id.len() <= 35);
        let body = consent_request(&cli.args, &id);
        let initiation = &body["Data"]["Initiation"];
        assert_eq!(initiation["InstructedAmount"]["Amount"], "12.34");
        assert_eq!(initiation["InstructedAmount"]["Currency"], "EUR");
        assert_eq!(initiation["CreditorAccount"]["SchemeName"], "UK.OBIE.IBAN");
        assert_eq!(
            initiation["CreditorAccount"]["Identification"],
            "GB33BUKB20201555555555"
        );
        assert_eq!(initiation["InstructionIdentification"], id.as_str());
        // The OP parses what it stores with the consent API's own parser.
        crate::consent::obie::parse_domestic_payment(&body).unwrap();
        crate::consent::obie::parse_account_access(&account_access_request()).unwrap();
    }
}
