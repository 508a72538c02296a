//! "Trusted since": a client suspended by its directory and reinstated
//! does not get back the tokens it held before. A client_credentials token
//! hangs off no grant, so revocation by client cannot reach it; the
//! client's `trusted_since`, set at reinstatement, refuses it wherever a
//! token is honoured (RFC 7662 §2.2 introspection: inactive; RFC 6750 §3.1
//! protected resources: 401 `invalid_token`; the gateway's payment
//! reservation: `invalid_token`). Over the real stack: the
//! sandbox directory's status endpoint drives suspension and reinstatement.

use super::super::flow::consents::ACCOUNTS;
use super::super::flow::harness::*;
use super::super::support::*;
use super::trust::TrustSetup;
use super::*;
use fiducia::directory::state::Status;

/// A certificate-bound client_credentials token of `client_id` (RFC 6749
/// §4.4, RFC 8705 §3) for the `accounts` scope.
async fn cc_token(setup: &TrustSetup, client_id: &str) -> String {
    let request = form(
        "/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("scope", "accounts"),
        ],
    );
    let response = send_as(&setup.op, Some(&setup.identity), request).await;
    assert_status(&response, 200);
    json(response.body())["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// RFC 7662 §2.2: `active` as the gateway (a resource server) learns it.
async fn active(setup: &TrustSetup, token: &str) -> bool {
    let introspect = form("/introspect", &[("token", token), ("client_id", GATEWAY)]);
    json(setup.op.send_as_gateway(introspect).await.body())["active"] == true
}

/// The gateway's `/grants/reserve` with `token` (before a payment goes to
/// the bank): the error code of its answer. A client_credentials token
/// that is honoured gets past the token check and is refused because it
/// authorises no payment (`invalid_request`); one that is not honoured is
/// `invalid_token`.
async fn reservation_error(setup: &TrustSetup, token: &str) -> String {
    let reserve = form(
        "/grants/reserve",
        &[
            ("token", token),
            ("idempotency_key", "k-1"),
            ("client_id", GATEWAY),
        ],
    );
    json(setup.op.send_as_gateway(reserve).await.body())["error"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The consent API with `token`: 404 for a consent that does not exist
/// when the token is honoured, 401 `invalid_token` (RFC 6750 §3.1) when not.
async fn consent_api(setup: &TrustSetup, token: &str) -> Response<Bytes> {
    let path = format!("{ACCOUNTS}/no-such-consent");
    let request = with_header(get(&path), "authorization", &format!("Bearer {token}"));
    send_as(&setup.op, Some(&setup.identity), request).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_from_before_a_suspension_stays_dead_after_reinstatement() {
    let setup = TrustSetup::start().await;
    let (client_id, _) = setup.register(&setup.identity).await;
    let before = cc_token(&setup, &client_id).await;
    assert!(active(&setup, &before).await);
    assert_eq!(consent_api(&setup, &before).await.status(), 404);

    setup.set_status(Status::Revoked);
    setup.wait_for_par(&client_id, 401).await;
    assert!(!active(&setup, &before).await, "suspended: unknown client");

    setup.set_status(Status::Active);
    setup.wait_for_par(&client_id, 201).await;
    // The token survived in the store (no grant links to it) but predates
    // the reinstatement: refused everywhere.
    assert!(!active(&setup, &before).await, "issued before trusted_since");
    let refused = consent_api(&setup, &before).await;
    assert_error(&refused, 401, "invalid_token");
    assert!(
        refused.headers().contains_key("www-authenticate"),
        "RFC 6750 §3: a challenge"
    );
    assert_eq!(reservation_error(&setup, &before).await, "invalid_token");
    // A token issued after the reinstatement is honoured.
    let after = cc_token(&setup, &client_id).await;
    assert!(active(&setup, &after).await);
    assert_eq!(consent_api(&setup, &after).await.status(), 404);
    assert_eq!(reservation_error(&setup, &after).await, "invalid_request");
}
