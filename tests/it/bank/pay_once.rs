//! A consent pays once (OBIE Payment Initiation API v3.1: a domestic
//! payment consent authorises one payment; RFC 9396 §2: a
//! `payment_initiation` grant is the consent), decided in the OP's store
//! before the bank is called, whatever the fintech tries: JWT access tokens
//! (RFC 9068) through two gateway replicas at once, a gateway restart, a
//! refreshed second token, another `Data.ConsentId` in the body, or a
//! refresh token presented as an access token (RFC 6749 §1.5, RFC 7662
//! §2.2). One OP, one bank API, real mTLS on 127.0.0.1.

use super::super::flow::consents::PAYMENTS as PAYMENT_CONSENTS;
use super::super::flow::gateway::gateway_introspection_of;
use super::super::flow::harness::*;
use super::super::flow::obie_intent::{consent_status, create_consent, push_with_intent, tokens_for_code};
use super::super::flow::rar::{IBAN, authorize_with_details, tokens_for};
use super::super::gateway::rig::{
    JWT_PISP, PAYMENTS, PUBLIC_URL, consented_payment, payment_post, payment_request,
};
use super::super::support::*;
use super::intent::{consent_request, submission};
use super::rig::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use fiducia::gateway;
use http::Response;
use serde_json::{Value, json};
use std::net::SocketAddr;

const JWT: &str = "token_validation = \"jwt\"";

/// Alice approves the consented payment (RFC 9396 `payment_initiation`)
/// for [`JWT_PISP`] with `offline_access`: its token response (a DPoP-bound
/// RFC 9068 access token and a refresh token).
async fn jwt_tokens(rig: &BankRig, dpop: &DpopKey) -> Value {
    let scope = "openid payments offline_access";
    let (authorized, _) = authorize_with_details(&rig.op, JWT_PISP, dpop, scope, &consented_payment()).await;
    let tokens = tokens_for(&rig.op, JWT_PISP, &authorized, dpop).await;
    assert!(tokens["refresh_token"].is_string(), "{tokens}");
    tokens
}

/// RFC 6749 §6: a new access token from `refresh_token` (DPoP-bound, RFC 9449 §5).
async fn refreshed(rig: &BankRig, dpop: &DpopKey, refresh_token: &str) -> String {
    let assertion = rig.op.assertion(JWT_PISP, json!({})).await;
    let request = form(
        "/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", JWT_PISP),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
        ],
    );
    let proof = dpop.proof("POST", &format!("{ISSUER}/token"), None).await;
    let response = rig.op.send(false, with_header(request, "dpop", &proof)).await;
    assert_status(&response, 200);
    json(response.body())["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The consented payment, naming `consent_id` in `Data.ConsentId`.
fn naming(consent_id: &str) -> Value {
    let mut body = payment_request("123.50", IBAN);
    body["Data"]["ConsentId"] = consent_id.into();
    body
}

/// Submits `body` through the gateway at `addr` with a DPoP `token` and
/// `key` as `x-idempotency-key`.
async fn submit_at(
    rig: &BankRig,
    addr: SocketAddr,
    dpop: &DpopKey,
    token: &str,
    body: &Value,
    key: &str,
) -> Response<Bytes> {
    let proof = dpop
        .proof("POST", &format!("{PUBLIC_URL}{PAYMENTS}"), Some(token))
        .await;
    let request = payment_post(body, &format!("DPoP {token}"), Some(&proof));
    rig.call_at(addr, with_header(request, "x-idempotency-key", key))
        .await
}

fn error_code(response: &Response<Bytes>) -> Value {
    json(response.body())["Errors"][0]["ErrorCode"].clone()
}

fn payment_id(response: &Response<Bytes>) -> String {
    assert_status(response, 201);
    json(response.body())["Data"]["DomesticPaymentId"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Alice's EUR balance and the number of payments in the bank's ledger.
fn booked(rig: &BankRig) -> (String, usize) {
    let ledger = rig.ledger();
    let balance = ledger.accounts[ALICE_EUR].balance;
    (
        fiducia::sandbox::bank::amount::format(balance),
        ledger.payments.len(),
    )
}

/// `claim` of a JWT's payload.
fn jwt_claim(jwt: &str, claim: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice::<Value>(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()[claim].clone()
}

/// A gateway replica whose report after the bank's answer (`/grants/consume`)
/// never reaches the OP: the grant's tokens stay alive after a payment, so
/// only the OP's reservation keeps the consent from paying again.
async fn replica_with_lost_reports(rig: &BankRig, op_section: &str) -> gateway::GatewayHandle {
    let mut config = rig.replica_config(op_section);
    config.op.grant_consumption_endpoint = format!(
        "https://localhost:{}/grants/nowhere",
        rig.op.handle.main_addr.port()
    );
    gateway::start(config).await.unwrap()
}

/// Four concurrent submissions of one consent's JWT access token, two
/// through each of two gateway replicas, each with its own
/// `x-idempotency-key` and its own `Data.ConsentId`: exactly one payment,
/// one debit. The others are refused by the OP's reservation (403
/// `UK.OBIE.Resource.InvalidConsentStatus`) or, once the payment was
/// reported, as a revoked token (401). The consent used up is the token's
/// grant (RFC 9068 `grant_id` claim), never what the body names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_tokens_pay_a_consent_once_across_two_gateway_replicas() {
    let rig = BankRig::start_with(JWT).await;
    let other = gateway::start(rig.replica_config(JWT)).await.unwrap();
    let dpop = DpopKey::new();
    let token = jwt_tokens(&rig, &dpop).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let grant_id = jwt_claim(&token, "grant_id");
    assert!(grant_id.is_string(), "the JWT names its grant");
    let (a, b) = (rig.gateway.addr, other.addr);
    let bodies: Vec<Value> = (1..=4).map(|i| naming(&format!("pc-{i}"))).collect();
    let answers = tokio::join!(
        submit_at(&rig, a, &dpop, &token, &bodies[0], "key-1"),
        submit_at(&rig, b, &dpop, &token, &bodies[1], "key-2"),
        submit_at(&rig, a, &dpop, &token, &bodies[2], "key-3"),
        submit_at(&rig, b, &dpop, &token, &bodies[3], "key-4"),
    );
    let answers = [answers.0, answers.1, answers.2, answers.3];
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "one payment: {statuses:?}"
    );
    for refused in answers.iter().filter(|r| r.status() != 201) {
        match refused.status().as_u16() {
            403 => assert_eq!(error_code(refused), "UK.OBIE.Resource.InvalidConsentStatus"),
            401 => assert_eq!(error_code(refused), "UK.OBIE.Header.Invalid"),
            other => panic!("unexpected {other}: {:?}", refused.body()),
        }
    }
    assert_eq!(booked(&rig), ("176.50".to_string(), 1));
    let payment = rig.ledger().payments.into_values().next().unwrap();
    assert_eq!(Value::String(payment.consent_reference), grant_id);
    other.shutdown().await;
    rig.shutdown().await;
}

/// A payment through one gateway process, then that process gone and
/// another started (its memory empty): the same JWT access token, still
/// valid offline and, the report having been lost, still known to the OP,
/// cannot make a second payment (403 from the OP's reservation); the same
/// payment retried (same `x-idempotency-key`) gets the same payment back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_payment_after_a_gateway_restart_is_refused() {
    let rig = BankRig::start_with(JWT).await;
    let dpop = DpopKey::new();
    let token = jwt_tokens(&rig, &dpop).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let before = replica_with_lost_reports(&rig, JWT).await;
    let first = payment_id(&submit_at(&rig, before.addr, &dpop, &token, &naming("pc-1"), "key-1").await);
    before.shutdown().await;

    let after = gateway::start(rig.replica_config(JWT)).await.unwrap();
    let response = submit_at(&rig, after.addr, &dpop, &token, &naming("pc-2"), "key-2").await;
    assert_status(&response, 403);
    assert_eq!(error_code(&response), "UK.OBIE.Resource.InvalidConsentStatus");
    assert_eq!(booked(&rig), ("176.50".to_string(), 1));

    // The same payment again: the bank's idempotent answer, nothing moves;
    // this time the OP is told, and the token is dead there.
    let again = submit_at(&rig, after.addr, &dpop, &token, &naming("pc-1"), "key-1").await;
    assert_eq!(payment_id(&again), first);
    let response = submit_at(&rig, after.addr, &dpop, &token, &naming("pc-1"), "key-1").await;
    assert_status(&response, 401);
    assert_eq!(booked(&rig), ("176.50".to_string(), 1));
    after.shutdown().await;
    rig.shutdown().await;
}

/// RFC 6749 §6: a second JWT access token from the refresh token, taken
/// before the payment, cannot pay the same consent again: after a reported
/// payment the OP revoked the grant (401); with the report lost, the OP's
/// reservation refuses another payment (403) and lets only the same one
/// through again (same payment id).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refreshed_token_cannot_pay_the_same_consent_again() {
    let rig = BankRig::start_with(JWT).await;
    let dpop = DpopKey::new();
    let tokens = jwt_tokens(&rig, &dpop).await;
    let first = tokens["access_token"].as_str().unwrap();
    let second = refreshed(&rig, &dpop, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(jwt_claim(&second, "grant_id"), jwt_claim(first, "grant_id"));
    let at = rig.gateway.addr;
    payment_id(&submit_at(&rig, at, &dpop, first, &naming("pc-1"), "key-1").await);
    let response = submit_at(&rig, at, &dpop, &second, &naming("pc-2"), "key-2").await;
    assert_status(&response, 401);
    assert_eq!(booked(&rig), ("176.50".to_string(), 1));

    // The report lost: the reservation alone decides.
    let lossy = replica_with_lost_reports(&rig, JWT).await;
    let tokens = jwt_tokens(&rig, &dpop).await;
    let first = tokens["access_token"].as_str().unwrap();
    let second = refreshed(&rig, &dpop, tokens["refresh_token"].as_str().unwrap()).await;
    let paid = payment_id(&submit_at(&rig, lossy.addr, &dpop, first, &naming("pc-3"), "key-3").await);
    let response = submit_at(&rig, lossy.addr, &dpop, &second, &naming("pc-4"), "key-4").await;
    assert_status(&response, 403);
    assert_eq!(error_code(&response), "UK.OBIE.Resource.InvalidConsentStatus");
    let again = submit_at(&rig, lossy.addr, &dpop, &second, &naming("pc-3"), "key-3").await;
    assert_eq!(payment_id(&again), paid);
    assert_eq!(booked(&rig), ("53.00".to_string(), 2));
    lossy.shutdown().await;
    rig.shutdown().await;
}

/// The bank API uses up only the consent the gateway vouched for
/// (`x-fiducia-consent-id`, which the OP reserved), never the body's
/// `Data.ConsentId`: a payment without the header is refused (400
/// `UK.OBIE.Header.Missing`), and under a UK OBIE consent a body naming
/// another consent than the vouched one is refused (400
/// `UK.OBIE.Resource.ConsentMismatch`; OBIE Payment Initiation API v3.1).
/// Called as the gateway (its certificate, RFC 8705 §2) with its headers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_consent_id_cannot_pick_the_consent() {
    let rig = BankRig::start().await;
    let pki = &rig.op.pki;
    let as_gateway = client_tls_files(
        &pki.ca(),
        Some((
            &pki.path(&format!("clients/{GATEWAY}.pem")),
            &pki.path(&format!("clients/{GATEWAY}.key")),
        )),
    );
    let encode = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let vouched = |body: &Value, key: &str| {
        http::Request::post(format!("https://localhost{PAYMENTS}"))
            .header("content-type", "application/json")
            .header("x-idempotency-key", key)
            .header("x-fiducia-client-id", JWT_PISP)
            .header("x-fiducia-customer", "acc-alice-1")
            .header("x-fiducia-scope", "openid payments")
            .body(http_body_util::Full::new(Bytes::from(body.to_string())))
            .unwrap()
    };

    // RFC 9396 details, but no consent named by the gateway.
    let request = with_header(
        vouched(&naming("pc-1"), "key-1"),
        "x-fiducia-authorization-details",
        &encode(&consented_payment()),
    );
    let response = send(rig.bank.addr, as_gateway.clone(), Version::Http1, request).await;
    assert_status(&response, 400);
    assert_eq!(error_code(&response), "UK.OBIE.Header.Missing");

    // A UK OBIE consent pdc-B described, pdc-A vouched for, the body naming pdc-B.
    let initiation = consent_request("20.00")["Data"]["Initiation"].clone();
    let consent = json!({"ConsentId": "pdc-B", "Status": "Authorised", "Initiation": initiation});
    let request = with_header(
        vouched(&submission("pdc-B", &initiation), "key-2"),
        "x-fiducia-openbanking-consent",
        &encode(&consent),
    );
    let request = with_header(request, "x-fiducia-consent-id", "pdc-A");
    let response = send(rig.bank.addr, as_gateway, Version::Http1, request).await;
    assert_status(&response, 400);
    assert_eq!(error_code(&response), "UK.OBIE.Resource.ConsentMismatch");
    assert_eq!(booked(&rig), (OPENING.to_string(), 0), "nothing moved");
    rig.shutdown().await;
}

/// RFC 6749 §1.5, RFC 7662 §2.2: a refresh token is no access token. Of a
/// UK OBIE payment consent's tokens, the refresh token introspects inactive
/// to the gateway and is refused at the gateway (401) as a payment's
/// token; nothing moves and the consent stays Authorised, so the access
/// token then makes the one payment and the consent ends Consumed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_token_is_refused_at_the_gateway_and_inactive_to_resource_servers() {
    let rig = BankRig::start().await;
    let intent = create_consent(
        &rig.op,
        PAYMENT_CONSENTS,
        "payments",
        "order-r",
        &consent_request("20.00"),
    )
    .await;
    let (verifier, challenge) = pkce();
    let response = push_with_intent(&rig.op, &challenge, "openid payments offline_access", &intent).await;
    assert_status(&response, 201);
    let request_uri = json(response.body())["request_uri"].as_str().unwrap().to_string();
    let redirect = Browser::new().authorize(&rig.op, MTLS, &request_uri, true).await;
    let code = query_param(&redirect, "code").unwrap();
    let tokens = tokens_for_code(&rig.op, &code, &verifier).await;
    let (access, refresh) = (
        tokens["access_token"].as_str().unwrap(),
        tokens["refresh_token"].as_str().unwrap(),
    );

    assert_eq!(
        gateway_introspection_of(&rig.op, refresh).await,
        json!({"active": false})
    );
    let introspected = gateway_introspection_of(&rig.op, access).await;
    assert_eq!(introspected["token_type"], "Bearer", "{introspected}");

    let initiation = consent_request("20.00")["Data"]["Initiation"].clone();
    let pay = |token: &str, key: &str| {
        let request = payment_post(
            &submission(&intent, &initiation),
            &format!("Bearer {token}"),
            None,
        );
        rig.call(with_header(request, "x-idempotency-key", key))
    };
    let response = pay(refresh, "key-r").await;
    assert_status(&response, 401);
    assert_eq!(booked(&rig), (OPENING.to_string(), 0));
    let item = format!("{PAYMENT_CONSENTS}/{intent}");
    assert_eq!(consent_status(&rig.op, &item, "payments").await, "Authorised");

    let response = pay(access, "key-1").await;
    assert_status(&response, 201);
    assert_eq!(booked(&rig), ("280.00".to_string(), 1));
    assert_eq!(consent_status(&rig.op, &item, "payments").await, "Consumed");
    rig.shutdown().await;
}

/// A UK OBIE payment whose answer was lost between the bank and the
/// fintech (here: never reported to the OP either), with introspection:
/// the consent is `Consumed` from the moment the OP reserved it, yet its
/// token stays active until the payment is confirmed, so the same payment
/// (same `x-idempotency-key`) can be retried and gets the same payment
/// back (OBIE Read/Write API v3.1 "Idempotency"), while another key is 403
/// and nothing moves twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_obie_payment_whose_answer_was_lost_is_retried_never_repeated() {
    let rig = BankRig::start().await;
    let lossy = replica_with_lost_reports(&rig, "").await;
    let intent = create_consent(
        &rig.op,
        PAYMENT_CONSENTS,
        "payments",
        "order-l",
        &consent_request("20.00"),
    )
    .await;
    let token =
        super::intent::authorised_token_from(&rig, &intent, "openid payments", &mut Browser::new()).await;
    let body = submission(&intent, &consent_request("20.00")["Data"]["Initiation"]);
    let pay = |key: &str| {
        let request = payment_post(&body, &format!("Bearer {token}"), None);
        rig.call_at(lossy.addr, with_header(request, "x-idempotency-key", key))
    };
    let first = payment_id(&pay("key-1").await);
    let item = format!("{PAYMENT_CONSENTS}/{intent}");
    assert_eq!(consent_status(&rig.op, &item, "payments").await, "Consumed");
    // The gateway dropped its cached answer after the payment: asked again.
    let introspected = gateway_introspection_of(&rig.op, &token).await;
    assert_eq!(introspected["openbanking_consent"]["Status"], "Consumed");

    assert_eq!(payment_id(&pay("key-1").await), first);
    let response = pay("key-2").await;
    assert_status(&response, 403);
    assert_eq!(error_code(&response), "UK.OBIE.Resource.InvalidConsentStatus");
    assert_eq!(booked(&rig), ("280.00".to_string(), 1));
    lossy.shutdown().await;
    rig.shutdown().await;
}
