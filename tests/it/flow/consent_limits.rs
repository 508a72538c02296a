//! The consent API's bounds over real mTLS: every POST needs an
//! `x-idempotency-key` (OBIE Read/Write API v3.1 "Request Headers", so a
//! retry never writes a second consent), and the client's request budget
//! applies (RFC 6585 §4), so one fintech's burst leaves the others served;
//! so does it at userinfo, the OP's other protected resource.

use super::super::support::{FINTECH, json};
use super::consents::{ACCOUNTS, PAYMENTS, api, cc_token, payment_request};
use super::harness::*;
use serde_json::json;

/// OBIE v3.1: `x-idempotency-key` is mandatory on POST, for account access
/// consents as for payment consents: 400 `UK.OBIE.Header.Missing`; a key
/// over Max40Text or with a space is `UK.OBIE.Header.Invalid`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consent_post_without_idempotency_key_is_400() {
    let op = Op::start().await;
    let token = cc_token(&op, "accounts").await;
    let request = json!({"Data": {"Permissions": ["ReadAccountsBasic"]}, "Risk": {}});
    let response = op
        .send(true, api("POST", ACCOUNTS, &token, None, Some(&request)))
        .await;
    assert_eq!(response.status(), 400);
    let body = json(response.body());
    assert_eq!(body["Errors"][0]["ErrorCode"], "UK.OBIE.Header.Missing");
    for bad in ["k".repeat(41), "two words".to_string()] {
        let response = op
            .send(true, api("POST", ACCOUNTS, &token, Some(&bad), Some(&request)))
            .await;
        assert_eq!(response.status(), 400, "{bad}");
        assert_eq!(
            json(response.body())["Errors"][0]["ErrorCode"],
            "UK.OBIE.Header.Invalid"
        );
    }
    op.handle.shutdown().await;
}

/// A burst of consent POSTs from one client over its budget (1 request a
/// second, burst 3) gets 429 with `Retry-After` in the OBIE error shape,
/// and writes nothing; another client is served meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_consent_posts_gets_429_while_another_client_is_served() {
    let busy = |_: &std::path::Path| {
        format!(
            r#"
[[clients]]
client_id = "busy-consents"
client_name = "Busy Consents Ltd"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "tls_client_auth"
tls_client_auth_subject_dn = "CN={FINTECH},OU=org-1,O=org-1,C=GB"
scopes = ["payments"]
requests_per_second = 1
burst = 3
"#
        )
    };
    let op = Op::start_with_clients("", busy).await;
    let response = op
        .send(
            true,
            form(
                "/token",
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", "busy-consents"),
                    ("scope", "payments"),
                ],
            ),
        )
        .await;
    assert_status(&response, 200);
    let busy_token = json(response.body())["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let mut statuses = Vec::new();
    let mut limited = None;
    for i in 0..8 {
        let key = format!("burst-{i}");
        let response = op
            .send(
                true,
                api(
                    "POST",
                    PAYMENTS,
                    &busy_token,
                    Some(&key),
                    Some(&payment_request("1.00")),
                ),
            )
            .await;
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            limited = Some(response);
        }
    }
    assert!(statuses.contains(&201), "{statuses:?}");
    let limited = limited.unwrap_or_else(|| panic!("no 429 in {statuses:?}"));
    assert!(
        statuses.iter().filter(|s| **s == 429).count() >= 4,
        "{statuses:?}"
    );
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait >= 1);
    let body = json(limited.body());
    assert_eq!(body["Code"], "429 Too Many Requests");
    assert!(body["Errors"][0]["ErrorCode"].is_string());
    // Another client is served.
    let other = cc_token(&op, "payments").await;
    let served = op
        .send(
            true,
            api(
                "POST",
                PAYMENTS,
                &other,
                Some("other-1"),
                Some(&payment_request("2.00")),
            ),
        )
        .await;
    assert_status(&served, 201);
    op.handle.shutdown().await;
}

/// RFC 6585 §4: userinfo charges the client's budget too (1 a second,
/// burst 4 here): a burst of calls with one token gets 429 with
/// `Retry-After`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_userinfo_calls_gets_429() {
    let busy = |jwks: &std::path::Path| {
        format!(
            r#"
[[clients]]
client_id = "busy-userinfo"
client_name = "Busy Userinfo Ltd"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "private_key_jwt"
jwks_file = "{}"
requests_per_second = 1
burst = 4
"#,
            jwks.display()
        )
    };
    let op = Op::start_with_clients("", busy).await;
    let dpop = DpopKey::new();
    let (verifier, challenge) = pkce();
    let assertion = op.assertion("busy-userinfo", json!({})).await;
    let par = pkjwt_par_for("busy-userinfo", &assertion, &challenge, "openid", &[]);
    let request_uri = pushed_request_uri(&op.send(false, par).await);
    let redirect = Browser::new()
        .authorize(&op, "busy-userinfo", &request_uri, true)
        .await;
    let authorized = Authorized {
        code: query_param(&redirect, "code").unwrap(),
        verifier,
        redirect,
    };
    let tokens = token_request_for(&op, "busy-userinfo", &authorized, Some(&dpop)).await;
    assert_status(&tokens, 200);
    let token = json(tokens.body())["access_token"].as_str().unwrap().to_string();
    let mut statuses = Vec::new();
    let mut limited = None;
    for _ in 0..8 {
        let response = userinfo_dpop(&op, &token, &dpop).await;
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            limited = Some(response);
        }
    }
    assert!(statuses.iter().all(|s| matches!(s, 200 | 429)), "{statuses:?}");
    let limited = limited.unwrap_or_else(|| panic!("no 429 in {statuses:?}"));
    assert!(limited.headers().contains_key("retry-after"));
    assert_eq!(json(limited.body())["error"], "rate_limited");
    op.handle.shutdown().await;
}
