//! An authorization whose every step (PAR, `/authorize`, login page, login,
//! consent page, approval) lands on the other node than the step before,
//! and one-time artefacts across nodes: a code redeemed at two nodes at once,
//! a refresh token used at two nodes at once and then replayed, a DPoP
//! proof replayed at another node, a DPoP nonce from one node used at
//! another. Each is one record (or one `jti` mark)
//! in the shared store, consumed in a SERIALIZABLE transaction, so exactly
//! one node wins however the requests interleave.

use super::two_nodes;
use crate::it::flow::harness::*;
use crate::it::flow::introspection::introspection_of;
use crate::it::support::json;
use serde_json::json;

const OFFLINE: &str = "openid email offline_access";

fn assert_invalid_grant(response: &http::Response<bytes::Bytes>) {
    assert_status(response, 400);
    assert_eq!(json(response.body())["error"], "invalid_grant");
}

/// PAR at `par_at` (private_key_jwt, DPoP by `dpop`), then the browser's
/// steps alternating between `par_at` and `other`: the pushed request, the
/// login session and the interaction cross nodes at every step.
async fn authorize_across(par_at: &Op, other: &Op, dpop: &DpopKey, scope: &str) -> Authorized {
    let (verifier, challenge) = pkce();
    let assertion = par_at.assertion(PKJWT, json!({})).await;
    let extra = [("state", "st-123"), ("nonce", "n-456")];
    let request = pkjwt_par_for(PKJWT, &assertion, &challenge, scope, &extra);
    let proof = dpop.proof("POST", &format!("{ISSUER}/par"), None).await;
    let response = par_at.send(false, with_header(request, "dpop", &proof)).await;
    assert_status(&response, 201);
    let request_uri = pushed_request_uri(&response);
    let redirect = browse_across(other, par_at, &request_uri).await;
    let code = query_param(&redirect, "code").unwrap_or_else(|| panic!("no code: {redirect}"));
    Authorized {
        code,
        verifier,
        redirect,
    }
}

/// The browser part of an authorization, each step at the other node than
/// the one before: `/authorize` at `first`, the login page at `second`,
/// the login at `first`, the consent page at `second`, the approval at
/// `first`; the redirect back.
async fn browse_across(first: &Op, second: &Op, request_uri: &str) -> String {
    let mut browser = Browser::new();
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", PKJWT)
        .append_pair("request_uri", request_uri)
        .finish();
    let response = browser.get(first, &format!("/authorize?{query}")).await;
    assert_status(&response, 303);
    let login = location(&response);
    let page = browser.get(second, &login).await;
    assert_status(&page, 200);
    let csrf = hidden_field(&String::from_utf8_lossy(page.body()), "csrf");
    let fields = [
        ("username", USER),
        ("password", PASSWORD),
        ("csrf", csrf.as_str()),
    ];
    let response = browser.post(first, &login, &fields).await;
    assert_status(&response, 303);
    let consent = location(&response);
    let page = browser.get(second, &consent).await;
    assert_status(&page, 200);
    let csrf = hidden_field(&String::from_utf8_lossy(page.body()), "csrf");
    let fields = [("decision", "approve"), ("csrf", csrf.as_str())];
    let response = browser.post(first, &consent, &fields).await;
    assert_status(&response, 303);
    location(&response)
}

/// RFC 6749 §4.1.2 ("MUST NOT use the authorization code more than
/// once"; on a second use the server "SHOULD revoke ... all tokens
/// previously issued based on that authorization code"): a code presented
/// at two nodes at once gives tokens at exactly one; the other answers
/// `invalid_grant` (RFC 6749 §5.2), and that replay revokes what the
/// winner issued, as every node then sees (RFC 7662 §2.2 inactive).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_redeemed_at_two_nodes_at_once_gives_one_set_of_tokens_which_the_replay_revokes() {
    let Some((a, b)) = two_nodes(Sections::default()).await else {
        return;
    };
    let dpop = DpopKey::new();
    let authorized = authorize_across(&a, &b, &dpop, "openid profile email").await;
    let (at_a, at_b) = tokio::join!(
        token_request(&a, &authorized, Some(&dpop)),
        token_request(&b, &authorized, Some(&dpop)),
    );
    let (won, lost, winner) = match (at_a.status().as_u16(), at_b.status().as_u16()) {
        (200, _) => (at_a, at_b, &a),
        (_, 200) => (at_b, at_a, &b),
        statuses => panic!(
            "no node issued tokens: {statuses:?} {:?} {:?}",
            at_a.body(),
            at_b.body()
        ),
    };
    assert_invalid_grant(&lost);
    let token = json(won.body())["access_token"].as_str().unwrap().to_string();
    // The loser's replay verdict revoked the winner's tokens: inactive at
    // both nodes, and refused at userinfo (RFC 6750 §3.1).
    assert_eq!(introspection_of(&a, &token).await["active"], false);
    assert_eq!(introspection_of(&b, &token).await["active"], false);
    assert_eq!(userinfo_dpop(winner, &token, &dpop).await.status(), 401);
    // A third try, at either node, is still refused.
    assert_invalid_grant(&token_request(&a, &authorized, Some(&dpop)).await);
    a.handle.shutdown().await;
    b.handle.shutdown().await;
}

/// RFC 9700 §4.14.2 (refresh token rotation) with FAPI 2.0 Security
/// Profile §5.3.2.1 item 10 (a retry with the previous refresh token
/// succeeds): the same refresh token at two nodes at once is, for the
/// later of the two transactions, a retry within
/// `refresh_token_retry_grace_secs`; both answer, but only one successor
/// survives (the later replaces the earlier, `refresh_rotation.rs`), and
/// the other is `invalid_grant` at any node. Once the survivor has been
/// used, the first token presented again at another node is a replay: the
/// grant is revoked everywhere, the newest tokens included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_token_used_at_two_nodes_at_once_leaves_one_successor_and_its_replay_revokes_the_grant() {
    let Some((a, b)) = two_nodes(Sections::default()).await else {
        return;
    };
    let dpop = DpopKey::new();
    let authorized = authorize_across(&b, &a, &dpop, OFFLINE).await;
    let response = token_request(&a, &authorized, Some(&dpop)).await;
    assert_status(&response, 200);
    let first = json(response.body())["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();

    let (at_a, at_b) = tokio::join!(refresh_dpop(&a, &first, &dpop), refresh_dpop(&b, &first, &dpop));
    assert_status(&at_a, 200);
    assert_status(&at_b, 200);
    let (from_a, from_b) = (json(at_a.body()), json(at_b.body()));
    let successors = [
        from_a["refresh_token"].as_str().unwrap().to_string(),
        from_b["refresh_token"].as_str().unwrap().to_string(),
    ];
    assert_ne!(successors[0], successors[1]);
    assert_ne!(successors[0], first);
    // Exactly one successor works; each is tried at the node that did not
    // issue it.
    let (used_a, used_b) = (
        refresh_dpop(&b, &successors[0], &dpop).await,
        refresh_dpop(&a, &successors[1], &dpop).await,
    );
    let newest = match (used_a.status().as_u16(), used_b.status().as_u16()) {
        (200, 400) => {
            assert_invalid_grant(&used_b);
            json(used_a.body())
        }
        (400, 200) => {
            assert_invalid_grant(&used_a);
            json(used_b.body())
        }
        statuses => panic!("not exactly one successor survived: {statuses:?}"),
    };
    let (newest_access, newest_refresh) = (
        newest["access_token"].as_str().unwrap().to_string(),
        newest["refresh_token"].as_str().unwrap().to_string(),
    );
    assert_eq!(userinfo_dpop(&a, &newest_access, &dpop).await.status(), 200);

    // The first token again, its successor used: reuse detected.
    assert_invalid_grant(&refresh_dpop(&b, &first, &dpop).await);
    assert_eq!(
        introspection_of(&a, &newest_access).await,
        json!({ "active": false })
    );
    assert_eq!(userinfo_dpop(&b, &newest_access, &dpop).await.status(), 401);
    assert_invalid_grant(&refresh_dpop(&a, &newest_refresh, &dpop).await);
    a.handle.shutdown().await;
    b.handle.shutdown().await;
}

/// RFC 9449 §11.1: a DPoP proof accepted at one node is refused at another
/// (`invalid_dpop_proof`, §7.1 / RFC 6749 §5.2): the `jti` window is a
/// store record, not a node's memory. The request is otherwise fresh (a
/// new client assertion), so the proof's `jti` is the only reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dpop_proof_replayed_at_another_node_is_refused() {
    let Some((a, b)) = two_nodes(Sections::default()).await else {
        return;
    };
    let dpop = DpopKey::new();
    let proof = dpop.proof("POST", &format!("{ISSUER}/token"), None).await;
    let first = a
        .send(false, with_header(pkjwt_cc(&a).await, "dpop", &proof))
        .await;
    assert_status(&first, 200);
    assert_eq!(json(first.body())["token_type"], "DPoP");
    let replayed = b
        .send(false, with_header(pkjwt_cc(&b).await, "dpop", &proof))
        .await;
    assert_status(&replayed, 400);
    assert_eq!(json(replayed.body())["error"], "invalid_dpop_proof");
    // A fresh proof by the same key is served at that node.
    let fresh = dpop.proof("POST", &format!("{ISSUER}/token"), None).await;
    let served = b
        .send(false, with_header(pkjwt_cc(&b).await, "dpop", &fresh))
        .await;
    assert_status(&served, 200);
    a.handle.shutdown().await;
    b.handle.shutdown().await;
}

/// A client_credentials request of the private_key_jwt client, with a
/// fresh assertion from `op`'s client key.
async fn pkjwt_cc(op: &Op) -> http::Request<http_body_util::Full<bytes::Bytes>> {
    let assertion = op.assertion(PKJWT, json!({})).await;
    form(
        "/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", PKJWT),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
        ],
    )
}

/// RFC 9449 §8 (server-provided nonces): a nonce handed out by one node
/// is accepted by the other and back (one HMAC key in the store,
/// `oauth/dpop_nonce.rs`, so the nodes' nonces are the same); a made-up
/// nonce is still refused with `use_dpop_nonce`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dpop_nonce_from_one_node_is_accepted_at_the_other() {
    let sections = Sections {
        tokens: "dpop_nonce = true",
        ..Sections::default()
    };
    let Some((a, b)) = two_nodes(sections).await else {
        return;
    };
    let dpop = DpopKey::new();
    let url = format!("{ISSUER}/token");
    let first = a
        .send(
            false,
            with_header(pkjwt_cc(&a).await, "dpop", &dpop.proof("POST", &url, None).await),
        )
        .await;
    assert_status(&first, 400);
    assert_eq!(json(first.body())["error"], "use_dpop_nonce");
    let nonce = first.headers()["dpop-nonce"].to_str().unwrap().to_string();

    let proof = dpop.proof_with_nonce("POST", &url, None, Some(&nonce)).await;
    let at_b = b
        .send(false, with_header(pkjwt_cc(&b).await, "dpop", &proof))
        .await;
    assert_status(&at_b, 200);
    // And the other way round: B's nonce at A.
    let from_b = at_b.headers()["dpop-nonce"].to_str().unwrap().to_string();
    let proof = dpop.proof_with_nonce("POST", &url, None, Some(&from_b)).await;
    let at_a = a
        .send(false, with_header(pkjwt_cc(&a).await, "dpop", &proof))
        .await;
    assert_status(&at_a, 200);
    let made_up = dpop.proof_with_nonce("POST", &url, None, Some("not-ours")).await;
    let refused = b
        .send(false, with_header(pkjwt_cc(&b).await, "dpop", &made_up))
        .await;
    assert_status(&refused, 400);
    assert_eq!(json(refused.body())["error"], "use_dpop_nonce");
    a.handle.shutdown().await;
    b.handle.shutdown().await;
}
