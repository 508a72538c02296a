//! The load-test clients of a sandbox data directory: what
//! `fiducia-loadtest --sandbox DIR` plays. Only the data directory's config
//! gets them (not `config/sandbox.toml`, which must serve as it is without
//! the key files written here).
//!
//! - `sandbox-loadtest-mtls`: `tls_client_auth` (RFC 8705 §2.1) with the
//!   sample fintech's transport certificate;
//! - `sandbox-loadtest-pkjwt`: `private_key_jwt` (RFC 7523 §2.2) with an
//!   ES256 key the sandbox generates into `pki/clients/` (its public half as
//!   a JWKS next to it).
//!
//! Both may make a million requests a second, so the per-client token bucket
//! never limits a load test.

use crate::pki;
use anyhow::Context;
use std::path::Path;

/// The `tls_client_auth` load-test client.
pub const MTLS_CLIENT_ID: &str = "sandbox-loadtest-mtls";
/// The `private_key_jwt` load-test client.
pub const PKJWT_CLIENT_ID: &str = "sandbox-loadtest-pkjwt";
/// Its private key (PKCS#8 PEM, P-256), relative to the data directory.
pub const PKJWT_KEY: &str = "pki/clients/sandbox-loadtest-pkjwt.key";
/// Its public key as a JWKS, relative to the data directory.
pub const PKJWT_JWKS: &str = "pki/clients/sandbox-loadtest-pkjwt.jwks.json";

/// The `[[clients]]` entries added to a data directory's config.
pub const CLIENTS_TOML: &str = r#"
# Load-test clients (fiducia-loadtest --sandbox <data dir>): no rate limit.
[[clients]]
client_id = "sandbox-loadtest-mtls"
client_name = "Sandbox Load Test (mTLS)"
redirect_uris = ["https://localhost:8443/sandbox/callback"]
token_endpoint_auth_method = "tls_client_auth"
tls_client_auth_subject_dn = "CN=sandbox-fintech,OU=0015800001041RHAAY,O=Sandbox Fintech Ltd,C=GB"
scopes = ["openid", "profile", "email", "offline_access"]
requests_per_second = 1000000
burst = 1000000

[[clients]]
client_id = "sandbox-loadtest-pkjwt"
client_name = "Sandbox Load Test (private_key_jwt)"
redirect_uris = ["https://localhost:8443/sandbox/callback"]
token_endpoint_auth_method = "private_key_jwt"
jwks_file = "pki/clients/sandbox-loadtest-pkjwt.jwks.json"
scopes = ["openid", "profile", "email", "offline_access"]
requests_per_second = 1000000
burst = 1000000
"#;

/// Writes the private_key_jwt client's key pair unless it is there.
pub fn ensure_pkjwt_key(data_dir: &Path) -> anyhow::Result<()> {
    let key_file = data_dir.join(PKJWT_KEY);
    let jwks_file = data_dir.join(PKJWT_JWKS);
    if key_file.exists() && jwks_file.exists() {
        return Ok(());
    }
    if let Some(dir) = key_file.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .context("cannot generate the load-test client's key")?;
    let jwk = fiducia_hsm::PublicJwk::ec_p256_uncompressed(key.public_key_raw())
        .map_err(|e| anyhow::anyhow!("load-test client key: {e}"))?;
    let jwks = serde_json::json!({ "keys": [jwk] }).to_string();
    pki::write_private_file(&key_file, key.serialize_pem().as_bytes())
        .with_context(|| format!("cannot write {}", key_file.display()))?;
    std::fs::write(&jwks_file, jwks).with_context(|| format!("cannot write {}", jwks_file.display()))?;
    Ok(())
}

/// Inserts [`CLIENTS_TOML`] before the `[signing]` section (or at the end).
pub fn with_loadtest_clients(config: &str) -> String {
    match config.find("\n[signing]") {
        Some(i) => format!("{}{CLIENTS_TOML}{}", &config[..i], &config[i..]),
        None => format!("{config}\n{CLIENTS_TOML}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_go_before_signing_and_the_config_still_parses() {
        let text = with_loadtest_clients(super::super::SANDBOX_TOML);
        let signing = text.find("\n[signing]").unwrap();
        assert!(text.find(MTLS_CLIENT_ID).unwrap() < signing);
        assert!(text.find(PKJWT_CLIENT_ID).unwrap() < signing);
        let raw = crate::config::load_from_str(&text, Vec::new()).unwrap();
        assert_eq!(raw.clients.len(), 3);
        assert_eq!(raw.clients[2].requests_per_second, 1_000_000);
    }
}
