//! Domestic payments (Open Banking Payment Initiation API v3.1) through the
//! gateway into the bank's ledger: a consented payment moves money once per
//! `x-idempotency-key`, retries and concurrent duplicates move nothing more,
//! insufficient funds are refused.

use super::super::flow::gateway::gateway_introspection_of;
use super::super::flow::harness::*;
use super::super::flow::rar::IBAN;
use super::super::gateway::rig::{PAYMENTS, PISP, PUBLIC_URL, payment_post, payment_request};
use super::super::support::json;
use super::rig::*;
use bytes::Bytes;
use fiducia::sandbox::bank::amount;
use fiducia::sandbox::bank::ledger::Ledger;
use http::Response;
use serde_json::Value;

/// Alice's EUR balance as the Account and Transaction API shows it.
async fn balance(rig: &BankRig, reader: &DpopKey, token: &str) -> String {
    let path = format!("/open-banking/v3.1/aisp/accounts/{ALICE_EUR}/balances");
    let response = rig.dpop_get(reader, token, &path).await;
    assert_status(&response, 200);
    let body = json(response.body());
    assert_eq!(body["Data"]["Balance"][0]["CreditDebitIndicator"], "Credit");
    body["Data"]["Balance"][0]["Amount"]["Amount"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Submits `body` with `key` as `x-idempotency-key` and a fresh DPoP proof.
async fn submit(rig: &BankRig, dpop: &DpopKey, token: &str, body: &Value, key: &str) -> Response<Bytes> {
    let proof = dpop
        .proof("POST", &format!("{PUBLIC_URL}{PAYMENTS}"), Some(token))
        .await;
    let request = payment_post(body, &format!("DPoP {token}"), Some(&proof));
    rig.call(with_header(request, "x-idempotency-key", key)).await
}

fn payment_id(response: &Response<Bytes>) -> String {
    assert_status(response, 201);
    let body = json(response.body());
    assert_eq!(body["Data"]["Status"], "AcceptedSettlementCompleted");
    assert_eq!(body["Data"]["ConsentId"], "pc-1");
    body["Data"]["DomesticPaymentId"].as_str().unwrap().to_string()
}

/// OBIE Payment Initiation v3.1 domestic payments with RFC 9396
/// `payment_initiation` tokens: the consented 123.50 EUR leaves Alice's
/// account once; the token that paid is spent (a retry with it is refused
/// at the gateway and the OP no longer knows it: the grant is consumed);
/// four concurrent identical submissions with a fresh consent's token
/// return one payment and debit once; a key reused for another payment is
/// refused, and the consent stays reserved for that key; when the balance
/// no longer covers it the payment is refused, nothing moves and the same
/// payment may be retried; the payment's status can be read with another
/// `payments` token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consented_payment_moves_money_once_and_spends_its_token() {
    let rig = BankRig::start().await;
    let reader = DpopKey::new();
    let read_token = rig.token(READER, &reader, "openid accounts", false).await;
    assert_eq!(balance(&rig, &reader, &read_token).await, OPENING);

    let payer = DpopKey::new();
    let token = rig.token(PISP, &payer, "openid payments", true).await;
    let consented = payment_request("123.50", IBAN);

    let first = payment_id(&submit(&rig, &payer, &token, &consented, "key-1").await);
    assert_eq!(balance(&rig, &reader, &read_token).await, "176.50");

    // The token paid: a second submission with it is refused, also as a
    // retry of the same payment, and nothing more moves.
    for key in ["key-1", "key-9"] {
        let response = submit(&rig, &payer, &token, &consented, key).await;
        assert_status(&response, 401);
    }
    assert_eq!(balance(&rig, &reader, &read_token).await, "176.50");
    // The OP consumed the grant: its tokens are gone.
    assert_eq!(gateway_introspection_of(&rig.op, &token).await["active"], false);

    // Four identical submissions at once with a fresh consent's token: one
    // payment, one debit. Each answer is that payment (the bank's
    // idempotency) or 401 (the token was spent by the time it reached the
    // gateway).
    let token = rig.token(PISP, &payer, "openid payments", true).await;
    let (a, b, c, d) = tokio::join!(
        submit(&rig, &payer, &token, &consented, "key-2"),
        submit(&rig, &payer, &token, &consented, "key-2"),
        submit(&rig, &payer, &token, &consented, "key-2"),
        submit(&rig, &payer, &token, &consented, "key-2"),
    );
    let answers = [&a, &b, &c, &d];
    let paid: std::collections::BTreeSet<_> = answers
        .iter()
        .filter(|r| r.status() != 401)
        .map(|r| payment_id(r))
        .collect();
    assert_eq!(paid.len(), 1, "one payment for four submissions");
    let second = paid.into_iter().next().unwrap();
    assert_ne!(second, first);
    assert_eq!(balance(&rig, &reader, &read_token).await, "53.00");

    // The same key for a different initiation is refused by the bank's
    // ledger; the fresh consent is now reserved for that (client, key), so
    // another key cannot use it either (403 from the OP's reservation).
    let token = rig.token(PISP, &payer, "openid payments", true).await;
    let mut other = consented.clone();
    other["Data"]["Initiation"]["EndToEndIdentification"] = "e-2".into();
    let response = submit(&rig, &payer, &token, &other, "key-1").await;
    assert_status(&response, 400);
    assert_eq!(
        json(response.body())["Errors"][0]["ErrorCode"],
        "UK.OBIE.Header.Invalid"
    );
    let response = submit(&rig, &payer, &token, &consented, "key-3").await;
    assert_status(&response, 403);
    assert_eq!(
        json(response.body())["Errors"][0]["ErrorCode"],
        "UK.OBIE.Resource.InvalidConsentStatus"
    );

    // 53.00 does not cover 123.50: refused in the OBErrorResponse1 shape,
    // nothing moves; the same payment (same key) may be retried, and is
    // refused the same way.
    let token = rig.token(PISP, &payer, "openid payments", true).await;
    for _ in 0..2 {
        let response = submit(&rig, &payer, &token, &consented, "key-3").await;
        assert_status(&response, 400);
        let body = json(response.body());
        assert_eq!(
            body["Errors"][0]["ErrorCode"],
            "UK.OBIE.Rules.FailsControlParameters"
        );
        assert!(
            body["Errors"][0]["Message"]
                .as_str()
                .unwrap()
                .contains("insufficient funds")
        );
    }
    assert_eq!(balance(&rig, &reader, &read_token).await, "53.00");

    // No idempotency key: refused before the ledger.
    let proof = payer
        .proof("POST", &format!("{PUBLIC_URL}{PAYMENTS}"), Some(&token))
        .await;
    let response = rig
        .call(payment_post(&consented, &format!("DPoP {token}"), Some(&proof)))
        .await;
    assert_status(&response, 400);
    assert_eq!(
        json(response.body())["Errors"][0]["ErrorCode"],
        "UK.OBIE.Header.Missing"
    );

    // GET the payment's status with a `payments` token without a payment.
    let status_token = rig.token(PISP, &payer, "openid payments", false).await;
    let response = rig
        .dpop_get(&payer, &status_token, &format!("{PAYMENTS}/{first}"))
        .await;
    assert_status(&response, 200);
    let body = json(response.body());
    assert_eq!(body["Data"]["DomesticPaymentId"], first.as_str());
    assert_eq!(body["Data"]["Status"], "AcceptedSettlementCompleted");
    assert_eq!(body["Links"]["Self"], format!("{PUBLIC_URL}{PAYMENTS}/{first}"));

    // Two debits on Alice's account, newest first.
    let path = format!("/open-banking/v3.1/aisp/accounts/{ALICE_EUR}/transactions");
    let response = rig.dpop_get(&reader, &read_token, &path).await;
    assert_status(&response, 200);
    let transactions = json(response.body())["Data"]["Transaction"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(transactions.len(), 2);
    assert_eq!(transactions[0]["TransactionReference"], second.as_str());
    assert_eq!(transactions[0]["CreditDebitIndicator"], "Debit");
    assert_eq!(transactions[0]["Amount"]["Amount"], "123.50");
    assert_eq!(transactions[0]["Balance"]["Amount"]["Amount"], "53.00");

    // The ledger on disk: the debits, the credits of the creditor's
    // account, and each payment under its own grant.
    let ledger = Ledger::open(&rig.op.pki.dir.path().join("bank"), &[])
        .unwrap()
        .snapshot();
    assert_eq!(
        ledger.accounts[ALICE_EUR].balance,
        amount::parse("53.00").unwrap()
    );
    let creditor = ledger
        .accounts
        .values()
        .find(|a| a.identification == IBAN)
        .unwrap();
    assert_eq!(creditor.balance, amount::parse("247.00").unwrap());
    assert_eq!(ledger.payments.len(), 2);
    let grants: std::collections::BTreeSet<_> = ledger
        .payments
        .values()
        .map(|p| p.consent_reference.clone())
        .collect();
    assert_eq!(grants.len(), 2);
    rig.shutdown().await;
}
