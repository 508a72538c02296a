//! The HSM's token going away under the signer pool and coming back
//! (its storage moved off and restored, as a device pulled and re-seated):
//! while it is gone every signature is answered `Unavailable` (the OP's
//! 503 with `Retry-After`), never `Failed` (a 500); once it is back the
//! pool signs again with no one restarting anything.
//!
//! Its own test binary, so its own process: a token vanishing makes
//! SoftHSM fail the slot list for every token of the process until the
//! module is initialised again, which must not touch other tests.

// A test: a failed expectation is the failure it reports.
#![allow(clippy::expect_used)]

use fiducia_hsm::pkcs11::admin::KeyAdmin;
use fiducia_hsm::pkcs11::lifecycle::RotationPolicy;
use fiducia_hsm::pkcs11::softhsm::new_token;
use fiducia_hsm::pkcs11::{Pin, PoolConfig, SignerPool, TokenConfig};
use fiducia_hsm::{JoseAlg, SignError, Signer};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const PIN: &str = "token-loss-pin";
const POLICY: RotationPolicy = RotationPolicy {
    jwks_cache_ttl: Duration::from_secs(300),
    max_token_lifetime: Duration::from_secs(3600),
    refresh_interval: Duration::from_secs(10),
};

/// SoftHSM's token directory, from the configuration cargo names.
fn token_dir() -> PathBuf {
    let conf = std::env::var("SOFTHSM2_CONF").expect("SOFTHSM2_CONF (cargo sets it)");
    let text = std::fs::read_to_string(conf).expect("the SoftHSM configuration");
    let dir = text
        .lines()
        .find_map(|line| line.strip_prefix("directories.tokendir = "))
        .expect("directories.tokendir");
    PathBuf::from(dir.trim())
}

/// The directory holding the token labelled `label` (its `token.object`
/// carries the label).
fn storage_of(label: &str) -> PathBuf {
    std::fs::read_dir(token_dir())
        .expect("the token directory")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| {
            std::fs::read(path.join("token.object"))
                .is_ok_and(|bytes| bytes.windows(label.len()).any(|w| w == label.as_bytes()))
        })
        .expect("the token's storage")
}

/// Signs `n` times `every` apart; the results.
async fn sign_for(signer: &dyn Signer, n: usize, every: Duration) -> Vec<Result<Vec<u8>, SignError>> {
    let mut results = Vec::with_capacity(n);
    for i in 0..n {
        results.push(signer.sign(format!("message {i}").as_bytes()).await);
        tokio::time::sleep(every).await;
    }
    results
}

fn moved_aside(storage: &Path) -> PathBuf {
    // A sibling of the token directory: the same file system, and outside
    // what SoftHSM scans.
    let name = storage.file_name().expect("a directory name").to_string_lossy();
    token_dir()
        .parent()
        .expect("the token directory's parent")
        .join(format!("lost-{name}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_that_goes_away_is_unavailable_then_signs_again_by_itself() {
    let token = new_token("loss", PIN).expect("SoftHSM token (apt-get install softhsm2)");
    let config = TokenConfig {
        module: token.module.clone(),
        token_label: token.label.clone(),
        pin: Pin::new(token.user_pin.clone()),
    };
    let record = KeyAdmin::new(config.clone(), POLICY)
        .generate(JoseAlg::Es256, 0, "test", 0)
        .expect("a key in the token");
    let pool = SignerPool::start(PoolConfig {
        token: config,
        workers: 2,
        queue_capacity: 64,
        job_deadline: Duration::from_secs(5),
    })
    .await
    .expect("the pool");
    assert!(pool.wait_ready(Duration::from_secs(5)).await);
    let signer = pool.signer(record.jwk.clone());
    for result in sign_for(&signer, 10, Duration::ZERO).await {
        result.expect("signs while the token is there");
    }

    let storage = storage_of(&token.label);
    let aside = moved_aside(&storage);
    std::fs::rename(&storage, &aside).expect("the token's storage moved away");
    let during = sign_for(&signer, 20, Duration::from_millis(100)).await;
    std::fs::rename(&aside, &storage).expect("the token's storage restored");
    for result in &during {
        assert!(
            matches!(result, Err(SignError::Unavailable(_))),
            "with the token gone a signature is unavailable, not failed: {result:?}"
        );
    }

    // Back by itself: the workers reopen (the module initialised again)
    // with no call from outside the pool.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match signer.sign(b"after the token came back").await {
            Ok(_) => break,
            Err(SignError::Unavailable(_)) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(other) => panic!("the pool did not recover within 30 s: {other:?}"),
        }
    }
    for result in sign_for(&signer, 20, Duration::ZERO).await {
        result.expect("every signature once the token is back");
    }
    // The other worker, still in its backoff, reopens within seconds.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = pool.status().await.expect("the pool's status");
        if status.live_sessions == 2 {
            break;
        }
        assert!(Instant::now() < deadline, "a worker never reopened: {status:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    pool.shutdown().await;
}
