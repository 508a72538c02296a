//! FAPI 1.0 Part 1 §6.2.1-§6.2.2 at the gateway: the customer-presence
//! headers (`x-fapi-auth-date`, `x-fapi-customer-ip-address`) and
//! `x-fapi-interaction-id` reach the bank API unchanged when well formed,
//! the interaction id comes back; a malformed one is refused before the
//! bank is called.

use super::super::flow::harness::*;
use super::super::support::json;
use super::rig::*;

const INTERACTION: &str = "93bac548-d2de-4546-b106-880a5018460d";
const AUTH_DATE: &str = "Sun, 06 Dec 2026 09:15:00 GMT";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_presence_headers_reach_the_bank_api_fapi1_part1_s6_2_2() {
    let rig = Rig::start("", "").await;
    let token = rig.aisp_token("accounts").await;
    for ip in ["198.51.100.7", "2001:db8::7"] {
        let mut call = gw_get(ACCOUNTS, &format!("Bearer {token}"));
        let headers = call.headers_mut();
        headers.insert("x-fapi-auth-date", AUTH_DATE.parse().unwrap());
        headers.insert("x-fapi-customer-ip-address", ip.parse().unwrap());
        headers.insert("x-fapi-interaction-id", INTERACTION.parse().unwrap());
        // §6.2.1: a valid IPv4 or IPv6 address is never refused.
        let response = rig.call(call).await;
        assert_status(&response, 200);
        assert_eq!(response.headers()["x-fapi-interaction-id"], INTERACTION);
        let received = rig.upstream.received();
        let forwarded = &received.last().unwrap().headers;
        assert_eq!(forwarded["x-fapi-auth-date"], AUTH_DATE);
        assert_eq!(forwarded["x-fapi-customer-ip-address"], ip);
        assert_eq!(forwarded["x-fapi-interaction-id"], INTERACTION);
    }
    rig.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_customer_presence_headers_stop_at_the_gateway() {
    let rig = Rig::start("", "").await;
    let token = rig.aisp_token("accounts").await;
    for (name, value) in [
        ("x-fapi-customer-ip-address", "not-an-address"),
        ("x-fapi-customer-ip-address", "198.51.100.7, 10.0.0.1"),
        ("x-fapi-auth-date", "2026-12-06T09:15:00Z"),
    ] {
        let mut call = gw_get(ACCOUNTS, &format!("Bearer {token}"));
        call.headers_mut().insert(name, value.parse().unwrap());
        call.headers_mut()
            .insert("x-fapi-interaction-id", INTERACTION.parse().unwrap());
        let response = rig.call(call).await;
        assert_eq!(response.status(), 400, "{name}: {value}");
        let body = json(response.body());
        assert_eq!(body["Errors"][0]["ErrorCode"], "UK.OBIE.Header.Invalid", "{body}");
        assert_eq!(body["Id"], INTERACTION);
    }
    assert!(rig.upstream.received().is_empty(), "the bank API was called");
    rig.shutdown().await;
}
