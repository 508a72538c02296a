//! What the customer approved is what the bank API serves (RFC 9396 §9:
//! the resource server enforces the details; OBIE Account and Transaction
//! API v3.1 "Permissions"), over real mTLS through the gateway: the debtor
//! account and remittance text of a payment, the `actions` and `accounts`
//! of an `account_information` detail, and the transaction permissions of
//! an OBIE account access consent.

use super::super::flow::consents::ACCOUNTS as ACCESS_CONSENTS;
use super::super::flow::harness::*;
use super::super::flow::obie_intent::create_consent;
use super::super::flow::rar::{IBAN, payment_detail};
use super::super::gateway::rig::{PAYMENTS, PISP, PUBLIC_URL, payment_post, payment_request};
use super::super::support::{get, json};
use super::intent::{authorised_token_from, obie_error};
use super::rig::*;
use bytes::Bytes;
use fiducia::sandbox::bank::payment::{AccountRef, PaymentOrder};
use fiducia::sandbox::bank::{amount, sample_iban};
use http::Response;
use serde_json::{Value, json};

const AIS: &str = "/open-banking/v3.1/aisp/accounts";

async fn submit(rig: &BankRig, dpop: &DpopKey, token: &str, body: &Value, key: &str) -> Response<Bytes> {
    let proof = dpop
        .proof("POST", &format!("{PUBLIC_URL}{PAYMENTS}"), Some(token))
        .await;
    let request = payment_post(body, &format!("DPoP {token}"), Some(&proof));
    rig.call(with_header(request, "x-idempotency-key", key)).await
}

fn balance(rig: &BankRig, account_id: &str) -> i64 {
    rig.bank.ledger.snapshot().accounts[account_id].balance
}

/// RFC 9396 §9 with a `payment_initiation` detail naming the debtor account
/// (the consent page's "From account") and a remittance text ("Reference"):
/// a submission naming another of Alice's accounts, or another text, is
/// refused (403 `UK.OBIE.Resource.ConsentMismatch`) and moves nothing; one
/// that leaves them out debits the consented account and books the
/// consented text. A detail naming no debtor account lets the body name
/// none either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_leaves_only_the_account_the_customer_approved_rfc9396_s9() {
    let rig = BankRig::start().await;
    let payer = DpopKey::new();
    let (current, savings) = (sample_iban(1), sample_iban(3));
    let mut detail = payment_detail();
    detail["instructedAmount"]["amount"] = json!("20.00");
    detail["debtorAccount"] = json!({"iban": savings});
    let (authorized, page) = super::super::flow::rar::authorize_with_details(
        &rig.op,
        PISP,
        &payer,
        "openid payments",
        &json!([detail]),
    )
    .await;
    assert!(
        page.contains(&savings),
        "the page shows the debtor account: {page}"
    );
    let tokens = super::super::flow::rar::tokens_for(&rig.op, PISP, &authorized, &payer).await;
    let token = tokens["access_token"].as_str().unwrap().to_string();

    let mut from_current = payment_request("20.00", IBAN);
    from_current["Data"]["Initiation"]["DebtorAccount"] =
        json!({"SchemeName": "UK.OBIE.IBAN", "Identification": current});
    let mut other_text = payment_request("20.00", IBAN);
    other_text["Data"]["Initiation"]["RemittanceInformation"] = json!({"Unstructured": "Gift"});
    for (case, body) in [("debtor", from_current), ("remittance", other_text)] {
        let response = submit(&rig, &payer, &token, &body, &format!("key-{case}")).await;
        assert_eq!(response.status(), 403, "{case}: {:?}", response.body());
        assert_eq!(
            obie_error(&response),
            "UK.OBIE.Resource.ConsentMismatch",
            "{case}"
        );
    }
    assert_eq!(balance(&rig, ALICE_EUR), amount::parse(OPENING).unwrap());
    assert_eq!(balance(&rig, ALICE_SAVINGS), amount::parse("100.00").unwrap());

    let response = submit(&rig, &payer, &token, &payment_request("20.00", IBAN), "key-ok").await;
    assert_status(&response, 201);
    assert_eq!(
        balance(&rig, ALICE_EUR),
        amount::parse(OPENING).unwrap(),
        "not the current account"
    );
    assert_eq!(balance(&rig, ALICE_SAVINGS), amount::parse("80.00").unwrap());
    let ledger = rig.bank.ledger.snapshot();
    let debit = ledger
        .transactions
        .iter()
        .find(|t| t.account_id == ALICE_SAVINGS)
        .unwrap();
    assert_eq!(debit.information, "Invoice 4711", "the consented remittance text");

    // No debtor account consented: the body cannot choose one.
    let token = rig.token(PISP, &payer, "openid payments", true).await;
    let mut chosen = payment_request("123.50", IBAN);
    chosen["Data"]["Initiation"]["DebtorAccount"] =
        json!({"SchemeName": "UK.OBIE.IBAN", "Identification": savings});
    let response = submit(&rig, &payer, &token, &chosen, "key-chosen").await;
    assert_eq!(response.status(), 403, "{:?}", response.body());
    assert_eq!(obie_error(&response), "UK.OBIE.Resource.ConsentMismatch");
    rig.shutdown().await;
}

/// RFC 9396 §2.2 / §9: an `account_information` detail naming Alice's
/// current account with `list_accounts` and `read_balances` lists that
/// account only, reads its balance, and refuses her savings account and
/// the transactions (403 `UK.OBIE.Resource.ConsentMismatch`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_information_details_bound_the_accounts_and_actions_rfc9396_s9() {
    let rig = BankRig::start().await;
    let reader = DpopKey::new();
    let details = json!([{"type": "account_information", "actions": ["list_accounts", "read_balances"],
        "accounts": [{"iban": sample_iban(1)}]}]);
    let token = rig
        .token_with_details(READER, &reader, "openid accounts", &details)
        .await;

    let response = rig.dpop_get(&reader, &token, AIS).await;
    assert_status(&response, 200);
    let listed: Vec<Value> = json(response.body())["Data"]["Account"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["AccountId"].clone())
        .collect();
    assert_eq!(listed, [json!(ALICE_EUR)], "only the consented account");
    let response = rig
        .dpop_get(&reader, &token, &format!("{AIS}/{ALICE_EUR}/balances"))
        .await;
    assert_status(&response, 200);

    for path in [
        format!("{AIS}/{ALICE_SAVINGS}"),
        format!("{AIS}/{ALICE_SAVINGS}/balances"),
        format!("{AIS}/{ALICE_EUR}/transactions"),
    ] {
        let response = rig.dpop_get(&reader, &token, &path).await;
        assert_eq!(response.status(), 403, "{path}");
        assert_eq!(
            obie_error(&response),
            "UK.OBIE.Resource.ConsentMismatch",
            "{path}"
        );
    }
    rig.shutdown().await;
}

/// Books, straight into the ledger, a credit of 10.00 to Alice's current
/// account (from her savings) and then a debit of 5.00 from it.
pub fn book_a_credit_and_a_debit(rig: &BankRig) {
    let (current, savings) = (sample_iban(1), sample_iban(3));
    for (n, from, to, amount) in [
        (1, savings.as_str(), current.as_str(), "10.00"),
        (2, current.as_str(), IBAN, "5.00"),
    ] {
        let body = json!({"Data": {"ConsentId": format!("setup-{n}"), "Initiation": {
            "InstructionIdentification": "i", "EndToEndIdentification": format!("Transfer {n}"),
            "InstructedAmount": {"Amount": amount, "Currency": "EUR"},
            "CreditorAccount": {"SchemeName": "UK.OBIE.IBAN", "Identification": to, "Name": "Payee"}}},
            "Risk": {}});
        let mut order = PaymentOrder::parse(
            body.to_string().as_bytes(),
            "setup",
            "acc-alice-1",
            &format!("setup-{n}"),
        )
        .unwrap();
        order.debtor = Some(AccountRef {
            scheme_name: "UK.OBIE.IBAN".into(),
            identification: from.to_string(),
            name: None,
        });
        rig.bank.ledger.pay(&order, now()).unwrap();
    }
}

/// Alice authorises an account access consent with `permissions` (and the
/// extra `Data` members of `dates`); a certificate-bound token.
pub async fn access_token(rig: &BankRig, key: &str, permissions: &[&str], dates: Value) -> String {
    let mut body = json!({"Data": {"Permissions": permissions}, "Risk": {}});
    for (name, value) in dates.as_object().unwrap() {
        body["Data"][name] = value.clone();
    }
    let intent = create_consent(&rig.op, ACCESS_CONSENTS, "accounts", key, &body).await;
    authorised_token_from(rig, &intent, "openid accounts", &mut Browser::new()).await
}

/// A GET through the gateway with a certificate-bound `token`.
pub async fn bearer_get(rig: &BankRig, token: &str, path: &str) -> Response<Bytes> {
    rig.call(with_header(
        get(path),
        "authorization",
        &format!("Bearer {token}"),
    ))
    .await
}

/// OBIE Account and Transaction API v3.1, Transactions "Permission Codes":
/// `ReadTransactionsBasic` leaves out `TransactionInformation` and
/// `Balance`, `ReadTransactionsCredits` alone shows no debits;
/// `ReadAccountsBasic` leaves out the account's identification. With
/// Detail, Credits and Debits everything is shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn obie_transaction_permissions_shape_what_is_read() {
    let rig = BankRig::start().await;
    book_a_credit_and_a_debit(&rig);
    let transactions = format!("{AIS}/{ALICE_EUR}/transactions");

    let basic_credits = access_token(
        &rig,
        "access-basic",
        &[
            "ReadAccountsBasic",
            "ReadTransactionsBasic",
            "ReadTransactionsCredits",
        ],
        json!({}),
    )
    .await;
    let response = bearer_get(&rig, &basic_credits, &transactions).await;
    assert_status(&response, 200);
    let shown = json(response.body())["Data"]["Transaction"].clone();
    let shown = shown.as_array().unwrap();
    assert_eq!(shown.len(), 1, "the credit only: {shown:?}");
    assert_eq!(shown[0]["CreditDebitIndicator"], "Credit");
    assert_eq!(shown[0]["Amount"]["Amount"], "10.00");
    for hidden in ["TransactionInformation", "Balance"] {
        assert!(
            shown[0].get(hidden).is_none(),
            "{hidden} without ReadTransactionsDetail"
        );
    }
    let response = bearer_get(&rig, &basic_credits, AIS).await;
    let accounts = json(response.body())["Data"]["Account"].clone();
    assert!(
        accounts[0].get("Account").is_none(),
        "the identification needs ReadAccountsDetail: {accounts}"
    );

    let everything = access_token(
        &rig,
        "access-detail",
        &[
            "ReadAccountsDetail",
            "ReadTransactionsDetail",
            "ReadTransactionsCredits",
            "ReadTransactionsDebits",
        ],
        json!({}),
    )
    .await;
    let response = bearer_get(&rig, &everything, &transactions).await;
    let shown = json(response.body())["Data"]["Transaction"].clone();
    assert_eq!(shown.as_array().unwrap().len(), 2, "{shown}");
    assert_eq!(shown[0]["CreditDebitIndicator"], "Debit");
    assert_eq!(shown[0]["TransactionInformation"], "Transfer 2");
    assert!(shown[0]["Balance"].is_object());
    let response = bearer_get(&rig, &everything, AIS).await;
    let accounts = json(response.body())["Data"]["Account"].clone();
    assert_eq!(accounts[0]["Account"][0]["Identification"], sample_iban(1));
    rig.shutdown().await;
}
