//! Rich Authorization Requests (RFC 9396) end to end over real TLS: a
//! `payment_initiation` detail pushed at PAR, shown on the consent page,
//! echoed in the token response and in introspection; malformed,
//! unknown and unallowed details refused at PAR; kept across a refresh.

use super::super::support::json;
use super::harness::*;
use super::introspection::introspection_of;
use fiducia_hsm::Signer;
use serde_json::{Value, json};

pub const IBAN: &str = "DE02100100109307118603";

/// RFC 9396 §2's payment example, with the Open Banking reference field.
pub fn payment_detail() -> Value {
    json!({
        "type": "payment_initiation",
        "actions": ["initiate", "status"],
        "locations": ["https://bank.example/payments"],
        "instructedAmount": {"currency": "EUR", "amount": "123.50"},
        "creditorName": "Merchant A",
        "creditorAccount": {"iban": IBAN},
        "remittanceInformationUnstructured": "Invoice 4711"
    })
}

/// PAR by the private_key_jwt client `client_id` with `details`, bound to
/// `dpop`, then login and approval; the code and the consent page's HTML.
pub async fn authorize_with_details(
    op: &Op,
    client_id: &str,
    dpop: &DpopKey,
    scope: &str,
    details: &Value,
) -> (Authorized, String) {
    let details = details.to_string();
    authorize_with_params(op, client_id, dpop, scope, &[("authorization_details", &details)]).await
}

/// Alice approves a DPoP-bound private_key_jwt PAR of `client_id` for `scope` with the
/// `extra` parameters: the code and the consent page's HTML.
pub async fn authorize_with_params(
    op: &Op,
    client_id: &str,
    dpop: &DpopKey,
    scope: &str,
    extra: &[(&str, &str)],
) -> (Authorized, String) {
    let (verifier, challenge) = pkce();
    let assertion = op.assertion(client_id, json!({})).await;
    let request = pkjwt_par_for(client_id, &assertion, &challenge, scope, extra);
    let proof = dpop.proof("POST", &format!("{ISSUER}/par"), None).await;
    let response = op.send(false, with_header(request, "dpop", &proof)).await;
    assert_status(&response, 201);
    let request_uri = json(response.body())["request_uri"].as_str().unwrap().to_string();
    let mut browser = Browser::new();
    let redirect = browser.authorize(op, client_id, &request_uri, true).await;
    let code = query_param(&redirect, "code").unwrap_or_else(|| panic!("no code: {redirect}"));
    let html = browser.consent_html.take().unwrap();
    (
        Authorized {
            code,
            verifier,
            redirect,
        },
        html,
    )
}

/// The token response JSON for `authorized`, DPoP-bound.
pub async fn tokens_for(op: &Op, client_id: &str, authorized: &Authorized, dpop: &DpopKey) -> Value {
    let response = token_request_for(op, client_id, authorized, Some(dpop)).await;
    assert_status(&response, 200);
    json(response.body())
}

/// RFC 9396 §2 (request at PAR), §1 (the customer sees the details), §7
/// (token response), §9.2 (introspection, with `cnf` per RFC 9449 §6.2).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_is_shown_at_consent_and_carried_to_token_and_introspection() {
    let op = Op::start().await;
    let dpop = DpopKey::new();
    let (authorized, html) =
        authorize_with_details(&op, PKJWT, &dpop, "openid", &json!([payment_detail()])).await;
    for shown in [
        "123.50 EUR",
        "Merchant A",
        IBAN,
        "Invoice 4711",
        "Request details",
    ] {
        assert!(html.contains(shown), "consent page lacks {shown}: {html}");
    }
    let tokens = tokens_for(&op, PKJWT, &authorized, &dpop).await;
    assert_eq!(
        tokens["authorization_details"],
        json!([payment_detail()]),
        "{tokens}"
    );
    let access_token = tokens["access_token"].as_str().unwrap();
    let body = introspection_of(&op, access_token).await;
    assert_eq!(body["active"], true, "{body}");
    assert_eq!(body["authorization_details"], json!([payment_detail()]));
    assert_eq!(body["cnf"]["jkt"], dpop.key.public_jwk().thumbprint());
    op.handle.shutdown().await;
}

/// RFC 9396 §5: `invalid_authorization_details` for an unknown type, a
/// missing amount, a bad currency, a number where a string belongs, an
/// unknown field, an object instead of an array, and text that is no JSON.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_or_unknown_details_are_refused_at_par() {
    let op = Op::start().await;
    let mut no_amount = payment_detail();
    no_amount["instructedAmount"] = json!({"currency": "EUR"});
    let mut bad_currency = payment_detail();
    bad_currency["instructedAmount"]["currency"] = json!("euro");
    let mut numeric_amount = payment_detail();
    numeric_amount["instructedAmount"]["amount"] = json!(123.5);
    let mut unknown_field = payment_detail();
    unknown_field["chargeBearer"] = json!("SHAR");
    let cases = [
        (
            "unknown type",
            json!([{"type": "crypto_swap", "amount": "1"}]).to_string(),
        ),
        ("missing amount", json!([no_amount]).to_string()),
        ("bad currency", json!([bad_currency]).to_string()),
        ("wrong JSON shape", json!([numeric_amount]).to_string()),
        ("unknown field", json!([unknown_field]).to_string()),
        ("not an array", payment_detail().to_string()),
        ("not JSON", "[{\"type\":".to_string()),
    ];
    for (case, details) in cases {
        let (_, challenge) = pkce();
        let assertion = op.assertion(PKJWT, json!({})).await;
        let request = pkjwt_par(&assertion, &challenge, &[("authorization_details", &details)]);
        let response = op.send(false, request).await;
        assert_eq!(response.status(), 400, "{case}");
        let body = json(response.body());
        assert_eq!(body["error"], "invalid_authorization_details", "{case}: {body}");
        assert!(body["error_description"].is_string(), "{case}");
    }
    op.handle.shutdown().await;
}

/// RFC 9396 §5: a type the client is not configured for
/// (`authorization_details_types`) is refused; an allowed one passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_type_the_client_may_not_use_is_refused() {
    let op = Op::start().await;
    let (_, challenge) = pkce();
    let par = |details: String| {
        form(
            "/par",
            &[
                ("client_id", MTLS),
                ("response_type", "code"),
                ("redirect_uri", REDIRECT),
                ("scope", "openid"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
                ("authorization_details", &details),
            ],
        )
    };
    let response = op.send(true, par(json!([payment_detail()]).to_string())).await;
    assert_eq!(response.status(), 400);
    let body = json(response.body());
    assert_eq!(body["error"], "invalid_authorization_details");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("not allowed"),
        "{body}"
    );
    let accounts = json!([{"type": "account_information", "actions": ["read_balances"]}]);
    let response = op.send(true, par(accounts.to_string())).await;
    assert_status(&response, 201);
    op.handle.shutdown().await;
}

/// RFC 9396 §7 / RFC 6749 §6: the details stay with the grant, so a
/// refreshed access token carries them too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_keeps_the_authorization_details() {
    let op = Op::start().await;
    let dpop = DpopKey::new();
    let details = json!([payment_detail(), {"type": "account_information", "actions": ["read_balances"]}]);
    let (authorized, html) =
        authorize_with_details(&op, PKJWT, &dpop, "openid offline_access", &details).await;
    assert!(html.contains("See your balances"), "{html}");
    let tokens = tokens_for(&op, PKJWT, &authorized, &dpop).await;
    let response = refresh_dpop(&op, tokens["refresh_token"].as_str().unwrap(), &dpop).await;
    assert_status(&response, 200);
    let refreshed = json(response.body());
    assert_eq!(refreshed["authorization_details"], details, "{refreshed}");
    let body = introspection_of(&op, refreshed["access_token"].as_str().unwrap()).await;
    assert_eq!(body["authorization_details"], details, "{body}");
    // RFC 7662 §2.2: only access tokens introspect active.
    let body = introspection_of(&op, refreshed["refresh_token"].as_str().unwrap()).await;
    assert_eq!(body, json!({"active": false}));
    op.handle.shutdown().await;
}

/// RFC 9396 §3 with RFC 9101 §6.3 (FAPI 2.0 Message Signing §5.3.1): inside
/// a signed request object, `authorization_details` is a JSON member, read
/// like the form parameter and carried into the token response; a malformed
/// one inside the object is `invalid_authorization_details` too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn details_inside_a_request_object_are_used() {
    let op = Op::start().await;
    let dpop = DpopKey::new();
    let (verifier, challenge) = pkce();
    let object = op
        .request_object(
            PKJWT,
            &challenge,
            json!({"authorization_details": [payment_detail()]}),
        )
        .await;
    let response = op.push_request_object(PKJWT, &object, &[]).await;
    let request_uri = pushed_request_uri(&response);
    let mut browser = Browser::new();
    let redirect = browser.authorize(&op, PKJWT, &request_uri, true).await;
    let html = browser.consent_html.take().unwrap();
    assert!(
        html.contains("123.50 EUR"),
        "consent page lacks the amount: {html}"
    );
    let authorized = Authorized {
        code: query_param(&redirect, "code").unwrap_or_else(|| panic!("no code: {redirect}")),
        verifier,
        redirect,
    };
    let tokens = tokens_for(&op, PKJWT, &authorized, &dpop).await;
    assert_eq!(
        tokens["authorization_details"],
        json!([payment_detail()]),
        "{tokens}"
    );

    let mut unknown = payment_detail();
    unknown["type"] = json!("crypto_swap");
    let object = op
        .request_object(PKJWT, &challenge, json!({"authorization_details": [unknown]}))
        .await;
    let response = op.push_request_object(PKJWT, &object, &[]).await;
    assert_eq!(response.status(), 400);
    assert_eq!(json(response.body())["error"], "invalid_authorization_details");
    op.handle.shutdown().await;
}
