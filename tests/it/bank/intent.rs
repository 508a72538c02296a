//! A UK OBIE domestic payment consent end to end over real mTLS: created
//! at the OP's consent API, authorised by Alice in the FAPI flow
//! (`openbanking_intent_id`, OIDC Core §5.5), submitted through the gateway
//! with a certificate-bound token (RFC 8705 §3) into the bank's ledger.

use super::super::flow::consents::{PAYMENTS as PAYMENT_CONSENTS, api, cc_token};
use super::super::flow::gateway::gateway_introspection_of;
use super::super::flow::harness::*;
use super::super::flow::obie_intent::{consent_status, create_consent, push_with_intent, tokens_for_code};
use super::super::flow::rar::IBAN;
use super::super::gateway::rig::payment_post;
use super::super::support::{get, json};
use super::rig::*;
use bytes::Bytes;
use http::Response;
use serde_json::{Value, json};

/// A consent request for `amount` EUR to the RFC 9396 example IBAN,
/// leaving the debtor account to the bank.
pub fn consent_request(amount: &str) -> Value {
    json!({
        "Data": {"Initiation": {
            "InstructionIdentification": "INSTR-7",
            "EndToEndIdentification": "E2E-7",
            "InstructedAmount": {"Amount": amount, "Currency": "EUR"},
            "CreditorAccount": {"SchemeName": "UK.OBIE.IBAN", "Identification": IBAN, "Name": "Merchant A"},
            "RemittanceInformation": {"Reference": "Invoice 7"}
        }},
        "Risk": {"PaymentContextCode": "EcommerceGoods"}
    })
}

/// The submission of consent `consent_id` with `initiation`.
pub fn submission(consent_id: &str, initiation: &Value) -> Value {
    json!({"Data": {"ConsentId": consent_id, "Initiation": initiation}, "Risk": {"PaymentContextCode": "EcommerceGoods"}})
}

/// Alice authorises payment consent `intent` for the mTLS fintech; its
/// certificate-bound access token.
async fn authorised_token(rig: &BankRig, intent: &str) -> String {
    authorised_token_from(rig, intent, "openid payments", &mut Browser::new()).await
}

/// The same for a consent asked with `scope`, in `browser` (which may pick
/// the account to pay from).
pub async fn authorised_token_from(
    rig: &BankRig,
    intent: &str,
    scope: &str,
    browser: &mut Browser,
) -> String {
    let (verifier, challenge) = pkce();
    let response = push_with_intent(&rig.op, &challenge, scope, intent).await;
    assert_status(&response, 201);
    let request_uri = json(response.body())["request_uri"].as_str().unwrap().to_string();
    let redirect = browser.authorize(&rig.op, MTLS, &request_uri, true).await;
    let code = query_param(&redirect, "code").unwrap_or_else(|| panic!("no code: {redirect}"));
    let tokens = tokens_for_code(&rig.op, &code, &verifier).await;
    tokens["access_token"].as_str().unwrap().to_string()
}

async fn submit(rig: &BankRig, token: &str, body: &Value, key: &str) -> Response<Bytes> {
    let request = payment_post(body, &format!("Bearer {token}"), None);
    rig.call(with_header(request, "x-idempotency-key", key)).await
}

pub fn obie_error(response: &Response<Bytes>) -> Value {
    json(response.body())["Errors"][0]["ErrorCode"].clone()
}

/// OBIE Payment Initiation API v3.1: the submission must name the consent
/// and repeat its Initiation (another amount, creditor or ConsentId is 403
/// `UK.OBIE.Resource.ConsentMismatch`); the consented one moves the money,
/// the consent becomes Consumed, the token is dead at the OP and refused at
/// the gateway, and nothing moves twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorised_payment_consent_pays_once_and_ends_consumed() {
    let rig = BankRig::start().await;
    let reader = DpopKey::new();
    let read_token = rig.token(READER, &reader, "openid accounts", false).await;
    let balance_path = format!("/open-banking/v3.1/aisp/accounts/{ALICE_EUR}/balances");
    let balance = || async {
        let response = rig.dpop_get(&reader, &read_token, &balance_path).await;
        assert_status(&response, 200);
        json(response.body())["Data"]["Balance"][0]["Amount"]["Amount"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(balance().await, OPENING);

    let intent = create_consent(
        &rig.op,
        PAYMENT_CONSENTS,
        "payments",
        "order-7",
        &consent_request("20.00"),
    )
    .await;
    let token = authorised_token(&rig, &intent).await;
    let introspected = gateway_introspection_of(&rig.op, &token).await;
    assert_eq!(introspected["openbanking_intent_id"], intent.as_str());
    let consented = consent_request("20.00")["Data"]["Initiation"].clone();

    let mut more = consented.clone();
    more["InstructedAmount"]["Amount"] = "21.00".into();
    let mut elsewhere = consented.clone();
    elsewhere["CreditorAccount"]["Identification"] = "GB33BUKB20201555555555".into();
    for (case, body) in [
        ("amount", submission(&intent, &more)),
        ("creditor", submission(&intent, &elsewhere)),
        ("consent id", submission("pdc-another", &consented)),
    ] {
        let response = submit(&rig, &token, &body, "key-x").await;
        assert_eq!(response.status(), 403, "{case}");
        assert_eq!(
            obie_error(&response),
            "UK.OBIE.Resource.ConsentMismatch",
            "{case}"
        );
    }
    assert_eq!(balance().await, OPENING, "nothing moved");

    let response = submit(&rig, &token, &submission(&intent, &consented), "key-1").await;
    assert_status(&response, 201);
    assert_eq!(json(response.body())["Data"]["ConsentId"], intent.as_str());
    assert_eq!(balance().await, "280.00");
    let item = format!("{PAYMENT_CONSENTS}/{intent}");
    assert_eq!(consent_status(&rig.op, &item, "payments").await, "Consumed");
    assert_eq!(gateway_introspection_of(&rig.op, &token).await["active"], false);

    // The same token again, as a retry or a new payment: refused, nothing moves.
    for key in ["key-1", "key-2"] {
        let response = submit(&rig, &token, &submission(&intent, &consented), key).await;
        assert_status(&response, 401);
    }
    assert_eq!(balance().await, "280.00");
    // A consumed consent allows no new grant.
    let (_, challenge) = pkce();
    let again = push_with_intent(&rig.op, &challenge, "openid payments", &intent).await;
    assert_status(&again, 400);
    rig.shutdown().await;
}

/// OBIE Account and Transaction API v3.1: a withdrawn account access
/// consent's token stops working at the gateway (its cache entry lives at
/// most `cache_ttl_secs`, 1 s here).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_account_access_consent_kills_its_token_at_the_gateway() {
    let rig = BankRig::start_with("cache_ttl_secs = 1").await;
    let body = json!({"Data": {"Permissions": ["ReadAccountsBasic", "ReadBalances"]}, "Risk": {}});
    let collection = "/open-banking/v3.1/aisp/account-access-consents";
    let intent = create_consent(&rig.op, collection, "accounts", "access-7", &body).await;
    let token = authorised_token_from(&rig, &intent, "openid accounts", &mut Browser::new()).await;
    let read = || {
        let request = get("/open-banking/v3.1/aisp/accounts");
        rig.call(with_header(request, "authorization", &format!("Bearer {token}")))
    };
    let response = read().await;
    assert_status(&response, 200);
    assert_eq!(
        json(response.body())["Data"]["Account"][0]["AccountId"],
        ALICE_EUR
    );

    let cc = cc_token(&rig.op, "accounts").await;
    let withdraw = rig
        .op
        .send(
            true,
            api("DELETE", &format!("{collection}/{intent}"), &cc, None, None),
        )
        .await;
    assert_status(&withdraw, 204);
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let response = read().await;
    assert_status(&response, 401);
    assert_eq!(obie_error(&response), "UK.OBIE.Header.Invalid");
    rig.shutdown().await;
}

/// OBIE "Domestic Payment Consents": without a `DebtorAccount` the customer
/// selects the account at the bank. The consent page offers Alice's EUR
/// accounts (not her GBP one), her choice is stored in the consent (GET
/// shows it), and the payment debits that account; a choice that was not
/// offered is refused and leaves the consent awaiting authorisation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_customer_picks_the_account_a_payment_leaves_from() {
    let rig = BankRig::start().await;
    let savings = fiducia::sandbox::bank::sample_iban(3);
    let intent = create_consent(
        &rig.op,
        PAYMENT_CONSENTS,
        "payments",
        "order-8",
        &consent_request("20.00"),
    )
    .await;

    // The page offers her EUR accounts only; a choice it did not offer is
    // refused and decides nothing.
    let (_, challenge) = pkce();
    let response = push_with_intent(&rig.op, &challenge, "openid payments", &intent).await;
    let request_uri = json(response.body())["request_uri"].as_str().unwrap().to_string();
    let mut forger = Browser::new();
    let (consent_path, page) = forger.consent_page(&rig.op, MTLS, &request_uri).await;
    for offered in [bank_iban(1), savings.clone()] {
        assert!(page.contains(&offered), "{offered} not offered: {page}");
    }
    assert!(
        !page.contains(&bank_iban(2)),
        "a GBP account was offered for a EUR payment"
    );
    let csrf = hidden_field(&page, "csrf");
    let forged = [
        ("decision", "approve"),
        ("csrf", csrf.as_str()),
        ("debtor_account", "GB00NOTALICES"),
    ];
    assert_status(&forger.post(&rig.op, &consent_path, &forged).await, 400);
    let unchosen = [("decision", "approve"), ("csrf", csrf.as_str())];
    assert_status(&forger.post(&rig.op, &consent_path, &unchosen).await, 400);
    let item = format!("{PAYMENT_CONSENTS}/{intent}");
    assert_eq!(
        consent_status(&rig.op, &item, "payments").await,
        "AwaitingAuthorisation"
    );

    let mut browser = Browser::new();
    browser.debtor_choice = Some(savings.clone());
    let token = authorised_token_from(&rig, &intent, "openid payments", &mut browser).await;
    let cc = cc_token(&rig.op, "payments").await;
    let consent = rig.op.send(true, api("GET", &item, &cc, None, None)).await;
    let consent = json(consent.body());
    assert_eq!(consent["Data"]["Status"], "Authorised");
    assert_eq!(
        consent["Data"]["Initiation"]["DebtorAccount"]["Identification"],
        savings.as_str()
    );

    let consented = consent_request("20.00")["Data"]["Initiation"].clone();
    let response = submit(&rig, &token, &submission(&intent, &consented), "key-8").await;
    assert_status(&response, 201);
    let ledger = rig.bank.ledger.snapshot();
    assert_eq!(
        ledger.accounts[ALICE_SAVINGS].balance,
        fiducia::sandbox::bank::amount::parse("80.00").unwrap()
    );
    assert_eq!(
        ledger.accounts[ALICE_EUR].balance,
        fiducia::sandbox::bank::amount::parse(OPENING).unwrap()
    );
    rig.shutdown().await;
}

fn bank_iban(n: u32) -> String {
    fiducia::sandbox::bank::sample_iban(n)
}

/// OBIE Account and Transaction API v3.1, "Permissions": a token authorised
/// under an account access consent reads only what the consent grants —
/// with `ReadAccountsBasic` alone the accounts, not their balances or
/// transactions (403 `UK.OBIE.Resource.ConsentMismatch`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_access_consent_bounds_what_its_token_reads() {
    let rig = BankRig::start().await;
    let body = json!({"Data": {"Permissions": ["ReadAccountsBasic"]}, "Risk": {}});
    let collection = "/open-banking/v3.1/aisp/account-access-consents";
    let intent = create_consent(&rig.op, collection, "accounts", "access-9", &body).await;
    let token = authorised_token_from(&rig, &intent, "openid accounts", &mut Browser::new()).await;
    let read = |path: String| {
        let request = get(&path);
        rig.call(with_header(request, "authorization", &format!("Bearer {token}")))
    };
    let accounts = "/open-banking/v3.1/aisp/accounts".to_string();
    assert_status(&read(accounts.clone()).await, 200);
    assert_status(&read(format!("{accounts}/{ALICE_EUR}")).await, 200);
    for resource in ["balances", "transactions"] {
        let response = read(format!("{accounts}/{ALICE_EUR}/{resource}")).await;
        assert_eq!(response.status(), 403, "{resource}");
        assert_eq!(
            obie_error(&response),
            "UK.OBIE.Resource.ConsentMismatch",
            "{resource}"
        );
    }
    rig.shutdown().await;
}
