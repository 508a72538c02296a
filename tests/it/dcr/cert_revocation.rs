//! Transport certificates re-checked for revocation (RFC 8705 §2.1, §3):
//! the sandbox directory revokes a software's transport certificate and
//! publishes it at `/software/{software_id}/revoked-certificates`; the OP
//! (`revocation_endpoint`) reads it every round and from then on the
//! certificate authenticates nothing of the registered client (token
//! endpoint, PAR, RFC 7592 management: 401), its tokens are not honoured
//! (introspection inactive, the consent API 401 `invalid_token`), and a
//! new registration over it is refused (400), while the software's
//! renewed certificate works without a gap or a new registration.

use super::super::flow::consents::ACCOUNTS;
use super::super::flow::harness::*;
use super::super::support::{self, *};
use super::trust::TrustSetup;
use super::*;
use std::time::{Duration, Instant};

const SOFTWARE: &str = "trusted-fintech-app";

/// A client_credentials request of `client_id` over `identity` (RFC 6749
/// §4.4; the token is bound to that certificate, RFC 8705 §3).
async fn cc_request(setup: &TrustSetup, identity: &(String, String), client_id: &str) -> Response<Bytes> {
    let request = form(
        "/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("scope", "accounts"),
        ],
    );
    send_as(&setup.op, Some(identity), request).await
}

async fn cc_token(setup: &TrustSetup, identity: &(String, String), client_id: &str) -> String {
    let response = cc_request(setup, identity, client_id).await;
    assert_status(&response, 200);
    json(response.body())["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// RFC 7662 §2.2 `active`, as the gateway learns it.
async fn active(setup: &TrustSetup, token: &str) -> bool {
    let introspect = form("/introspect", &[("token", token), ("client_id", GATEWAY)]);
    json(setup.op.send_as_gateway(introspect).await.body())["active"] == true
}

/// The consent API with `token` over `identity`: 404 for a consent that
/// does not exist when the token is honoured, 401 when not.
async fn consent_api(setup: &TrustSetup, identity: &(String, String), token: &str) -> Response<Bytes> {
    let path = format!("{ACCOUNTS}/no-such-consent");
    let request = with_header(get(&path), "authorization", &format!("Bearer {token}"));
    send_as(&setup.op, Some(identity), request).await
}

/// RFC 7592 §2.1 read over `identity`.
async fn read_registration(
    setup: &TrustSetup,
    identity: &(String, String),
    client_id: &str,
    access_token: &str,
) -> Response<Bytes> {
    let request = json_request(
        "GET",
        &format!("/register/{client_id}"),
        Some(access_token),
        &json!({}),
    )
    .map(|_| Full::new(Bytes::new()));
    send_as(&setup.op, Some(identity), request).await
}

/// GET on the directory (no client certificate needed).
async fn directory_get(setup: &TrustSetup, path: &str) -> (u16, Value) {
    let tls = support::client_tls_files(&setup.ca, None);
    let request = Request::get(format!("https://localhost{path}"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = support::send(setup.server.as_ref().unwrap().addr, tls, Version::Http1, request).await;
    (response.status().as_u16(), json(response.body()))
}

/// POST for an SSA over `identity` (the directory's mTLS SSA endpoint).
async fn ssa_status(setup: &TrustSetup, identity: (&std::path::Path, &std::path::Path)) -> u16 {
    let tls = support::client_tls_files(&setup.ca, Some(identity));
    let request = Request::post(format!("https://localhost/software/{SOFTWARE}/ssa"))
        .body(Full::new(Bytes::new()))
        .unwrap();
    let response = support::send(setup.server.as_ref().unwrap().addr, tls, Version::Http1, request).await;
    response.status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_transport_certificate_is_refused_everywhere_and_the_renewed_one_works() {
    let setup = TrustSetup::start_with(
        r#"revocation_endpoint = "{url}/software/{software_id}/revoked-certificates""#,
    )
    .await;
    let old = setup.identity.clone();
    // Keep the old certificate's files: renewal replaces them.
    let kept_dir = tempfile::tempdir().unwrap();
    let kept = kept_dir.path();
    std::fs::write(kept.join("transport.pem"), &old.0).unwrap();
    std::fs::write(kept.join("transport.key"), &old.1).unwrap();
    let (client_id, access_token) = setup.register(&old).await;
    let before = cc_token(&setup, &old, &client_id).await;
    assert!(active(&setup, &before).await);
    let (status, listed) = directory_get(&setup, &format!("/software/{SOFTWARE}/revoked-certificates")).await;
    assert_eq!((status, listed["revoked_certificates"].clone()), (200, json!([])));

    // The directory revokes the certificate and publishes it.
    let revoked = setup.directory.revoke_certificate(SOFTWARE, None, now()).unwrap();
    let (_, listed) = directory_get(&setup, &format!("/software/{SOFTWARE}/revoked-certificates")).await;
    assert_eq!(
        listed["revoked_certificates"][0]["x5t#S256"],
        revoked.x5t_s256.as_str()
    );
    // Revoking it again changes nothing.
    let again = setup
        .directory
        .revoke_certificate(SOFTWARE, Some(&revoked.x5t_s256), now() + 5)
        .unwrap();
    assert_eq!(again, revoked);
    assert_eq!(
        ssa_status(&setup, (&kept.join("transport.pem"), &kept.join("transport.key"))).await,
        401,
        "the directory issues no SSA over a revoked certificate"
    );

    // Within a round (1 s) the OP refuses it: RFC 8705 §2.1 client
    // authentication with it fails.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let response = cc_request(&setup, &old, &client_id).await;
        if response.status() == 401 {
            assert_error(&response, 401, "invalid_client");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the revoked certificate was never refused"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // RFC 8705 §3: a token bound to it is not honoured.
    assert!(!active(&setup, &before).await, "bound to a revoked certificate");
    assert_error(&consent_api(&setup, &old, &before).await, 401, "invalid_token");
    // RFC 7592: nor does it manage the registration.
    assert_error(
        &read_registration(&setup, &old, &client_id, &access_token).await,
        401,
        "invalid_token",
    );

    // The software's renewed certificate works at once: the client was not
    // suspended and keeps its registration.
    setup.directory.renew_certificate(SOFTWARE, now()).unwrap();
    let renewed = (
        std::fs::read_to_string(setup.identity_path("transport.pem")).unwrap(),
        std::fs::read_to_string(setup.identity_path("transport.key")).unwrap(),
    );
    assert_ne!(renewed.0, old.0);
    let after = cc_token(&setup, &renewed, &client_id).await;
    assert!(active(&setup, &after).await);
    assert_eq!(consent_api(&setup, &renewed, &after).await.status(), 404);
    let (_, challenge) = pkce();
    assert_status(
        &send_as(
            &setup.op,
            Some(&renewed),
            cert_par(&client_id, &challenge, AISP_SCOPE),
        )
        .await,
        201,
    );
    assert_eq!(
        read_registration(&setup, &renewed, &client_id, &access_token)
            .await
            .status(),
        200
    );

    // A new registration over the revoked certificate is refused, with a
    // statement fetched over the renewed one (RFC 7591 §3.2.2).
    let refused = setup.registration(&old).await;
    assert_error(&refused, 400, "invalid_request");

    let (_, metrics) = admin_get(setup.op.handle.admin_addr, "/metrics").await;
    assert!(metrics.contains("fiducia_trust_certificate_revocations_total"));
}
