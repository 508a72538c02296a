//! OBIE Account and Transaction API v3.1, "Account Access Consents": the
//! `ExpirationDateTime` ends the permissions and `TransactionFromDateTime`
//! / `TransactionToDateTime` bound the transactions read. Enforced over
//! real mTLS at the consent API, at PAR, at introspection, at the gateway
//! and at the bank API.

use super::super::flow::consents::{ACCOUNTS as ACCESS_CONSENTS, api, cc_token};
use super::super::flow::gateway::gateway_introspection_of;
use super::super::flow::harness::*;
use super::super::flow::obie_intent::{create_consent, push_with_intent, tokens_for_code};
use super::super::support::*;
use super::consented::{access_token, bearer_get, book_a_credit_and_a_debit};
use super::intent::obie_error;
use super::rig::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fiducia::sandbox::bank::response::rfc3339;
use serde_json::{Value, json};
use std::time::Duration;

const AIS: &str = "/open-banking/v3.1/aisp/accounts";

fn access_request(expiration: u64) -> Value {
    json!({"Data": {"Permissions": ["ReadAccountsBasic", "ReadBalances"],
        "ExpirationDateTime": rfc3339(expiration)}, "Risk": {}})
}

/// Sleeps until the clock has passed `at` (unix seconds).
async fn wait_past(at: u64) {
    while now() <= at {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A consent whose `ExpirationDateTime` has passed is refused when it is
/// created (400 `UK.OBIE.Field.InvalidDate`) and, once it passed after
/// creation, at PAR (400 `invalid_request`): it can no longer be
/// authorised.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_account_access_consent_is_refused_at_creation_and_at_par() {
    let rig = BankRig::start().await;
    let cc = cc_token(&rig.op, "accounts").await;
    let past = access_request(now() - 60);
    let response = rig
        .op
        .send(
            true,
            api("POST", ACCESS_CONSENTS, &cc, Some("expired-1"), Some(&past)),
        )
        .await;
    assert_status(&response, 400);
    assert_eq!(obie_error(&response), "UK.OBIE.Field.InvalidDate");

    let expiration = now() + 2;
    let intent = create_consent(
        &rig.op,
        ACCESS_CONSENTS,
        "accounts",
        "expiring-1",
        &access_request(expiration),
    )
    .await;
    wait_past(expiration).await;
    let (_, challenge) = pkce();
    let response = push_with_intent(&rig.op, &challenge, "openid accounts", &intent).await;
    assert_status(&response, 400);
    let body = json(response.body());
    assert_eq!(body["error"], "invalid_request", "{body}");
    rig.shutdown().await;
}

/// Once the consent's `ExpirationDateTime` passes, its token introspects
/// inactive (RFC 7662 §2.2), the gateway refuses it although it cached the
/// active answer (401), its refresh token gets no new token (RFC 6749 §5.2
/// `invalid_grant`), and the bank API refuses a call whose consent has
/// expired (403 `UK.OBIE.Resource.InvalidConsentStatus`) even when the
/// gateway's headers carry it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_consents_token_is_dead_at_introspection_gateway_and_bank() {
    let rig = BankRig::start().await;
    let expiration = now() + 8;
    let intent = create_consent(
        &rig.op,
        ACCESS_CONSENTS,
        "accounts",
        "expiring-2",
        &access_request(expiration),
    )
    .await;
    let (verifier, challenge) = pkce();
    let response = push_with_intent(&rig.op, &challenge, "openid accounts offline_access", &intent).await;
    let request_uri = json(response.body())["request_uri"].as_str().unwrap().to_string();
    let redirect = Browser::new().authorize(&rig.op, MTLS, &request_uri, true).await;
    let code = query_param(&redirect, "code").unwrap();
    let tokens = tokens_for_code(&rig.op, &code, &verifier).await;
    let token = tokens["access_token"].as_str().unwrap().to_string();
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_string();
    let balances = format!("{AIS}/{ALICE_EUR}/balances");
    assert_status(&bearer_get(&rig, &token, &balances).await, 200);
    let introspected = gateway_introspection_of(&rig.op, &token).await;
    assert_eq!(introspected["active"], true);
    let consent = introspected["openbanking_consent"].clone();
    assert_eq!(consent["ExpirationDateTime"], rfc3339(expiration));

    wait_past(expiration).await;
    assert_eq!(gateway_introspection_of(&rig.op, &token).await["active"], false);
    let response = bearer_get(&rig, &token, &balances).await;
    assert_status(&response, 401);
    let refresh = form(
        "/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_token),
            ("client_id", MTLS),
        ],
    );
    let response = rig.op.send(true, refresh).await;
    assert_status(&response, 400);
    assert_eq!(json(response.body())["error"], "invalid_grant");

    // The bank API itself, called by the gateway's certificate with the
    // consent as the gateway would forward it.
    let pki = &rig.op.pki;
    let gateway_cert = pki.path(&format!("clients/{GATEWAY}.pem"));
    let gateway_key = pki.path(&format!("clients/{GATEWAY}.key"));
    let as_gateway = client_tls_files(&pki.ca(), Some((&gateway_cert, &gateway_key)));
    let request = with_header(get(&balances), "x-fiducia-client-id", MTLS);
    let request = with_header(request, "x-fiducia-customer", "acc-alice-1");
    let request = with_header(request, "x-fiducia-scope", "openid accounts");
    let encoded = URL_SAFE_NO_PAD.encode(consent.to_string());
    let request = with_header(request, "x-fiducia-openbanking-consent", &encoded);
    let response = send(rig.bank.addr, as_gateway, Version::Http2, request).await;
    assert_status(&response, 403);
    assert_eq!(obie_error(&response), "UK.OBIE.Resource.InvalidConsentStatus");
    rig.shutdown().await;
}

/// OBIE "Account Access Consents": transactions booked outside
/// `TransactionFromDateTime`..`TransactionToDateTime` are not shown; inside
/// the range they are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transactions_outside_the_consented_range_are_not_shown() {
    let rig = BankRig::start().await;
    book_a_credit_and_a_debit(&rig);
    let transactions = format!("{AIS}/{ALICE_EUR}/transactions");
    let permissions = [
        "ReadTransactionsDetail",
        "ReadTransactionsCredits",
        "ReadTransactionsDebits",
    ];
    let booked = now();
    let old = access_token(
        &rig,
        "access-old",
        &permissions,
        json!({"TransactionFromDateTime": "2020-01-01T00:00:00Z", "TransactionToDateTime": rfc3339(booked - 3600)}),
    )
    .await;
    let response = bearer_get(&rig, &old, &transactions).await;
    assert_status(&response, 200);
    assert_eq!(json(response.body())["Data"]["Transaction"], json!([]));

    let recent = access_token(
        &rig,
        "access-recent",
        &permissions,
        json!({"TransactionFromDateTime": rfc3339(booked - 3600), "TransactionToDateTime": rfc3339(booked + 3600)}),
    )
    .await;
    let response = bearer_get(&rig, &recent, &transactions).await;
    let shown = json(response.body())["Data"]["Transaction"].clone();
    assert_eq!(shown.as_array().map(Vec::len), Some(2), "{shown}");
    rig.shutdown().await;
}
