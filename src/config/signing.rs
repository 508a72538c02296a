//! `[signing]`: where the OP's signing keys live and how they rotate.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Where the OP's signing keys live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SigningBackend {
    /// Keys in process memory. For development and tests only; the server
    /// warns at start-up.
    Software,
    /// Keys inside a PKCS#11 token (an HSM; SoftHSM in development), used
    /// through the signer pool. Keys never leave the device.
    Pkcs11,
}

/// A secret config value: never printed (`Debug`, `check-config`, logs).
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(secret: String) -> Self {
        Self(secret)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(if self.0.is_empty() { "" } else { "<redacted>" })
    }
}

/// `[signing]`: the keys behind `jwks_uri` and every signature the OP makes.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SigningConfig {
    /// `pkcs11` or `software`. Default `pkcs11`: keys stay in an HSM unless
    /// the software backend is chosen explicitly. Env `FIDUCIA_SIGNING__BACKEND`.
    pub backend: SigningBackend,
    /// JOSE algorithm the OP signs with: `ES256`, `PS256` or `EdDSA`.
    /// Default `ES256`. Env `FIDUCIA_SIGNING__ALG`.
    pub alg: fiducia_hsm::JoseAlg,
    /// Software backend: PKCS#8 PEM file holding the key, created (mode 0600)
    /// when missing so the JWKS survives restarts. Unset: a new key at every
    /// start. Default unset. Env `FIDUCIA_SIGNING__SOFTWARE_KEY_FILE`.
    pub software_key_file: Option<PathBuf>,
    /// PKCS#11: path of the module (`.so`). Unset: SoftHSM where Debian
    /// installs it. Default unset. Env `FIDUCIA_SIGNING__PKCS11_MODULE`.
    pub pkcs11_module: Option<PathBuf>,
    /// PKCS#11: label of the token holding the keys. Default `fiducia`.
    /// Env `FIDUCIA_SIGNING__TOKEN_LABEL`.
    pub token_label: String,
    /// PKCS#11: file holding the user PIN (first line). Preferred over `pin`.
    /// Default unset. Env `FIDUCIA_SIGNING__PIN_FILE`.
    pub pin_file: Option<PathBuf>,
    /// PKCS#11: the user PIN itself; better given through the environment
    /// than in a file. Never printed. Default unset. Env `FIDUCIA_SIGNING__PIN`.
    pub pin: Secret,
    /// SoftHSM only: its configuration file (the token directory). SoftHSM
    /// reads `SOFTHSM2_CONF` when loaded, so fiducia re-executes itself with
    /// it set to this file. Unset: the environment's. Default unset.
    /// Env `FIDUCIA_SIGNING__SOFTHSM_CONF`.
    pub softhsm_conf: Option<PathBuf>,
    /// PKCS#11: signer worker threads, one HSM session each. 0 = one per CPU.
    /// Default `0`. Env `FIDUCIA_SIGNING__WORKERS`.
    pub workers: usize,
    /// PKCS#11: signing requests that may wait; beyond it requests get 503.
    /// Default `1024`. Env `FIDUCIA_SIGNING__QUEUE_CAPACITY`.
    pub queue_capacity: usize,
    /// How long verifiers may cache the JWKS (its `Cache-Control: max-age`),
    /// and so how long a new key is published (by every node: after
    /// `key_refresh_secs`) before it may sign, in seconds. Default `300`.
    /// Env `FIDUCIA_SIGNING__JWKS_CACHE_TTL_SECS`.
    pub jwks_cache_ttl_secs: u64,
    /// The longest lifetime of anything the OP signs, in seconds: a retiring
    /// key stays published this long after its last signature.
    /// Default `86400`. Env `FIDUCIA_SIGNING__MAX_TOKEN_LIFETIME_SECS`.
    pub max_token_lifetime_secs: u64,
    /// How often a running server reloads key states from the HSM, in
    /// seconds (rotation without restart). Default `10`.
    /// Env `FIDUCIA_SIGNING__KEY_REFRESH_SECS`.
    pub key_refresh_secs: u64,
}

impl Default for SigningConfig {
    fn default() -> Self {
        Self {
            backend: SigningBackend::Pkcs11,
            alg: fiducia_hsm::JoseAlg::Es256,
            software_key_file: None,
            pkcs11_module: None,
            token_label: "fiducia".into(),
            pin_file: None,
            pin: Secret::default(),
            softhsm_conf: None,
            workers: 0,
            queue_capacity: 1024,
            jwks_cache_ttl_secs: 300,
            max_token_lifetime_secs: 86_400,
            key_refresh_secs: 10,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pin_is_never_printed() {
        let config = SigningConfig {
            pin: Secret("123456".into()),
            ..SigningConfig::default()
        };
        assert!(!format!("{config:?}").contains("123456"));
        assert!(!toml::to_string(&config).unwrap().contains("123456"));
        assert_eq!(config.pin.expose(), "123456");
    }
}
