//! A CIBA client disabled through the clients service
//! (`oauth::managed_clients`) while a request of it is pending: its next
//! backchannel request and its poll are refused as an unknown client
//! (RFC 6749 §5.2 `invalid_client`; CIBA Core §7.1 and §10.1 authenticate
//! the client as the token endpoint does).

use super::super::support::*;
use super::*;
use fiducia::oauth::managed_clients::ManagedClients;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_ciba_client_is_refused_at_the_backchannel_and_the_poll() {
    let ciba = Ciba::start().await;
    let auth_req_id = ciba.authenticate(POLL, json!({})).await;
    let state = ciba.op.handle.op_state().unwrap();
    ManagedClients::of(&state)
        .disable("config-api:ops", POLL, None)
        .await
        .unwrap();
    let response = ciba.poll(POLL, &auth_req_id).await;
    assert_status(&response, 401);
    assert_eq!(error_of(&response), "invalid_client");
    let request = ciba.signed_request(POLL, json!({})).await;
    let response = ciba.backchannel(POLL, &[("request", &request)]).await;
    assert_status(&response, 401);
    assert_eq!(error_of(&response), "invalid_client");
    // Enabled again, it may ask anew (its old request was revoked with
    // what was issued to it, or is refused as from before `trusted_since`).
    ManagedClients::of(&state)
        .enable("config-api:ops", POLL, None)
        .await
        .unwrap();
    ciba.authenticate(POLL, json!({})).await;
    drop(state);
    ciba.op.handle.shutdown().await;
}
