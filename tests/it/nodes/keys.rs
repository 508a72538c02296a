//! A signing key rotated while two nodes serve: key state lives in the HSM
//! token (one SoftHSM token here, as one HSM partition behind every node
//! in production), each node reloading it every `signing.key_refresh_secs`
//! (`actors/key_manager.rs`). The rotation is what `fiducia keys rotate`
//! runs (`KeyAdmin::rotate`), done beside the running nodes.

use super::two_nodes;
use crate::it::flow::harness::*;
use crate::it::flow::jwt_access_token::client_jwt_access_token;
use crate::it::support::{get, json};
use fiducia::protocol::jose::{PublicJwk, verify_jws};
use fiducia_hsm::JoseAlg;
use fiducia_hsm::pkcs11::admin::KeyAdmin;
use std::time::{Duration, Instant};

/// Seconds between key reloads on each node (`signing.key_refresh_secs`)
/// and the JWKS cache lifetime (`signing.jwks_cache_ttl_secs`).
const SIGNING: &str = "key_refresh_secs = 1\njwks_cache_ttl_secs = 1";

/// The keys `op` publishes at `/jwks`.
async fn jwks(op: &Op) -> Vec<PublicJwk> {
    let response = op.send(false, get("/jwks")).await;
    assert_status(&response, 200);
    serde_json::from_value(json(response.body())["keys"].clone()).unwrap()
}

fn kids(keys: &[PublicJwk]) -> Vec<String> {
    keys.iter().map(|k| k.kid().to_string()).collect()
}

/// The `kid` of a compact JWS's protected header.
fn kid_of(jws: &str) -> String {
    use base64::Engine;
    let header = jws.split('.').next().unwrap();
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .unwrap();
    let header: serde_json::Value = serde_json::from_slice(&header).unwrap();
    header["kid"].as_str().unwrap().to_string()
}

/// RFC 7517 §4.5 / OIDC Core §10.1.1 (a new key is published before it
/// signs, so verifiers that cached the JWKS find it): the key that
/// `fiducia keys rotate` activates is already in both nodes' JWKS; within
/// a few key refreshes both nodes sign with it, and a token signed by
/// either verifies against either node's `/jwks`. The key generated to
/// come next is published by both nodes before it is ever used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_rotated_beside_two_nodes_signs_at_both_and_verifies_at_both_jwks() {
    let sections = Sections {
        signing: SIGNING,
        ..Sections::default()
    };
    let Some((a, b)) = two_nodes(sections).await else {
        return;
    };
    let dpop = DpopKey::new();
    let before = client_jwt_access_token(&a, &dpop).await;
    let old_kid = kid_of(&before);
    let published = kids(&jwks(&a).await);
    assert_eq!(published, kids(&jwks(&b).await), "one token, one JWKS");
    assert!(published.len() >= 2, "active and next: {published:?}");

    // The waiting key has been in every node's JWKS for jwks_cache_ttl_secs
    // (made at start-up, published by each node's next reload).
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let signing = &a.config.get().signing;
    let admin = KeyAdmin::new(
        fiducia::signing::token_config(signing).unwrap(),
        fiducia::signing::rotation_policy(signing),
    );
    let outcome = tokio::task::block_in_place(|| admin.rotate(JoseAlg::Es256, 0, "test", now())).unwrap();
    let new_kid = outcome.activated.expect("the next key is activated");
    assert_ne!(new_kid, old_kid);
    assert!(published.contains(&new_kid), "published before it signs");

    // Within a few refreshes each node signs with the new key.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut signed = Vec::new();
    for node in [&a, &b] {
        loop {
            let token = client_jwt_access_token(node, &dpop).await;
            if kid_of(&token) == new_kid {
                signed.push(token);
                break;
            }
            assert!(Instant::now() < deadline, "a node still signs with {old_kid}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    // Both nodes publish the same set again: the new key, the retiring old
    // one (its tokens are still out), and the newly generated next key.
    let deadline = Instant::now() + Duration::from_secs(10);
    let (keys_a, keys_b) = loop {
        let (keys_a, keys_b) = (jwks(&a).await, jwks(&b).await);
        if kids(&keys_a) == kids(&keys_b) && kids(&keys_a).len() > published.len() {
            break (keys_a, keys_b);
        }
        assert!(
            Instant::now() < deadline,
            "the nodes' JWKS never agreed on the new next key"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(kids(&keys_a).contains(&old_kid), "a retiring key stays published");
    for token in signed.iter().chain([&before]) {
        for keys in [&keys_a, &keys_b] {
            let claims = verify_jws(token, keys, Some("at+jwt")).unwrap().claims;
            assert_eq!(claims["client_id"], JWT_AT);
        }
    }
    a.handle.shutdown().await;
    b.handle.shutdown().await;
}
