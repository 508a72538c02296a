//! The OP with its keys in SoftHSM: readiness follows the signer, the JWKS
//! comes from the token, and a rotation reaches the running server.

use super::support::*;
use fiducia::config;
use fiducia::server;
use fiducia_hsm::JoseAlg;
use fiducia_hsm::pkcs11::admin::KeyAdmin;
use fiducia_hsm::pkcs11::lifecycle::RotationPolicy;
use fiducia_hsm::pkcs11::softhsm::new_token;
use fiducia_hsm::pkcs11::{Pin, TokenConfig};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const PIN: &str = "it-pin-1234";

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_the_hsm_and_the_jwks_comes_from_the_token() {
    let pki = TestPki::new();
    let token = new_token("it", PIN).expect("SoftHSM (apt-get install softhsm2)");
    let signing = format!(
        "[signing]\nbackend = \"pkcs11\"\ntoken_label = \"{}\"\npin = \"{PIN}\"\njwks_cache_ttl_secs = 120\nmax_token_lifetime_secs = 600\n",
        token.label
    );
    let raw = config::load_from_str(&pki.config_text("http3 = false", &signing), Vec::new()).unwrap();
    let config = config::validate(raw, pki.dir.path()).unwrap();
    let handle = server::start(config).await.unwrap();

    // Logged in, but no key yet: not ready.
    let (status, body) = admin_get(handle.admin_addr, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("\"signer\":false"), "{body}");

    let admin = KeyAdmin::new(
        TokenConfig {
            module: token.module.clone(),
            token_label: token.label.clone(),
            pin: Pin::new(PIN),
        },
        RotationPolicy {
            jwks_cache_ttl: Duration::from_secs(120),
            max_token_lifetime: Duration::from_secs(600),
            refresh_interval: Duration::from_secs(10),
        },
    );
    // Bootstrap: one rotate generates, activates, and prepares a next key.
    let outcome = admin.rotate(JoseAlg::Es256, 0, "it", now()).unwrap();
    let first = admin
        .load()
        .unwrap()
        .get(outcome.activated.as_deref().unwrap())
        .unwrap()
        .clone();
    handle.refresh_keys().await.unwrap();
    let (status, body) = admin_get(handle.admin_addr, "/readyz").await;
    assert_eq!(status, 200, "{body}");

    let tls = client_tls(&pki, false, &[b"h2"]);
    let response = send(handle.main_addr, tls.clone(), Version::Http2, get("/jwks")).await;
    assert_eq!(response.headers()["cache-control"], "public, max-age=120");
    let kids: Vec<String> = json(response.body())["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect();
    let ring = admin.load().unwrap();
    let expected: Vec<String> = ring.published(now()).map(|r| r.kid().to_string()).collect();
    assert_eq!(kids, expected, "the JWKS is the token's published keys");
    assert!(kids.contains(&first.kid().to_string()));

    // Rotation without restart: the `next` key, published long enough,
    // becomes the signer; the old one stays in the JWKS while it retires.
    // Published for the JWKS cache time after every node's next reload.
    admin.rotate(JoseAlg::Es256, 0, "it", now() + 130).unwrap();
    let published = handle.refresh_keys().await.unwrap();
    let ring = admin.load().unwrap();
    let active = ring.active(JoseAlg::Es256).unwrap().kid().to_string();
    assert_ne!(active, first.kid());
    assert!(
        published.contains(&active) && published.contains(&first.kid().to_string()),
        "{published:?}"
    );
    handle.shutdown().await;
}
