//! The ledger's transactions: once per idempotency key under concurrency,
//! nothing moved on a refusal, and the state survives a reopen.

use super::amount;
use super::ledger::{Ledger, seed_account};
use super::payment::{PaymentOrder, Refused};
use serde_json::json;
use std::sync::Arc;

/// A payment under consent `pc-<key>`.
fn order(key: &str, amount_text: &str) -> PaymentOrder {
    let body = json!({"Data": {"ConsentId": format!("pc-{key}"), "Initiation": {
        "EndToEndIdentification": "e-1",
        "InstructedAmount": {"Amount": amount_text, "Currency": "EUR"},
        "CreditorAccount": {"SchemeName": "UK.OBIE.IBAN", "Identification": "GB94BARC10201530093459", "Name": "Shop"}}}});
    PaymentOrder::parse(body.to_string().as_bytes(), "fintech", "alice", key).unwrap()
}

fn open(dir: &std::path::Path) -> Ledger {
    Ledger::open(
        dir,
        &[seed_account(
            "alice",
            "alice-eur",
            "EUR",
            "GB29NWBK60161331926819",
            "Alice",
            "100.00",
        )],
    )
    .unwrap()
}

#[test]
fn concurrent_identical_payments_debit_once() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Arc::new(open(dir.path()));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let ledger = ledger.clone();
            std::thread::spawn(move || ledger.pay(&order("k", "30.00"), 1).unwrap())
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|(_, created)| *created).count(), 1);
    assert!(
        results
            .iter()
            .all(|(p, _)| p.payment_id == results[0].0.payment_id)
    );
    let state = ledger.snapshot();
    assert_eq!(
        state.accounts["alice-eur"].balance,
        amount::parse("70.00").unwrap()
    );
    assert_eq!(state.transactions.len(), 2, "one debit and one credit");
}

#[test]
fn a_refused_payment_moves_nothing_and_the_ledger_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    ledger.pay(&order("a", "60.00"), 1).unwrap();
    assert_eq!(
        ledger.pay(&order("b", "60.00"), 2),
        Err(Refused::InsufficientFunds)
    );
    let before = ledger.snapshot();
    drop(ledger);
    let reopened = open(dir.path());
    assert_eq!(reopened.snapshot(), before);
    assert_eq!(
        before.accounts["alice-eur"].balance,
        amount::parse("40.00").unwrap()
    );
    // The retry after a restart is still the same payment.
    let (retry, created) = reopened.pay(&order("a", "60.00"), 3).unwrap();
    assert!(!created);
    assert_eq!(Some(&retry.payment_id), before.idempotency.get("fintech\na"));
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1, "no temporary file left");
}

/// OBIE Payment Initiation API v3.1: a consent authorises one payment; a
/// second payment under it (another idempotency key) is refused and moves
/// nothing, while the first one's retry still answers.
#[test]
fn a_consent_pays_once() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    let first = order("a", "10.00");
    ledger.pay(&first, 1).unwrap();
    let mut second = order("b", "10.00");
    second.consent_reference = first.consent_reference.clone();
    assert_eq!(ledger.pay(&second, 2), Err(Refused::ConsentUsed));
    assert_eq!(
        ledger.snapshot().accounts["alice-eur"].balance,
        amount::parse("90.00").unwrap()
    );
    assert!(!ledger.pay(&first, 3).unwrap().1);
    assert_eq!(
        Refused::ConsentUsed.status_and_code().1,
        "UK.OBIE.Resource.InvalidConsentStatus"
    );
}

#[test]
fn bad_initiations_are_refused_with_open_banking_codes() {
    let parse = |body: serde_json::Value| PaymentOrder::parse(body.to_string().as_bytes(), "c", "alice", "k");
    assert!(matches!(parse(json!({"Data": {}})), Err(Refused::Missing(_))));
    let negative = json!({"Data": {"ConsentId": "p", "Initiation": {
        "InstructedAmount": {"Amount": "-1", "Currency": "EUR"},
        "CreditorAccount": {"SchemeName": "UK.OBIE.IBAN", "Identification": "X"}}}});
    assert!(matches!(parse(negative), Err(Refused::Invalid(_))));
    assert_eq!(
        Refused::InsufficientFunds.status_and_code().1,
        "UK.OBIE.Rules.FailsControlParameters"
    );
}

/// The consent used up is the one the gateway vouched for
/// (`x-fiducia-consent-id`), never the body's: under a UK OBIE consent a
/// body naming another consent is refused (OBIE Payment Initiation API
/// v3.1, "Domestic Payments"), and two payments under one vouched consent
/// with different body ConsentIds still pay once.
#[test]
fn the_vouched_consent_is_used_up_not_the_bodys() {
    let mut obie = order("a", "10.00");
    assert_eq!(
        obie.bind_consent("pc-other", true),
        Err(Refused::ConsentMismatch(
            "Data.ConsentId is not the consent the token was authorised under".into()
        ))
    );
    assert_eq!(
        Refused::ConsentMismatch(String::new()).status_and_code().1,
        "UK.OBIE.Resource.ConsentMismatch"
    );
    assert_eq!(obie.bind_consent("pc-a", true), Ok(()));

    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    let (mut first, mut second) = (order("a", "10.00"), order("b", "10.00"));
    first.bind_consent("grant-1", false).unwrap();
    second.bind_consent("grant-1", false).unwrap();
    assert_eq!(second.consent_reference, "grant-1");
    ledger.pay(&first, 1).unwrap();
    assert_eq!(ledger.pay(&second, 2), Err(Refused::ConsentUsed));
}
