//! The sandbox's CIBA fintech (`fiducia demo ciba-payment` plays it): a
//! static client of the data directory's config in FAPI CIBA poll mode
//! (CIBA Core §4 `backchannel_token_delivery_mode = "poll"`; FAPI CIBA
//! §5.2.2: signed authentication requests, here ES256), authenticating
//! with `private_key_jwt` (RFC 7523 §2.2) under a P-256 key the sandbox
//! generates into `pki/clients/` with its JWKS (`client_keys.rs`). Like the
//! load-test clients it lives only in the data directory's config, because
//! `config/sandbox.toml` must serve as it is without the key files written
//! here; a data directory made before it gets it at the next start.

use super::client_keys;
use anyhow::Context;
use fiducia_hsm::JoseAlg;
use std::path::Path;

/// Its `client_id`.
pub const CIBA_CLIENT_ID: &str = "sandbox-ciba-fintech";
/// The algorithm of its client assertions and signed authentication
/// requests (`backchannel_authentication_request_signing_alg`).
pub const CIBA_CLIENT_ALG: JoseAlg = JoseAlg::Es256;
/// Its private key (PKCS#8 PEM), relative to the data directory.
pub const CIBA_CLIENT_KEY: &str = "pki/clients/sandbox-ciba-fintech.key";
/// Its public key as a JWKS, relative to the data directory.
pub const CIBA_CLIENT_JWKS: &str = "pki/clients/sandbox-ciba-fintech.jwks.json";

/// Its `[[clients]]` entry.
pub const CIBA_CLIENT_TOML: &str = r#"
# The sandbox's CIBA fintech (fiducia demo ciba-payment): FAPI CIBA in poll
# mode, signed authentication requests (ES256), private_key_jwt with the key
# pki/clients/sandbox-ciba-fintech.key. Its tokens are bound to the
# certificate it calls with (RFC 8705 §3).
[[clients]]
client_id = "sandbox-ciba-fintech"
client_name = "Sandbox Till Payments Ltd"
redirect_uris = ["https://localhost:8443/sandbox/callback"]
token_endpoint_auth_method = "private_key_jwt"
jwks_file = "pki/clients/sandbox-ciba-fintech.jwks.json"
scopes = ["openid", "payments", "accounts"]
authorization_details_types = ["payment_initiation"]
backchannel_token_delivery_mode = "poll"
backchannel_authentication_request_signing_alg = "ES256"
"#;

/// Writes its key and JWKS unless there.
pub fn ensure_key(data_dir: &Path) -> anyhow::Result<()> {
    client_keys::ensure(data_dir, &[(CIBA_CLIENT_ALG, CIBA_CLIENT_KEY)], CIBA_CLIENT_JWKS)
}

/// Adds its entry to `config` (before `[signing]`) unless it has it.
pub fn with_ciba_client(config: &str) -> String {
    match config.contains(&format!("client_id = \"{CIBA_CLIENT_ID}\"")) {
        true => config.to_string(),
        false => client_keys::before_signing(config, CIBA_CLIENT_TOML),
    }
}

/// Adds its entry to the data directory's config file when missing (a
/// data directory from before it).
pub fn ensure_in_config(config_file: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(config_file)
        .with_context(|| format!("cannot read {}", config_file.display()))?;
    let with = with_ciba_client(&text);
    if with != text {
        tracing::info!(config = %config_file.display(), "adding the sandbox CIBA client");
        std::fs::write(config_file, with)
            .with_context(|| format!("cannot write {}", config_file.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ciba_client_is_a_fapi_ciba_poll_client_with_signed_requests() {
        let text = with_ciba_client(super::super::layout::SANDBOX_TOML);
        assert!(text.find(CIBA_CLIENT_ID).unwrap() < text.find("\n[signing]").unwrap());
        assert_eq!(with_ciba_client(&text), text, "added once");
        let raw = crate::config::load_from_str(&text, Vec::new()).unwrap();
        let client = raw
            .clients
            .iter()
            .find(|c| c.client_id == CIBA_CLIENT_ID)
            .unwrap();
        let ciba = client.ciba_metadata().unwrap();
        // CIBA Core §4; FAPI CIBA §5.2.2: poll, signed requests.
        assert_eq!(
            ciba.backchannel_token_delivery_mode,
            crate::protocol::ciba::DeliveryMode::Poll
        );
        assert_eq!(
            ciba.backchannel_authentication_request_signing_alg,
            Some(CIBA_CLIENT_ALG)
        );
        assert!(client.ciba_fapi);
        assert_eq!(client.jwks_file.as_deref(), Some(Path::new(CIBA_CLIENT_JWKS)));
        for scope in ["openid", "payments", "accounts"] {
            assert!(client.scopes.iter().any(|s| s == scope), "{scope}");
        }
    }

    #[test]
    fn its_key_matches_its_jwks() {
        let dir = tempfile::tempdir().unwrap();
        ensure_key(dir.path()).unwrap();
        let pem = std::fs::read_to_string(dir.path().join(CIBA_CLIENT_KEY)).unwrap();
        let signer = fiducia_hsm::SoftwareSigner::from_pkcs8_pem(CIBA_CLIENT_ALG, &pem).unwrap();
        let jwks: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join(CIBA_CLIENT_JWKS)).unwrap()).unwrap();
        assert_eq!(jwks["keys"][0]["kid"], fiducia_hsm::Signer::key_id(&signer));
        ensure_key(dir.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join(CIBA_CLIENT_KEY)).unwrap(),
            pem,
            "kept"
        );
    }
}
