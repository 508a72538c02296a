//! Revocation racing refreshes (RFC 7009 §2.1, RFC 6749 §4.1.2, RFC 9700
//! §4.14.2), over real TLS: whatever ran concurrently, once a revocation
//! has returned no token ever issued under the grant introspects active
//! (RFC 7662 §2.2).

use super::super::support::json;
use super::harness::*;
use super::introspection::introspection_of;
use super::revocation::revoke_pkjwt;
use serde_json::json;
use std::sync::Mutex;
use std::time::Duration;

const OFFLINE: &str = "openid offline_access";

/// Grants raced, each by one refresh loop and one revocation.
const ITERATIONS: u64 = 20;
/// Refreshes a loop makes at most (it stops at its first refusal).
const MAX_REFRESHES: usize = 40;

/// Each iteration: a grant with a refresh token, a loop refreshing it as
/// fast as it can, and, a few milliseconds in (a different delay each
/// time), a revocation of the grant: by the revocation endpoint with the
/// first refresh token the client got (RFC 7009 §2.1; by then usually
/// rotated out), or by replaying the grant's code (RFC 6749 §4.1.2:
/// revoke-by-grant). Once both are done, every access and refresh token
/// the grant ever had introspects inactive, and its newest refresh token
/// is refused: no survivor, in any iteration.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_racing_a_refresh_loop_leaves_no_survivor() {
    let op = Op::start().await;
    let dpop = DpopKey::new();
    for i in 0..ITERATIONS {
        let authorized = authorize_pkjwt_scoped(&op, Some(&dpop), OFFLINE).await;
        let response = token_request(&op, &authorized, Some(&dpop)).await;
        assert_status(&response, 200);
        let tokens = json(response.body());
        let first_refresh = tokens["refresh_token"].as_str().unwrap().to_string();
        let issued = Mutex::new(vec![
            tokens["access_token"].as_str().unwrap().to_string(),
            first_refresh.clone(),
        ]);
        let newest = Mutex::new(first_refresh.clone());
        let refresher = async {
            for _ in 0..MAX_REFRESHES {
                let current = newest.lock().unwrap().clone();
                let response = refresh_dpop(&op, &current, &dpop).await;
                if response.status() != 200 {
                    assert_eq!(json(response.body())["error"], "invalid_grant", "iteration {i}");
                    return;
                }
                let body = json(response.body());
                let refresh_token = body["refresh_token"].as_str().unwrap().to_string();
                let mut all = issued.lock().unwrap();
                all.push(body["access_token"].as_str().unwrap().to_string());
                all.push(refresh_token.clone());
                *newest.lock().unwrap() = refresh_token;
            }
        };
        let revoker = async {
            tokio::time::sleep(Duration::from_millis(3 + (i * 17) % 70)).await;
            if i % 2 == 0 {
                let response = revoke_pkjwt(&op, &first_refresh, Some("refresh_token")).await;
                assert_eq!(response.status(), 200, "iteration {i}");
            } else {
                let response = token_request(&op, &authorized, Some(&dpop)).await;
                assert_eq!(response.status(), 400, "iteration {i}");
                assert_eq!(json(response.body())["error"], "invalid_grant", "iteration {i}");
            }
        };
        tokio::join!(refresher, revoker);
        let issued = issued.into_inner().unwrap();
        for (n, token) in issued.iter().enumerate() {
            let introspected = introspection_of(&op, token).await;
            assert_eq!(
                introspected,
                json!({ "active": false }),
                "iteration {i}: token {n} of {} survived the revocation",
                issued.len()
            );
        }
        let newest = newest.into_inner().unwrap();
        let response = refresh_dpop(&op, &newest, &dpop).await;
        assert_eq!(response.status(), 400, "iteration {i}");
        assert_eq!(json(response.body())["error"], "invalid_grant");
    }
    op.handle.shutdown().await;
}
