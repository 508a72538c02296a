//! The OP's wall clock stepped by five minutes either way while it runs
//! (NTP or an operator stepping the host's clock; `clock::SteppedClock`),
//! with its clients' clocks right. What docs/RELIABILITY.md ("Clock
//! steps") promises:
//!
//! - every lifetime (tokens, codes, pushed requests) is an instant on the
//!   OP's clock: a step forward ends them that much early, a step back
//!   keeps them that much longer, never more;
//! - a one-time JWT (client assertion, RFC 7523 §3 `jti`) is refused when
//!   replayed across a step either way: its `jti` is kept until its `exp`
//!   by the same clock that accepts it only before its `exp`;
//! - what a wrong clock costs is availability (clients' fresh assertions
//!   can fall outside its window), never a replay.

use super::super::support::*;
use super::consents::cc_token;
use super::gateway::gateway_introspection_of;
use super::harness::*;
use fiducia::clock::SteppedClock;
use serde_json::json;
use std::sync::Arc;

const STEP: i64 = 300;

async fn op_on(clock: &Arc<SteppedClock>) -> Op {
    let sections = Sections {
        clock: Some(clock),
        ..Sections::default()
    };
    Op::start_with_sections(TestPki::new(), sections, |_| String::new()).await
}

/// A pushed authorization request of the private_key_jwt client
/// authenticated by `assertion` (RFC 9126 §2.1).
async fn par_with(op: &Op, assertion: &str) -> http::Response<bytes::Bytes> {
    let (_, challenge) = pkce();
    let request = form(
        "/par",
        &[
            ("client_id", PKJWT),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", "openid"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    );
    op.send(false, request).await
}

/// The OP's now when its clock is `step` seconds off.
fn op_now(step: i64) -> i64 {
    i64::try_from(now()).unwrap() + step
}

/// A client assertion made for the OP's clock, `step` seconds off.
async fn on_op_time(op: &Op, step: i64) -> String {
    let at = op_now(step);
    op.assertion(PKJWT, json!({"iat": at, "exp": at + 60})).await
}

/// The token request for `authorized`'s code, its assertion made for the
/// OP's clock stepped forward, so that only the code's own life decides.
async fn exchange_on_op_time(op: &Op, authorized: &Authorized) -> http::Response<bytes::Bytes> {
    let assertion = on_op_time(op, STEP).await;
    let request = code_token_form(PKJWT, authorized, &assertion);
    op.send(false, request).await
}

fn error_of(response: &http::Response<bytes::Bytes>) -> String {
    json(response.body())["error"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forward_step_ends_lifetimes_early_and_lets_no_replay_through() {
    let clock = Arc::new(SteppedClock::default());
    let op = op_on(&clock).await;
    let token = cc_token(&op, "accounts").await;
    assert_eq!(gateway_introspection_of(&op, &token).await["active"], true);
    let authorized = authorize_pkjwt(&op, None).await;
    let assertion = op.assertion(PKJWT, json!({})).await;
    assert_status(&par_with(&op, &assertion).await, 201);

    clock.step(STEP);
    // The 300 s access token's end has come by the OP's clock (RFC 7662
    // §2.2: inactive), and so has the 60 s code's (RFC 6749 §4.1.2).
    assert_eq!(gateway_introspection_of(&op, &token).await["active"], false);
    let exchanged = exchange_on_op_time(&op, &authorized).await;
    assert_status(&exchanged, 400);
    assert_eq!(error_of(&exchanged), "invalid_grant");
    // The assertion, replayed: refused (its `exp` is behind the OP now).
    let replayed = par_with(&op, &assertion).await;
    assert_status(&replayed, 401);
    assert_eq!(error_of(&replayed), "invalid_client");
    // An assertion fresh by the client's right clock is already expired by
    // the OP's: refused, the cost of a clock 5 minutes fast.
    let fresh = op.assertion(PKJWT, json!({})).await;
    assert_status(&par_with(&op, &fresh).await, 401);
    // One made for the OP's clock passes; tokens are issued on its clock.
    let at = op_now(STEP);
    assert_status(&par_with(&op, &on_op_time(&op, STEP).await).await, 201);
    let later = cc_token(&op, "accounts").await;
    let introspected = gateway_introspection_of(&op, &later).await;
    assert_eq!(introspected["active"], true);
    let exp = introspected["exp"].as_i64().unwrap();
    assert!((exp - (at + 300)).abs() <= 5, "exp {exp} on the OP's clock");
    op.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backward_step_keeps_lifetimes_at_most_the_step_longer_and_lets_no_replay_through() {
    let clock = Arc::new(SteppedClock::default());
    let op = op_on(&clock).await;
    let token = cc_token(&op, "accounts").await;
    let before = gateway_introspection_of(&op, &token).await;
    // Issued before the time the OP's clock first steps back to, so that
    // after that step only its `jti` can refuse it.
    let assertion = op
        .assertion(PKJWT, json!({"iat": op_now(-70), "exp": op_now(60)}))
        .await;
    assert_status(&par_with(&op, &assertion).await, 201);

    // One minute back: the `jti` is still remembered (RFC 7523 §3 item 7).
    clock.step(-60);
    let replayed = par_with(&op, &assertion).await;
    assert_status(&replayed, 401);
    let said = json(replayed.body())["error_description"].to_string();
    assert!(said.contains("jti already used"), "{said}");
    // Five minutes back in all: refused still (its `iat` now lies ahead of
    // the OP's clock, and its `jti` is remembered until its `exp`).
    clock.step(-(STEP - 60));
    let replayed = par_with(&op, &assertion).await;
    assert_status(&replayed, 401);
    assert_eq!(error_of(&replayed), "invalid_client");
    // The token stays active until its `exp` on the OP's clock, which did
    // not move: it lives the step longer in real time, never more.
    let after = gateway_introspection_of(&op, &token).await;
    assert_eq!(after["active"], true);
    assert_eq!(after["exp"], before["exp"]);
    // A new token ends 300 s after the OP's (stepped) now.
    let later = cc_token(&op, "accounts").await;
    let exp = gateway_introspection_of(&op, &later).await["exp"]
        .as_i64()
        .unwrap();
    assert!(
        (exp - (op_now(-STEP) + 300)).abs() <= 5,
        "exp {exp} on the OP's clock"
    );
    op.handle.shutdown().await;
}
