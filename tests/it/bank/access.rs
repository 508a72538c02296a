//! Who reaches the bank API: only the gateway's certificate with the
//! gateway's trusted headers; through the gateway, account reads need the
//! `accounts` scope and see only the customer's own accounts.

use super::super::flow::harness::*;
use super::super::gateway::rig::PISP;
use super::super::support::*;
use super::rig::*;
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::TokioIo;

const ACCOUNTS: &str = "/open-banking/v3.1/aisp/accounts";

/// A GET of the bank's accounts with forged trusted headers.
fn forged() -> http::Request<Full<Bytes>> {
    let request = with_header(get(ACCOUNTS), "x-fiducia-client-id", PISP);
    let request = with_header(request, "x-fiducia-customer", "acc-alice-1");
    with_header(request, "x-fiducia-scope", "accounts")
}

/// The bank API trusts only the gateway (its `[gateway.upstream]`
/// certificate, RFC 8705 §2 mTLS): no certificate fails the TLS handshake,
/// a fintech's certificate from the same CA with forged `x-fiducia-*`
/// headers is 403, and the gateway's certificate without the trusted
/// headers is 400 `UK.OBIE.Header.Missing`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bank_api_admits_only_the_gateways_certificate() {
    let rig = BankRig::start().await;
    let pki = &rig.op.pki;
    let bank = rig.bank.addr;

    let fintech = client_tls_files(&pki.ca(), Some((&pki.client_cert(), &pki.client_key())));
    let response = send(bank, fintech, Version::Http2, forged()).await;
    assert_status(&response, 403);
    assert_eq!(
        json(response.body())["Errors"][0]["ErrorCode"],
        "UK.OBIE.Header.Invalid"
    );

    let gateway_cert = pki.path(&format!("clients/{GATEWAY}.pem"));
    let gateway_key = pki.path(&format!("clients/{GATEWAY}.key"));
    let as_gateway = client_tls_files(&pki.ca(), Some((&gateway_cert, &gateway_key)));
    let response = send(bank, as_gateway.clone(), Version::Http2, get(ACCOUNTS)).await;
    assert_status(&response, 400);
    assert_eq!(
        json(response.body())["Errors"][0]["ErrorCode"],
        "UK.OBIE.Header.Missing"
    );
    // With the gateway's certificate the same headers are believed.
    let response = send(bank, as_gateway, Version::Http2, forged()).await;
    assert_status(&response, 200);

    // RFC 8705 §2: no client certificate, no exchange.
    let anonymous = client_tls(pki, false, &[b"http/1.1"]);
    let outcome: Result<http::Response<hyper::body::Incoming>, Box<dyn std::error::Error>> = async {
        let stream = tls_connect(bank, anonymous).await?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        Ok(sender.send_request(get(ACCOUNTS)).await?)
    }
    .await;
    assert!(
        outcome.is_err(),
        "the bank API answered a caller without a certificate"
    );
    rig.shutdown().await;
}

/// Open Banking Account and Transaction API v3.1 through the gateway: an
/// `accounts` token lists the customer's own accounts and their (empty)
/// transactions, another customer's account is 403; a token with only
/// `payments` is refused by the gateway (RFC 6750 §3.1 `insufficient_scope`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_reads_need_the_accounts_scope_and_show_the_customers_accounts() {
    let rig = BankRig::start().await;
    let reader = DpopKey::new();
    let token = rig.token(READER, &reader, "openid accounts", false).await;

    let response = rig.dpop_get(&reader, &token, ACCOUNTS).await;
    assert_status(&response, 200);
    let body = json(response.body());
    let accounts = body["Data"]["Account"].as_array().unwrap();
    assert_eq!(accounts.len(), 2, "Alice's current and savings accounts: {body}");
    assert_eq!(accounts[0]["AccountId"], ALICE_EUR);
    assert_eq!(accounts[1]["AccountId"], ALICE_SAVINGS);
    assert_eq!(accounts[0]["Currency"], "EUR");
    assert_eq!(accounts[0]["Account"][0]["SchemeName"], "UK.OBIE.IBAN");
    assert_eq!(
        accounts[0]["Account"][0]["Identification"],
        fiducia::sandbox::bank::sample_iban(1)
    );

    let path = format!("{ACCOUNTS}/{ALICE_EUR}/transactions");
    let response = rig.dpop_get(&reader, &token, &path).await;
    assert_status(&response, 200);
    assert_eq!(
        json(response.body())["Data"]["Transaction"],
        serde_json::json!([])
    );

    let response = rig
        .dpop_get(&reader, &token, &format!("{ACCOUNTS}/{BOB_EUR}/balances"))
        .await;
    assert_status(&response, 403);
    let response = rig
        .dpop_get(&reader, &token, &format!("{ACCOUNTS}/no-such-account/balances"))
        .await;
    assert_status(&response, 404);

    let payer = DpopKey::new();
    let payments_only = rig.token(PISP, &payer, "openid payments", true).await;
    let response = rig.dpop_get(&payer, &payments_only, ACCOUNTS).await;
    assert_status(&response, 403);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains("insufficient_scope"), "{challenge}");
    rig.shutdown().await;
}
