//! The consent API (UK OBIE Read/Write API v3.1 payment and account access
//! consents) over real mTLS, with certificate-bound client_credentials
//! tokens (RFC 8705 §3): creation, idempotency, reading, revocation, and
//! the refusals in the OBIE error shape.

use super::super::support::json;
use super::harness::*;
use bytes::Bytes;
use http_body_util::Full;
use serde_json::{Value, json};

pub const PAYMENTS: &str = "/open-banking/v3.1/pisp/domestic-payment-consents";
pub const ACCOUNTS: &str = "/open-banking/v3.1/aisp/account-access-consents";

pub fn payment_request(amount: &str) -> Value {
    json!({
        "Data": {"Initiation": {
            "InstructionIdentification": "ACME412",
            "EndToEndIdentification": "FRESCO.21302.GFX.20",
            "InstructedAmount": {"Amount": amount, "Currency": "GBP"},
            "CreditorAccount": {
                "SchemeName": "UK.OBIE.SortCodeAccountNumber",
                "Identification": "08080021325698",
                "Name": "ACME Inc"
            },
            "RemittanceInformation": {"Reference": "FRESCO-101"}
        }},
        "Risk": {"PaymentContextCode": "EcommerceGoods"}
    })
}

/// A certificate-bound client_credentials token of the mTLS client for `scope`.
pub async fn cc_token(op: &Op, scope: &str) -> String {
    let request = form(
        "/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", MTLS),
            ("scope", scope),
        ],
    );
    let response = op.send(true, request).await;
    assert_status(&response, 200);
    json(response.body())["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

pub fn api(
    method: &str,
    path: &str,
    token: &str,
    key: Option<&str>,
    body: Option<&Value>,
) -> http::Request<Full<Bytes>> {
    let mut builder = http::Request::builder()
        .method(method)
        .uri(format!("{ISSUER}{path}"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json");
    if let Some(key) = key {
        builder = builder.header("x-idempotency-key", key);
    }
    let body = body.map(|b| Bytes::from(b.to_string())).unwrap_or_default();
    builder.body(Full::new(body)).unwrap()
}

/// OBIE v3.1 Payment Initiation API: POST creates an AwaitingAuthorisation
/// consent (201), a retry with the same x-idempotency-key returns the same
/// consent, the same key with another body is refused, and GET reads it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_consent_is_created_once_and_read_back() {
    let op = Op::start().await;
    let token = cc_token(&op, "payments").await;
    let request = payment_request("165.88");
    let created = op
        .send(true, api("POST", PAYMENTS, &token, Some("key-1"), Some(&request)))
        .await;
    assert_status(&created, 201);
    let created = json(created.body());
    let id = created["Data"]["ConsentId"].as_str().unwrap().to_string();
    assert_eq!(created["Data"]["Status"], "AwaitingAuthorisation");
    assert_eq!(created["Data"]["Initiation"], request["Data"]["Initiation"]);
    assert_eq!(created["Risk"], request["Risk"]);
    assert_eq!(created["Links"]["Self"], format!("{ISSUER}{PAYMENTS}/{id}"));

    let retried = op
        .send(true, api("POST", PAYMENTS, &token, Some("key-1"), Some(&request)))
        .await;
    assert_status(&retried, 201);
    assert_eq!(json(retried.body())["Data"]["ConsentId"], id.as_str());

    let reused = op
        .send(
            true,
            api(
                "POST",
                PAYMENTS,
                &token,
                Some("key-1"),
                Some(&payment_request("999.00")),
            ),
        )
        .await;
    assert_eq!(reused.status(), 400);
    assert_eq!(
        json(reused.body())["Errors"][0]["ErrorCode"],
        "UK.OBIE.Resource.ConsentMismatch"
    );

    let read = op
        .send(true, api("GET", &format!("{PAYMENTS}/{id}"), &token, None, None))
        .await;
    assert_status(&read, 200);
    assert_eq!(
        json(read.body())["Data"]["Initiation"]["InstructedAmount"]["Amount"],
        "165.88"
    );
    let unknown = op
        .send(
            true,
            api("GET", &format!("{PAYMENTS}/pdc-nothing"), &token, None, None),
        )
        .await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        json(unknown.body())["Errors"][0]["ErrorCode"],
        "UK.OBIE.Resource.NotFound"
    );
    op.handle.shutdown().await;
}

/// The refusals: no idempotency key, a malformed initiation (with its JSON
/// path), a token without the `payments` scope (RFC 6750 §3.1: 403
/// insufficient_scope), a certificate-bound token without its certificate
/// (RFC 8705 §3: 401), no token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_consent_requests_are_refused_with_obie_errors() {
    let op = Op::start().await;
    let token = cc_token(&op, "payments").await;
    let request = payment_request("165.88");
    let response = op
        .send(true, api("POST", PAYMENTS, &token, None, Some(&request)))
        .await;
    assert_eq!(response.status(), 400);
    let body = json(response.body());
    assert_eq!(body["Errors"][0]["ErrorCode"], "UK.OBIE.Header.Missing");
    assert_eq!(body["Code"], "400 Bad Request");

    let response = op
        .send(
            true,
            api(
                "POST",
                PAYMENTS,
                &token,
                Some("key-2"),
                Some(&payment_request("-1")),
            ),
        )
        .await;
    assert_eq!(response.status(), 400);
    let error = &json(response.body())["Errors"][0];
    assert_eq!(error["ErrorCode"], "UK.OBIE.Field.Invalid");
    assert_eq!(error["Path"], "Data.Initiation.InstructedAmount.Amount");

    let accounts_only = cc_token(&op, "accounts").await;
    let response = op
        .send(
            true,
            api("POST", PAYMENTS, &accounts_only, Some("key-3"), Some(&request)),
        )
        .await;
    assert_eq!(response.status(), 403);
    assert_eq!(json(response.body())["error"], "insufficient_scope");

    // Without the client certificate the token is bound to.
    let response = op
        .send(
            false,
            api("POST", PAYMENTS, &token, Some("key-4"), Some(&request)),
        )
        .await;
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
    let response = op
        .send(
            true,
            api("POST", PAYMENTS, "no-such-token", Some("key-5"), Some(&request)),
        )
        .await;
    assert_eq!(response.status(), 401);
    op.handle.shutdown().await;
}

/// OBIE v3.1 Account and Transaction API: an account access consent is
/// created, read, and withdrawn by DELETE (204, then Revoked); another
/// client's token cannot see it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_access_consent_can_be_withdrawn() {
    let op = Op::start().await;
    let token = cc_token(&op, "accounts").await;
    let request = json!({"Data": {"Permissions": ["ReadAccountsBasic", "ReadBalances"]}, "Risk": {}});
    let created = op
        .send(
            true,
            api("POST", ACCOUNTS, &token, Some("access-1"), Some(&request)),
        )
        .await;
    assert_status(&created, 201);
    let created = json(created.body());
    assert_eq!(
        created["Data"]["Permissions"],
        json!(["ReadAccountsBasic", "ReadBalances"])
    );
    let item = format!("{ACCOUNTS}/{}", created["Data"]["ConsentId"].as_str().unwrap());

    let deleted = op.send(true, api("DELETE", &item, &token, None, None)).await;
    assert_eq!(deleted.status(), 204);
    let read = op.send(true, api("GET", &item, &token, None, None)).await;
    assert_eq!(json(read.body())["Data"]["Status"], "Revoked");
    let again = op.send(true, api("DELETE", &item, &token, None, None)).await;
    assert_eq!(again.status(), 400);
    assert_eq!(
        json(again.body())["Errors"][0]["ErrorCode"],
        "UK.OBIE.Resource.InvalidConsentStatus"
    );
    op.handle.shutdown().await;
}
