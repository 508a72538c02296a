//! Against a real SoftHSM token: keys generated inside it, signatures through
//! the pool verified from the published JWK with aws-lc-rs, attribute
//! protection, rotation, recovery from closed sessions, overload.

use super::admin::{KeyAdmin, jwks_of};
use super::lifecycle::{KeyState, RotationPolicy};
use super::softhsm::{close_all_sessions, new_token};
use super::*;
use crate::tests::verify_with_jwk;
use crate::{JoseAlg, SignError, Signer, sign_jws};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cryptoki::object::{Attribute, AttributeInfo, AttributeType};
use std::time::Duration;

const PIN: &str = "fiducia-test-pin";
const POLICY: RotationPolicy = RotationPolicy {
    jwks_cache_ttl: Duration::from_secs(300),
    max_token_lifetime: Duration::from_secs(3600),
    refresh_interval: Duration::from_secs(10),
};

fn token() -> TokenConfig {
    let token = new_token("pool", PIN).expect("SoftHSM token (apt-get install softhsm2)");
    TokenConfig {
        module: token.module,
        token_label: token.label,
        pin: Pin::new(token.user_pin),
    }
}

async fn pool(token: &TokenConfig, workers: usize, queue_capacity: usize) -> SignerPool {
    let pool = SignerPool::start(PoolConfig {
        token: token.clone(),
        workers,
        queue_capacity,
        job_deadline: Duration::from_secs(5),
    })
    .await
    .unwrap();
    assert!(
        pool.wait_ready(Duration::from_secs(5)).await,
        "pool never became ready"
    );
    pool
}

fn verify_jws(jws: &str, jwk: &serde_json::Value) -> bool {
    let (input, sig) = jws.rsplit_once('.').unwrap();
    verify_with_jwk(jwk, input.as_bytes(), &URL_SAFE_NO_PAD.decode(sig).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_alg_signs_through_the_pool_and_verifies_from_the_jwk() {
    let token = token();
    let admin = KeyAdmin::new(token.clone(), POLICY);
    let pool = pool(&token, 2, 64).await;
    for alg in JoseAlg::ALL {
        let record = admin.generate(alg, 2048, "test", 1_000).unwrap();
        let signer = pool.signer(record.jwk.clone());
        assert_eq!(
            signer.key_id(),
            record.jwk.thumbprint(),
            "kid is the RFC 7638 thumbprint"
        );
        let jws = sign_jws(&signer, serde_json::Map::new(), br#"{"sub":"alice"}"#)
            .await
            .unwrap();
        let jwk = serde_json::to_value(&record.jwk).unwrap();
        assert!(
            verify_jws(&jws, &jwk),
            "{alg} signature does not verify from the JWK"
        );
        let raw = signer.sign(b"payload").await.unwrap();
        let expected_len = if alg == JoseAlg::Ps256 { 256 } else { 64 };
        assert_eq!(
            raw.len(),
            expected_len,
            "{alg}: JOSE signature form (RFC 7518 §3.4)"
        );
    }
    pool.shutdown().await;
}

#[test]
fn private_keys_are_sensitive_and_never_extractable() {
    let token = token();
    let admin = KeyAdmin::new(token.clone(), POLICY);
    for alg in JoseAlg::ALL {
        let record = admin.generate(alg, 2048, "test", 1_000).unwrap();
        let session = token.open_session(false).unwrap();
        let (private, public) = keygen::find_key_objects(&session, record.kid()).unwrap();
        let private = private.unwrap();
        assert!(public.is_some());
        let attrs = session
            .get_attributes(
                private,
                &[
                    AttributeType::Sensitive,
                    AttributeType::Extractable,
                    AttributeType::Private,
                    AttributeType::Token,
                    AttributeType::NeverExtractable,
                    AttributeType::AlwaysSensitive,
                ],
            )
            .unwrap();
        for attr in &attrs {
            match attr {
                Attribute::Sensitive(v)
                | Attribute::Private(v)
                | Attribute::Token(v)
                | Attribute::NeverExtractable(v)
                | Attribute::AlwaysSensitive(v) => assert!(*v, "{alg}: {attr:?}"),
                Attribute::Extractable(v) => assert!(!*v, "{alg}: extractable"),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(attrs.len(), 6);
        // get_attributes silently drops sensitive values; ask for the info.
        let secret = match alg {
            JoseAlg::Ps256 => AttributeType::PrivateExponent,
            _ => AttributeType::Value,
        };
        let info = session.get_attribute_info(private, &[secret]).unwrap();
        assert!(matches!(info[0], AttributeInfo::Sensitive), "{alg}: {info:?}");
        assert!(session.get_attributes(private, &[secret]).unwrap().is_empty());
    }
}

/// Signing keys can only sign (private) and verify (public): decryption,
/// unwrapping and derivation are off, not left to the token's defaults
/// (PKCS#11 v2.40 §4.8–4.9; SoftHSM's defaults allow RSA decryption and
/// unwrapping).
#[test]
fn signing_keys_cannot_decrypt_unwrap_or_derive() {
    let token = token();
    let admin = KeyAdmin::new(token.clone(), POLICY);
    for alg in JoseAlg::ALL {
        let record = admin.generate(alg, 2048, "test", 1_000).unwrap();
        let session = token.open_session(false).unwrap();
        let (private, public) = keygen::find_key_objects(&session, record.kid()).unwrap();
        let usages = |handle, types: &[AttributeType]| {
            session
                .get_attributes(handle, types)
                .unwrap()
                .into_iter()
                .map(|attr| match attr {
                    Attribute::Sign(v) => ("sign", v),
                    Attribute::SignRecover(v) => ("sign_recover", v),
                    Attribute::Decrypt(v) => ("decrypt", v),
                    Attribute::Unwrap(v) => ("unwrap", v),
                    Attribute::Derive(v) => ("derive", v),
                    Attribute::Verify(v) => ("verify", v),
                    Attribute::VerifyRecover(v) => ("verify_recover", v),
                    Attribute::Encrypt(v) => ("encrypt", v),
                    Attribute::Wrap(v) => ("wrap", v),
                    other => panic!("unexpected {other:?}"),
                })
                .collect::<Vec<_>>()
        };
        let private = usages(
            private.unwrap(),
            &[
                AttributeType::Sign,
                AttributeType::SignRecover,
                AttributeType::Decrypt,
                AttributeType::Unwrap,
                AttributeType::Derive,
            ],
        );
        assert_eq!(private.len(), 5, "{alg}: {private:?}");
        for (usage, allowed) in private {
            assert_eq!(allowed, usage == "sign", "{alg}: private key {usage}");
        }
        let public = usages(
            public.unwrap(),
            &[
                AttributeType::Verify,
                AttributeType::VerifyRecover,
                AttributeType::Encrypt,
                AttributeType::Wrap,
                AttributeType::Derive,
            ],
        );
        assert_eq!(public.len(), 5, "{alg}: {public:?}");
        for (usage, allowed) in public {
            assert_eq!(allowed, usage == "verify", "{alg}: public key {usage}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_keeps_every_token_verifiable() {
    let token = token();
    let admin = KeyAdmin::new(token.clone(), POLICY);
    let pool = pool(&token, 2, 64).await;
    // Bootstrap: the first rotate generates a key, activates it at once and
    // generates the next one.
    let outcome = admin.rotate(JoseAlg::Es256, 0, "test", 0).unwrap();
    assert!(outcome.activated.is_some());
    assert_eq!(admin.load().unwrap().records.len(), 2);
    let ring = admin.load().unwrap();
    let first = ring.active(JoseAlg::Es256).unwrap().clone();
    let before = sign_jws(&pool.signer(first.jwk.clone()), serde_json::Map::new(), b"{}")
        .await
        .unwrap();

    let too_early = admin.rotate(JoseAlg::Es256, 0, "test", 100).unwrap_err();
    assert!(too_early.to_string().contains("can be activated"), "{too_early}");
    // Published for the JWKS cache time after every node's next reload.
    let outcome = admin.rotate(JoseAlg::Es256, 0, "test", 310).unwrap();
    assert_eq!(outcome.retiring.as_deref(), Some(first.kid()));
    let ring = admin.load().unwrap();
    let second = ring.active(JoseAlg::Es256).unwrap().clone();
    assert_ne!(second.kid(), first.kid());
    assert_eq!(ring.get(first.kid()).unwrap().state, KeyState::Retiring);
    let after = sign_jws(&pool.signer(second.jwk.clone()), serde_json::Map::new(), b"{}")
        .await
        .unwrap();

    // Both tokens verify against the JWKS published right after the switch.
    let jwks = serde_json::to_value(admin.export_jwks(311).unwrap()).unwrap();
    for jws in [&before, &after] {
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(jws.split('.').next().unwrap()).unwrap()).unwrap();
        let jwk = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == header["kid"])
            .unwrap();
        assert!(verify_jws(jws, jwk));
    }
    // The retiring key leaves the JWKS only after its tokens have expired.
    let retire_after = admin
        .load()
        .unwrap()
        .get(first.kid())
        .unwrap()
        .retire_after
        .unwrap();
    assert!(
        jwks_of(&admin.load().unwrap(), retire_after - 1)
            .keys
            .iter()
            .any(|k| k.kid() == first.kid())
    );
    assert!(admin.retire(first.kid(), "test", retire_after - 1).is_err());
    admin.retire(first.kid(), "test", retire_after).unwrap();
    assert!(
        admin
            .export_jwks(retire_after)
            .unwrap()
            .keys
            .iter()
            .all(|k| k.kid() != first.kid())
    );
    admin.destroy(first.kid(), "test", retire_after).unwrap();
    assert!(admin.load().unwrap().get(first.kid()).is_none());
    pool.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_closed_under_the_pool_are_recovered() {
    let token = token();
    let admin = KeyAdmin::new(token.clone(), POLICY);
    let record = admin.generate(JoseAlg::Es256, 0, "test", 0).unwrap();
    let pool = pool(&token, 2, 64).await;
    let signer = pool.signer(record.jwk.clone());
    for _ in 0..10 {
        signer.sign(b"warm up both workers").await.unwrap();
    }
    close_all_sessions(&token.module, &token.token_label).unwrap();
    // Every request after the close succeeds: each worker notices on its next
    // C_Sign, reopens, logs in again and retries that request once.
    let jwk = serde_json::to_value(&record.jwk).unwrap();
    for i in 0..50 {
        let message = format!("after close {i}");
        let signature = signer.sign(message.as_bytes()).await.unwrap();
        assert!(verify_with_jwk(&jwk, message.as_bytes(), &signature));
    }
    let status = pool.status().await.unwrap();
    assert_eq!(status.live_sessions, 2, "{status:?}");
    assert!(status.reopened >= 1, "{status:?}");
    pool.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_overloaded_at_once() {
    let token = token();
    let admin = KeyAdmin::new(token.clone(), POLICY);
    let record = admin.generate(JoseAlg::Ps256, 2048, "test", 0).unwrap();
    let pool = pool(&token, 1, 4).await;
    let kid: std::sync::Arc<str> = record.kid().into();
    let mut pending = Vec::new();
    let mut overloaded = 0;
    for _ in 0..200 {
        let future = pool.sign(kid.clone(), JoseAlg::Ps256, b"x".to_vec());
        // "At once": a refused request is finished on its first poll; it
        // never waits for a worker.
        let mut future = future;
        match futures_poll_once(&mut future).await.ok_or(future) {
            Err(future) => pending.push(tokio::spawn(future)),
            Ok(Err(SignError::Overloaded)) => overloaded += 1,
            Ok(other) => {
                other.unwrap();
            }
        }
    }
    assert!(overloaded > 0, "a 4-deep queue took 200 PS256 requests");
    for task in pending {
        task.await.unwrap().unwrap();
    }
    pool.shutdown().await;
}

/// Polls a future once; `Some` if it finished.
async fn futures_poll_once<F: std::future::Future + Unpin>(future: &mut F) -> Option<F::Output> {
    std::future::poll_fn(|cx| match std::pin::Pin::new(&mut *future).poll(cx) {
        std::task::Poll::Ready(v) => std::task::Poll::Ready(Some(v)),
        std::task::Poll::Pending => std::task::Poll::Ready(None),
    })
    .await
}

#[tokio::test]
async fn a_wrong_pin_fails_start_up_clearly() {
    let mut token = token();
    token.pin = Pin::new("wrong");
    let error = SignerPool::start(PoolConfig {
        token,
        workers: 1,
        queue_capacity: 1,
        job_deadline: Duration::from_secs(1),
    })
    .await
    .err()
    .unwrap();
    assert!(error.to_string().contains("CKR_PIN_INCORRECT"), "{error}");
    assert!(
        !format!("{error:?}").contains("wrong"),
        "the PIN leaked into the error"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sessions_closed_under_the_pool_are_noticed_without_traffic() {
    let token = token();
    let pool = pool(&token, 2, 8).await;
    close_all_sessions(&token.module, &token.token_label).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let status = pool.status().await.unwrap();
        if status.reopened >= 2 && status.live_sessions == 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "sessions not reopened: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    pool.shutdown().await;
}

/// Whether another session of this process is logged in to the token: a
/// new session is in a user state only while one is (PKCS#11 v2.40 base
/// §5.6: the login is the application's, ended when its last session closes).
fn logged_in_elsewhere(token: &TokenConfig) -> bool {
    let ctx = context::module(&token.module).unwrap();
    let slot = context::find_token(&ctx, &token.token_label).unwrap();
    let session = ctx.open_ro_session(slot).unwrap();
    let state = session.get_session_info().unwrap().session_state();
    matches!(
        state,
        cryptoki::session::SessionState::RoUser | cryptoki::session::SessionState::RwUser
    )
}

/// The last handle gone, the pool's workers have ended (their sessions
/// closed) by the time the drop returns, even while they are busy signing:
/// no worker may still be inside the module when the process exits and
/// SoftHSM's destructors run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_last_handle_stops_and_joins_the_workers() {
    let token = token();
    let admin = KeyAdmin::new(token.clone(), POLICY);
    // RSA-4096 signatures: milliseconds each, so the workers are inside
    // C_Sign when the pool is dropped.
    let record = admin.generate(JoseAlg::Ps256, 4096, "test", 0).unwrap();
    let pool = pool(&token, 2, 64).await;
    assert!(
        logged_in_elsewhere(&token),
        "a ready pool's workers are logged in"
    );
    let kid: std::sync::Arc<str> = record.jwk.kid().into();
    let pending: Vec<_> = (0..64)
        .map(|_| pool.sign(kid.clone(), JoseAlg::Ps256, b"busy".to_vec()))
        .collect();
    drop(pool);
    assert!(!logged_in_elsewhere(&token), "every worker's session is closed");
    // Jobs a worker had taken are answered; the rest are told the pool stopped.
    for reply in pending {
        match reply.await {
            Ok(_) | Err(SignError::Unavailable(_)) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
}
