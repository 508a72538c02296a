//! With RFC 9068 JWT access tokens (`[gateway.op] token_validation =
//! "jwt"`) the gateway sees no introspection answer: the token's claims
//! carry its UK OBIE consent (`openbanking_consent`), and the gateway and
//! the bank enforce it as with introspection (RFC 9396 §9; OBIE Account and
//! Transaction API v3.1 "Permissions", "Account Access Consents"; Payment
//! Initiation API v3.1 "Domestic Payment Consents"). Over real mTLS.

use super::super::flow::harness::*;
use super::super::gateway::rig::payment_post;
use super::super::support::{get, json};
use super::intent::{consent_request, obie_error, submission};
use super::rig::*;
use bytes::Bytes;
use fiducia::sandbox::bank::response::rfc3339;
use fiducia::sandbox::bank::{amount, sample_iban};
use http::Response;
use serde_json::{Value, json};
use std::time::Duration;

const JWT: &str = "token_validation = \"jwt\"";
const AIS: &str = "/open-banking/v3.1/aisp/accounts";
const ACCESS_CONSENTS: &str = "/open-banking/v3.1/aisp/account-access-consents";
const PAYMENT_CONSENTS: &str = "/open-banking/v3.1/pisp/domestic-payment-consents";

/// A consent of [`JWT_MTLS`] at `collection` (client_credentials token for
/// `scope`); its id.
async fn create(rig: &BankRig, collection: &str, scope: &str, key: &str, body: &Value) -> String {
    let request = form(
        "/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", JWT_MTLS),
            ("scope", scope),
        ],
    );
    let response = rig.op.send(true, request).await;
    assert_status(&response, 200);
    let cc = json(response.body())["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let request = http::Request::post(format!("{ISSUER}{collection}"))
        .header("authorization", format!("Bearer {cc}"))
        .header("content-type", "application/json")
        .header("x-idempotency-key", key)
        .body(http_body_util::Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let response = rig.op.send(true, request).await;
    assert_status(&response, 201);
    json(response.body())["Data"]["ConsentId"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Alice authorises consent `intent` for [`JWT_MTLS`] in `browser`; the
/// certificate-bound JWT access token.
async fn authorised(rig: &BankRig, intent: &str, scope: &str, browser: &mut Browser) -> String {
    let (verifier, challenge) = pkce();
    let claims =
        json!({"id_token": {"openbanking_intent_id": {"value": intent, "essential": true}}}).to_string();
    let request = form(
        "/par",
        &[
            ("client_id", JWT_MTLS),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", scope),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("claims", &claims),
        ],
    );
    let response = rig.op.send(true, request).await;
    assert_status(&response, 201);
    let request_uri = json(response.body())["request_uri"].as_str().unwrap().to_string();
    let redirect = browser.authorize(&rig.op, JWT_MTLS, &request_uri, true).await;
    let code = query_param(&redirect, "code").unwrap_or_else(|| panic!("no code: {redirect}"));
    let request = form(
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
            ("client_id", JWT_MTLS),
        ],
    );
    let response = rig.op.send(true, request).await;
    assert_status(&response, 200);
    let token = json(response.body())["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(token.split('.').count(), 3, "a JWT access token");
    token
}

async fn bearer(rig: &BankRig, token: &str, path: &str) -> Response<Bytes> {
    rig.call(with_header(
        get(path),
        "authorization",
        &format!("Bearer {token}"),
    ))
    .await
}

/// OBIE "Permissions" and "ExpirationDateTime" with a JWT access token:
/// with `ReadAccountsBasic` alone the accounts are read, their balances
/// and transactions are not (403 `UK.OBIE.Resource.ConsentMismatch`), and
/// once the consent expires the gateway refuses the token (401) though
/// the JWT itself has not expired.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_access_tokens_are_bound_by_their_obie_account_access_consent() {
    let rig = BankRig::start_with(JWT).await;
    let expiration = now() + 10;
    let body = json!({"Data": {"Permissions": ["ReadAccountsBasic"],
        "ExpirationDateTime": rfc3339(expiration)}, "Risk": {}});
    let intent = create(&rig, ACCESS_CONSENTS, "accounts", "jwt-access-1", &body).await;
    let token = authorised(&rig, &intent, "openid accounts", &mut Browser::new()).await;

    assert_status(&bearer(&rig, &token, AIS).await, 200);
    for resource in ["balances", "transactions"] {
        let response = bearer(&rig, &token, &format!("{AIS}/{ALICE_EUR}/{resource}")).await;
        assert_eq!(response.status(), 403, "{resource}");
        assert_eq!(
            obie_error(&response),
            "UK.OBIE.Resource.ConsentMismatch",
            "{resource}"
        );
    }

    while now() <= expiration {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let response = bearer(&rig, &token, AIS).await;
    assert_status(&response, 401);
    rig.shutdown().await;
}

/// OBIE "Domestic Payment Consents" with a JWT access token: Alice picks
/// her savings account on the consent page; a submission naming her
/// current account is refused (403 `UK.OBIE.Resource.ConsentMismatch`)
/// and moves nothing; one leaving the debtor out debits the savings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_access_tokens_pay_only_from_the_account_the_customer_picked() {
    let rig = BankRig::start_with(JWT).await;
    let savings = sample_iban(3);
    let intent = create(
        &rig,
        PAYMENT_CONSENTS,
        "payments",
        "jwt-pay-1",
        &consent_request("20.00"),
    )
    .await;
    let mut browser = Browser::new();
    browser.debtor_choice = Some(savings.clone());
    let token = authorised(&rig, &intent, "openid payments", &mut browser).await;
    let submit = |body: Value, key: &'static str| {
        let request = payment_post(&body, &format!("Bearer {token}"), None);
        rig.call(with_header(request, "x-idempotency-key", key))
    };

    let consented = consent_request("20.00")["Data"]["Initiation"].clone();
    let mut from_current = consented.clone();
    from_current["DebtorAccount"] = json!({"SchemeName": "UK.OBIE.IBAN", "Identification": sample_iban(1)});
    let response = submit(submission(&intent, &from_current), "jwt-key-1").await;
    assert_eq!(response.status(), 403, "{:?}", response.body());
    assert_eq!(obie_error(&response), "UK.OBIE.Resource.ConsentMismatch");
    let ledger = rig.bank.ledger.snapshot();
    assert_eq!(
        ledger.accounts[ALICE_EUR].balance,
        amount::parse(OPENING).unwrap()
    );

    let response = submit(submission(&intent, &consented), "jwt-key-2").await;
    assert_status(&response, 201);
    let ledger = rig.bank.ledger.snapshot();
    assert_eq!(
        ledger.accounts[ALICE_SAVINGS].balance,
        amount::parse("80.00").unwrap()
    );
    assert_eq!(
        ledger.accounts[ALICE_EUR].balance,
        amount::parse(OPENING).unwrap()
    );
    rig.shutdown().await;
}
