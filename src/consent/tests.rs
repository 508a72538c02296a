use super::obie::{domestic_payment_json, parse_account_access, parse_domestic_payment};
use super::state::{ConsentEvent, ConsentStatus};
use super::*;
use serde_json::{Value, json};

pub(crate) fn payment_request() -> Value {
    json!({
        "Data": {"Initiation": {
            "InstructionIdentification": "ACME412",
            "EndToEndIdentification": "FRESCO.21302.GFX.20",
            "InstructedAmount": {"Amount": "165.88", "Currency": "GBP"},
            "CreditorAccount": {
                "SchemeName": "UK.OBIE.SortCodeAccountNumber",
                "Identification": "08080021325698",
                "Name": "ACME Inc",
                "SecondaryIdentification": "0002"
            },
            "RemittanceInformation": {"Reference": "FRESCO-101", "Unstructured": "Internal ops code 5120101"}
        }},
        "Risk": {"PaymentContextCode": "EcommerceGoods"}
    })
}

#[test]
fn a_domestic_payment_consent_parses_and_renders_back_obie_v3_1() {
    let body = payment_request();
    let payment = parse_domestic_payment(&body).unwrap();
    assert_eq!(payment.amount, "165.88");
    assert_eq!(payment.creditor.name.as_deref(), Some("ACME Inc"));
    assert_eq!(payment.debtor, None);
    assert_eq!(domestic_payment_json(&payment), body["Data"]["Initiation"]);
}

#[test]
fn payment_fields_are_checked_with_their_paths_obie_v3_1() {
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        ("/Risk", Value::Null, "UK.OBIE.Field.Missing", "Risk"),
        (
            "/Data/Initiation/InstructedAmount/Amount",
            json!("0.00"),
            "UK.OBIE.Field.Invalid",
            "Data.Initiation.InstructedAmount.Amount",
        ),
        (
            "/Data/Initiation/InstructedAmount/Amount",
            json!("1.123456"),
            "UK.OBIE.Field.Invalid",
            "Data.Initiation.InstructedAmount.Amount",
        ),
        (
            "/Data/Initiation/InstructedAmount/Amount",
            json!(12),
            "UK.OBIE.Field.Invalid",
            "Data.Initiation.InstructedAmount.Amount",
        ),
        (
            "/Data/Initiation/InstructedAmount/Currency",
            json!("gbp"),
            "UK.OBIE.Field.Invalid",
            "Data.Initiation.InstructedAmount.Currency",
        ),
        (
            "/Data/Initiation/CreditorAccount/Name",
            Value::Null,
            "UK.OBIE.Field.Missing",
            "Data.Initiation.CreditorAccount.Name",
        ),
        (
            "/Data/Initiation/InstructionIdentification",
            json!("x".repeat(36)),
            "UK.OBIE.Field.Invalid",
            "Data.Initiation.InstructionIdentification",
        ),
        (
            "/Data/Initiation/RemittanceInformation/Reference",
            json!(""),
            "UK.OBIE.Field.Invalid",
            "Data.Initiation.RemittanceInformation.Reference",
        ),
        (
            "/Data/Initiation/CreditorAccount",
            json!("08080021325698"),
            "UK.OBIE.Field.Invalid",
            "Data.Initiation.CreditorAccount",
        ),
    ];
    for (pointer, value, code, path) in cases {
        let mut body = payment_request();
        let (parent, name) = pointer.rsplit_once('/').unwrap();
        let target = body.pointer_mut(parent).unwrap().as_object_mut().unwrap();
        if value.is_null() {
            target.remove(name);
        } else {
            target.insert(name.to_string(), value);
        }
        let err = parse_domestic_payment(&body).unwrap_err();
        assert_eq!((err.code, err.path.as_deref()), (code, Some(path)), "{pointer}");
    }
}

#[test]
fn account_access_permissions_must_be_known_and_coherent_obie_v3_1() {
    let body = |permissions: Value| json!({"Data": {"Permissions": permissions, "ExpirationDateTime": "2027-05-02T00:00:00+00:00"}, "Risk": {}});
    let access = parse_account_access(&body(json!(["ReadAccountsBasic", "ReadBalances"]))).unwrap();
    assert_eq!(access.permissions, ["ReadAccountsBasic", "ReadBalances"]);
    assert_eq!(access.expiration.as_deref(), Some("2027-05-02T00:00:00+00:00"));
    for bad in [
        json!([]),
        json!(["ReadEverything"]),
        json!(["ReadBalances", "ReadBalances"]),
        json!(["ReadTransactionsBasic"]),
    ] {
        assert_eq!(
            parse_account_access(&body(bad.clone())).unwrap_err().code,
            "UK.OBIE.Field.Invalid",
            "{bad}"
        );
    }
    let mut late = body(json!(["ReadBalances"]));
    late["Data"]["ExpirationDateTime"] = json!("next tuesday");
    assert_eq!(
        parse_account_access(&late).unwrap_err().code,
        "UK.OBIE.Field.InvalidDate"
    );
}

#[test]
fn consent_ids_depend_on_the_client_and_the_idempotency_key() {
    let a = consent_id("pdc-", "client-a", "key-1");
    assert_eq!(a, consent_id("pdc-", "client-a", "key-1"));
    assert_ne!(a, consent_id("pdc-", "client-b", "key-1"));
    assert_ne!(a, consent_id("pdc-", "client-a", "key-2"));
    assert!(a.starts_with("pdc-") && a.len() == 4 + 22, "{a}");
}

pub(crate) async fn repo() -> (tempfile::TempDir, Repo) {
    use crate::store::embedded::{EmbeddedBackend, EmbeddedOptions};
    use crate::store::kv::Store;
    let dir = tempfile::tempdir().unwrap();
    let backend = std::sync::Arc::new(EmbeddedBackend::open(dir.path(), EmbeddedOptions::default()).unwrap());
    let repo = Repo::open(Store::new(backend)).await.unwrap();
    (dir, repo)
}

/// A domestic payment consent of `client_id` made from `body`, awaiting
/// authorisation.
pub(crate) fn consent(client_id: &str, body: &Value) -> Consent {
    Consent {
        consent_id: consent_id("pdc-", client_id, "key-1"),
        client_id: client_id.into(),
        kind: ConsentKind::DomesticPayment(Box::new(parse_domestic_payment(body).unwrap())),
        status: ConsentStatus::AwaitingAuthorisation,
        created_at: 100,
        status_updated_at: 100,
        risk: body["Risk"].to_string(),
        request_digest: request_digest(body),
        account_id: None,
        grant_id: None,
    }
}

/// Store lifetimes for the tests: 1 hour awaiting, 1 day after.
const LIFE: Lifetimes = Lifetimes {
    awaiting_secs: 3_600,
    retention_secs: 86_400,
};

/// A consent never authorised lapses after its awaiting lifetime (time
/// moved by hand): invisible at once, deleted by the sweeper; one that
/// moved on is kept for the retention lifetime from its status change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_awaiting_consent_lapses_and_a_decided_one_is_retained() {
    let (_dir, repo) = repo().await;
    let awaiting = consent_id("pdc-", "client-a", "key-1");
    create(
        &repo,
        &awaiting,
        &consent("client-a", &payment_request()),
        LIFE,
        100,
    )
    .await
    .unwrap();
    // A retry does not extend the lifetime.
    create(
        &repo,
        &awaiting,
        &consent("client-a", &payment_request()),
        LIFE,
        3_000,
    )
    .await
    .unwrap();
    let decided = consent_id("pdc-", "client-a", "key-2");
    create(
        &repo,
        &decided,
        &consent("client-a", &payment_request()),
        LIFE,
        100,
    )
    .await
    .unwrap();
    apply(
        &repo,
        &decided,
        "client-a",
        ConsentEvent::Approve,
        (3_000, LIFE),
        |_| {},
    )
    .await
    .unwrap();
    assert!(find_for_client(&repo, &awaiting, "client-a", 3_699).await.is_ok());
    assert_eq!(
        find_for_client(&repo, &awaiting, "client-a", 3_700)
            .await
            .unwrap_err()
            .code,
        "UK.OBIE.Resource.NotFound"
    );
    assert!(find_for_client(&repo, &decided, "client-a", 3_700).await.is_ok());
    assert_eq!(repo.sweep_all_expired(3_700 + 60).await.unwrap(), 1);
    assert!(
        repo.find::<Consent>(&awaiting, 0).await.unwrap().is_none(),
        "swept"
    );
    // Retained a day from its approval, then gone too.
    assert!(
        find_for_client(&repo, &decided, "client-a", 3_000 + 86_399)
            .await
            .is_ok()
    );
    assert_eq!(repo.sweep_all_expired(3_000 + 86_400 + 60).await.unwrap(), 1);
    assert!(repo.find::<Consent>(&decided, 0).await.unwrap().is_none());
}

/// OBIE "Idempotency": a retry with the same key and body gets the same
/// consent (even after it moved on), the same key with another body is
/// refused; concurrent retries create one consent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_is_idempotent_by_key_and_body() {
    let (_dir, repo) = repo().await;
    let body = payment_request();
    let id = consent_id("pdc-", "client-a", "key-1");
    let first = consent("client-a", &body);
    let attempts = (0..8).map(|_| {
        let (repo, id, first) = (repo.clone(), id.clone(), first.clone());
        tokio::spawn(async move { create(&repo, &id, &first, LIFE, 100).await })
    });
    let mut stored_by = 0;
    for attempt in attempts {
        let (found, created) = attempt.await.unwrap().unwrap();
        assert_eq!(found, first);
        stored_by += usize::from(created);
    }
    assert_eq!(stored_by, 1, "exactly one of the concurrent creations stores it");
    let mut other = payment_request();
    other["Data"]["Initiation"]["InstructedAmount"]["Amount"] = json!("999.00");
    let err = create(&repo, &id, &consent("client-a", &other), LIFE, 101)
        .await
        .unwrap_err();
    assert_eq!(err.code, "UK.OBIE.Resource.ConsentMismatch");

    let approved = apply(&repo, &id, "client-a", ConsentEvent::Approve, (102, LIFE), |c| {
        c.account_id = Some("alice".into())
    })
    .await
    .unwrap();
    assert_eq!(approved.status, ConsentStatus::Authorised);
    assert_eq!(
        create(&repo, &id, &first, LIFE, 103).await.unwrap(),
        (approved, false)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_creating_client_sees_or_moves_a_consent() {
    let (_dir, repo) = repo().await;
    let id = consent_id("pdc-", "client-a", "key-1");
    create(&repo, &id, &consent("client-a", &payment_request()), LIFE, 100)
        .await
        .unwrap();
    assert_eq!(
        find_for_client(&repo, &id, "client-b", 100)
            .await
            .unwrap_err()
            .code,
        "UK.OBIE.Resource.NotFound"
    );
    let err = apply(&repo, &id, "client-b", ConsentEvent::Revoke, (100, LIFE), |_| {})
        .await
        .unwrap_err();
    assert_eq!(err.code, "UK.OBIE.Resource.NotFound");
    let err = apply(&repo, &id, "client-a", ConsentEvent::Consume, (100, LIFE), |_| {})
        .await
        .unwrap_err();
    assert_eq!(err.code, "UK.OBIE.Resource.InvalidConsentStatus");
    assert_eq!(
        find_for_client(&repo, &id, "client-a", 100).await.unwrap().status,
        ConsentStatus::AwaitingAuthorisation
    );
}
