//! UK OBIE consents authorised in the FAPI flow over real mTLS: the
//! authorization request names the consent as the essential claim
//! `openbanking_intent_id` (OIDC Core §5.5), the consent page shows the
//! payment, approval makes it Authorised and bound to the customer, the ID
//! token and introspection name it; a denied consent ends Rejected with no
//! code; a consent that no longer awaits authorisation, or another
//! client's, is refused at PAR; a withdrawn consent kills its tokens.

use super::super::support::json;
use super::consents::{ACCOUNTS, PAYMENTS, api, cc_token, payment_request};
use super::gateway::gateway_introspection_of;
use super::harness::*;
use serde_json::json;

/// A consent of the mTLS client at `collection` created with `body`; its id.
pub async fn create_consent(
    op: &Op,
    collection: &str,
    scope: &str,
    key: &str,
    body: &serde_json::Value,
) -> String {
    let token = cc_token(op, scope).await;
    let response = op
        .send(true, api("POST", collection, &token, Some(key), Some(body)))
        .await;
    assert_status(&response, 201);
    json(response.body())["Data"]["ConsentId"]
        .as_str()
        .unwrap()
        .to_string()
}

pub async fn consent_status(op: &Op, item: &str, scope: &str) -> String {
    let token = cc_token(op, scope).await;
    let response = op.send(true, api("GET", item, &token, None, None)).await;
    json(response.body())["Data"]["Status"]
        .as_str()
        .unwrap()
        .to_string()
}

/// PAR of `client` (mTLS) asking to authorise consent `intent`.
pub async fn push_with_intent(
    op: &Op,
    challenge: &str,
    scope: &str,
    intent: &str,
) -> http::Response<bytes::Bytes> {
    let claims =
        json!({"id_token": {"openbanking_intent_id": {"value": intent, "essential": true}}}).to_string();
    let request = form(
        "/par",
        &[
            ("client_id", MTLS),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", scope),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
            ("claims", &claims),
        ],
    );
    op.send(true, request).await
}

pub async fn tokens_for_code(op: &Op, code: &str, verifier: &str) -> serde_json::Value {
    let request = form(
        "/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
            ("client_id", MTLS),
        ],
    );
    let response = op.send(true, request).await;
    assert_status(&response, 200);
    json(response.body())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_payment_consent_is_named_in_the_id_token_and_introspection() {
    let op = Op::start().await;
    let intent = create_consent(&op, PAYMENTS, "payments", "order-1", &payment_request("165.88")).await;
    let (verifier, challenge) = pkce();
    let response = push_with_intent(&op, &challenge, "openid payments", &intent).await;
    assert_status(&response, 201);
    let request_uri = json(response.body())["request_uri"].as_str().unwrap().to_string();
    let mut browser = Browser::new();
    let redirect = browser.authorize(&op, MTLS, &request_uri, true).await;
    let html = browser.consent_html.take().unwrap();
    for shown in ["165.88 GBP", "ACME Inc", "08080021325698"] {
        assert!(html.contains(shown), "consent page lacks {shown}: {html}");
    }
    let code = query_param(&redirect, "code").unwrap_or_else(|| panic!("no code: {redirect}"));
    let tokens = tokens_for_code(&op, &code, &verifier).await;
    let claims = super::verify_id_token(&op, tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["openbanking_intent_id"], intent.as_str());
    let introspected = gateway_introspection_of(&op, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(introspected["active"], true);
    assert_eq!(introspected["openbanking_intent_id"], intent.as_str());
    assert_eq!(
        consent_status(&op, &format!("{PAYMENTS}/{intent}"), "payments").await,
        "Authorised"
    );

    // Authorised: no second authorization of it.
    let again = push_with_intent(&op, &challenge, "openid payments", &intent).await;
    assert_eq!(again.status(), 400);
    assert_eq!(json(again.body())["error"], "invalid_request");
    op.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_consent_ends_rejected_and_an_unknown_one_is_refused() {
    let op = Op::start().await;
    let intent = create_consent(&op, PAYMENTS, "payments", "order-2", &payment_request("10.00")).await;
    let (_, challenge) = pkce();
    let response = push_with_intent(&op, &challenge, "openid payments", &intent).await;
    assert_status(&response, 201);
    let request_uri = json(response.body())["request_uri"].as_str().unwrap().to_string();
    let redirect = Browser::new().authorize(&op, MTLS, &request_uri, false).await;
    assert_eq!(query_param(&redirect, "error").as_deref(), Some("access_denied"));
    assert_eq!(query_param(&redirect, "code"), None);
    assert_eq!(
        consent_status(&op, &format!("{PAYMENTS}/{intent}"), "payments").await,
        "Rejected"
    );

    // A consent id this client does not have (here: made up) is refused.
    let response = push_with_intent(&op, &challenge, "openid payments", "pdc-not-a-consent").await;
    assert_eq!(response.status(), 400);
    assert!(
        json(response.body())["error_description"]
            .as_str()
            .unwrap()
            .contains("no consent of this client")
    );
    // Another client's consent is as unknown as a missing one.
    let other = create_consent(&op, PAYMENTS, "payments", "order-3", &payment_request("11.00")).await;
    let claims =
        json!({"id_token": {"openbanking_intent_id": {"value": other, "essential": true}}}).to_string();
    let assertion = op.assertion(PKJWT, json!({})).await;
    let response = op
        .send(false, pkjwt_par(&assertion, &challenge, &[("claims", &claims)]))
        .await;
    assert_status(&response, 400);
    assert!(
        json(response.body())["error_description"]
            .as_str()
            .unwrap()
            .contains("no consent of this client")
    );
    op.handle.shutdown().await;
}

/// OBIE Account and Transaction API: withdrawing an authorised account
/// access consent (DELETE) revokes its tokens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawn_account_access_consent_kills_its_tokens() {
    let op = Op::start().await;
    let body = json!({"Data": {"Permissions": ["ReadAccountsBasic", "ReadBalances"]}, "Risk": {}});
    let intent = create_consent(&op, ACCOUNTS, "accounts", "access-1", &body).await;
    let (verifier, challenge) = pkce();
    let response = push_with_intent(&op, &challenge, "openid accounts", &intent).await;
    assert_status(&response, 201);
    let request_uri = json(response.body())["request_uri"].as_str().unwrap().to_string();
    let redirect = Browser::new().authorize(&op, MTLS, &request_uri, true).await;
    let code = query_param(&redirect, "code").unwrap();
    let tokens = tokens_for_code(&op, &code, &verifier).await;
    let access_token = tokens["access_token"].as_str().unwrap();
    assert_eq!(gateway_introspection_of(&op, access_token).await["active"], true);

    let token = cc_token(&op, "accounts").await;
    let item = format!("{ACCOUNTS}/{intent}");
    assert_eq!(
        op.send(true, api("DELETE", &item, &token, None, None))
            .await
            .status(),
        204
    );
    assert_eq!(gateway_introspection_of(&op, access_token).await["active"], false);
    op.handle.shutdown().await;
}
