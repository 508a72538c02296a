//! An authorization code presented by a client it was not issued to
//! (RFC 6749 §4.1.3), over real TLS: refused before the code is consumed or
//! its replay acted on, so the client it belongs to keeps its code and its
//! tokens; its own replay still revokes the grant (RFC 6749 §4.1.2).

use super::super::support::json;
use super::harness::*;
use super::introspection::introspection_of;
use serde_json::json;

/// Another client (`JWT_AT`, which authenticates with the same kind of
/// assertion) presents the private_key_jwt client's code: `invalid_grant`,
/// before and after the rightful redemption. The code is not used up by
/// it, the rightful client's tokens keep working (userinfo, introspection),
/// and only the rightful client's own replay revokes the grant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_replayed_by_another_client_leaves_the_first_clients_tokens_working() {
    let op = Op::start().await;
    let dpop = DpopKey::new();
    let authorized = authorize_pkjwt(&op, Some(&dpop)).await;
    let assert_invalid_grant = |response: &http::Response<bytes::Bytes>| {
        assert_eq!(response.status(), 400);
        assert_eq!(json(response.body())["error"], "invalid_grant");
    };

    // Before the rightful client: refused, and the code stays usable.
    assert_invalid_grant(&token_request_for(&op, JWT_AT, &authorized, Some(&dpop)).await);
    let response = token_request(&op, &authorized, Some(&dpop)).await;
    assert_status(&response, 200);
    let access_token = json(response.body())["access_token"]
        .as_str()
        .unwrap()
        .to_string();

    // After it: refused again, and nothing of the first client's is revoked.
    assert_invalid_grant(&token_request_for(&op, JWT_AT, &authorized, Some(&dpop)).await);
    assert_eq!(userinfo_dpop(&op, &access_token, &dpop).await.status(), 200);
    assert_eq!(introspection_of(&op, &access_token).await["active"], true);

    // The rightful client's own replay revokes what the code issued.
    assert_invalid_grant(&token_request(&op, &authorized, Some(&dpop)).await);
    assert_eq!(userinfo_dpop(&op, &access_token, &dpop).await.status(), 401);
    assert_eq!(
        introspection_of(&op, &access_token).await,
        json!({ "active": false })
    );
    op.handle.shutdown().await;
}
