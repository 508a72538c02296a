//! The load-test clients of a sandbox data directory: what
//! `fiducia-loadtest --sandbox DIR` plays. Only the data directory's config
//! gets them (not `config/sandbox.toml`, which must serve as it is without
//! the key files written here).
//!
//! - `sandbox-loadtest-mtls`: `tls_client_auth` (RFC 8705 §2.1) with the
//!   sample fintech's transport certificate;
//! - `sandbox-loadtest-pkjwt`: `private_key_jwt` (RFC 7523 §2.2) with
//!   ES256, EdDSA and PS256 keys the sandbox generates into `pki/clients/`
//!   (their public halves as one JWKS next to them);
//! - `sandbox-loadtest-ciba`: a FAPI CIBA poll client (OpenID Connect CIBA
//!   Core §4, FAPI CIBA §5.2.2): private_key_jwt and signed authentication
//!   requests (§7.1.1, ES256), both with the load-test ES256 key;
//! - `sandbox-loadtest-ciba-mtls`: the same with `tls_client_auth` (the
//!   sample fintech's certificate), its requests still signed with that key:
//!   a poll then costs the OP no signature check.
//!
//! All may make a million requests a second, so the per-client token bucket
//! never limits a load test.

use super::client_keys;
use fiducia_hsm::JoseAlg;
use std::path::Path;

/// The `tls_client_auth` load-test client.
pub const MTLS_CLIENT_ID: &str = "sandbox-loadtest-mtls";
/// The `private_key_jwt` load-test client.
pub const PKJWT_CLIENT_ID: &str = "sandbox-loadtest-pkjwt";
/// The private_key_jwt CIBA poll load-test client.
pub const CIBA_CLIENT_ID: &str = "sandbox-loadtest-ciba";
/// The tls_client_auth CIBA poll load-test client.
pub const CIBA_MTLS_CLIENT_ID: &str = "sandbox-loadtest-ciba-mtls";
/// Its private keys (PKCS#8 PEM), relative to the data directory, one per
/// signing algorithm FAPI 2.0 §5.4.1 allows, so that a load test can sign
/// with any (`fiducia-loadtest --alg`): P-256 (ES256), Ed25519 (EdDSA),
/// RSA 2048 (PS256).
pub const PKJWT_KEYS: [(JoseAlg, &str); 3] = [
    (JoseAlg::Es256, "pki/clients/sandbox-loadtest-pkjwt.key"),
    (JoseAlg::EdDsa, "pki/clients/sandbox-loadtest-pkjwt-eddsa.key"),
    (JoseAlg::Ps256, "pki/clients/sandbox-loadtest-pkjwt-ps256.key"),
];
/// Its public keys as a JWKS, relative to the data directory.
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

# CIBA poll clients (fiducia-loadtest --scenario ciba | ciba-pending): FAPI
# CIBA, authentication requests signed with the load-test ES256 key.
[[clients]]
client_id = "sandbox-loadtest-ciba"
client_name = "Sandbox Load Test (CIBA)"
redirect_uris = ["https://localhost:8443/sandbox/callback"]
token_endpoint_auth_method = "private_key_jwt"
jwks_file = "pki/clients/sandbox-loadtest-pkjwt.jwks.json"
scopes = ["openid", "profile", "email", "offline_access"]
backchannel_token_delivery_mode = "poll"
backchannel_authentication_request_signing_alg = "ES256"
requests_per_second = 1000000
burst = 1000000

[[clients]]
client_id = "sandbox-loadtest-ciba-mtls"
client_name = "Sandbox Load Test (CIBA, mTLS)"
redirect_uris = ["https://localhost:8443/sandbox/callback"]
token_endpoint_auth_method = "tls_client_auth"
tls_client_auth_subject_dn = "CN=sandbox-fintech,OU=0015800001041RHAAY,O=Sandbox Fintech Ltd,C=GB"
jwks_file = "pki/clients/sandbox-loadtest-pkjwt.jwks.json"
scopes = ["openid", "profile", "email", "offline_access"]
backchannel_token_delivery_mode = "poll"
backchannel_authentication_request_signing_alg = "ES256"
requests_per_second = 1000000
burst = 1000000
"#;

/// Writes the private_key_jwt client's key pairs and their JWKS unless all
/// are there (a data directory from before the EdDSA and PS256 keys gets
/// all three anew).
pub fn ensure_pkjwt_key(data_dir: &Path) -> anyhow::Result<()> {
    client_keys::ensure(data_dir, &PKJWT_KEYS, PKJWT_JWKS)
}

/// Inserts [`CLIENTS_TOML`] before the `[signing]` section (or at the end).
pub fn with_loadtest_clients(config: &str) -> String {
    client_keys::before_signing(config, CLIENTS_TOML)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FAPI 2.0 §5.4.1's three algorithms: a key each, one JWKS; kept once
    /// written; a data directory missing one gets all three anew.
    #[test]
    fn the_pkjwt_client_gets_a_key_per_fapi_alg_in_one_jwks() {
        let dir = tempfile::tempdir().unwrap();
        ensure_pkjwt_key(dir.path()).unwrap();
        let read_jwks = || std::fs::read_to_string(dir.path().join(PKJWT_JWKS)).unwrap();
        let jwks: serde_json::Value = serde_json::from_str(&read_jwks()).unwrap();
        let ktys: Vec<&str> = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kty"].as_str().unwrap())
            .collect();
        assert_eq!(ktys, ["EC", "OKP", "RSA"]);
        for (_, file) in PKJWT_KEYS {
            let pem = std::fs::read_to_string(dir.path().join(file)).unwrap();
            assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "{file}");
        }
        let written = read_jwks();
        ensure_pkjwt_key(dir.path()).unwrap();
        assert_eq!(read_jwks(), written, "kept");
        std::fs::remove_file(dir.path().join(PKJWT_KEYS[1].1)).unwrap();
        ensure_pkjwt_key(dir.path()).unwrap();
        assert!(dir.path().join(PKJWT_KEYS[1].1).exists());
        assert_ne!(read_jwks(), written, "all anew");
    }

    #[test]
    fn clients_go_before_signing_and_the_config_still_parses() {
        let text = with_loadtest_clients(super::super::layout::SANDBOX_TOML);
        let signing = text.find("\n[signing]").unwrap();
        assert!(text.find(MTLS_CLIENT_ID).unwrap() < signing);
        assert!(text.find(PKJWT_CLIENT_ID).unwrap() < signing);
        assert!(text.find(CIBA_MTLS_CLIENT_ID).unwrap() < signing);
        let raw = crate::config::load_from_str(&text, Vec::new()).unwrap();
        let base = raw.clients.len() - 4;
        assert_eq!(raw.clients[base + 1].requests_per_second, 1_000_000);
        // CIBA Core §4 metadata of the two CIBA clients: poll, ES256-signed
        // requests (FAPI CIBA §5.2.2 allows no push).
        for id in [CIBA_CLIENT_ID, CIBA_MTLS_CLIENT_ID] {
            let client = raw.clients.iter().find(|c| c.client_id == id).unwrap();
            let ciba = client.ciba_metadata().unwrap();
            assert_eq!(
                ciba.backchannel_token_delivery_mode,
                crate::protocol::ciba::DeliveryMode::Poll
            );
            assert_eq!(
                ciba.backchannel_authentication_request_signing_alg,
                Some(JoseAlg::Es256)
            );
            assert!(client.ciba_fapi);
        }
    }

    /// The data directory's config with the load-test clients passes the
    /// OP's start-up checks (their CIBA metadata included) once their key
    /// files are there.
    #[test]
    fn a_data_directory_config_with_the_loadtest_clients_validates() {
        let dir = tempfile::tempdir().unwrap();
        ensure_pkjwt_key(dir.path()).unwrap();
        let text = with_loadtest_clients(super::super::layout::SANDBOX_TOML);
        let raw = crate::config::load_from_str(&text, Vec::new()).unwrap();
        let validated = crate::config::validate(raw, dir.path()).unwrap();
        let ids: Vec<&str> = validated
            .get()
            .clients
            .iter()
            .map(|c| c.client_id.as_str())
            .collect();
        for id in [
            MTLS_CLIENT_ID,
            PKJWT_CLIENT_ID,
            CIBA_CLIENT_ID,
            CIBA_MTLS_CLIENT_ID,
        ] {
            assert!(ids.contains(&id), "{id}: {ids:?}");
        }
    }
}
