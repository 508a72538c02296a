//! The trusted issuers' signing keys (`[[config_api.trusted_issuers]]`):
//! a JWKS file read at start-up, a `jwks_uri` fetched through
//! `jwks_fetch` (https, bounded size and time) and cached — fetched again
//! every `config_api.jwks_refresh_secs` and, on a `kid` it does not know,
//! at most once a second — or, for the OP itself, the keys this node
//! publishes at `/jwks` (the key manager's current set).
//!
//! Verification is `protocol::jose::verify_jws` with `typ` `at+jwt`: the
//! algorithm is the selected key's (ES256, PS256, EdDSA: the OP's list),
//! never `none` and never HMAC (RFC 8725 §3.1, RFC 9068 §4 item 4).

use super::access_token::TYP;
use super::refusal::Reason;
use crate::config::ConfigApiConfig;
use crate::jwks_fetch::JwksFetcher;
use crate::protocol::jose::{ClientJwk, ClientJwks, JoseError, verify_jws};
use crate::signing::KeySet;
use anyhow::Context;
use serde_json::{Map, Value};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Least time between two fetches of a `jwks_uri` on an unknown `kid`.
const MIN_REFETCH: Duration = Duration::from_secs(1);

/// Where an issuer's keys come from.
enum KeySource {
    /// Read once from a file.
    File(Vec<ClientJwk>),
    /// Fetched and cached.
    Uri(Box<Fetched>),
    /// This OP's published keys.
    Own(watch::Receiver<Arc<KeySet>>),
}

struct Fetched {
    uri: String,
    fetcher: JwksFetcher,
    refresh: Duration,
    cache: RwLock<(Vec<ClientJwk>, Option<Instant>)>,
    fetching: tokio::sync::Mutex<()>,
}

/// The issuers and their keys.
pub struct TrustedIssuers {
    issuers: Vec<(String, KeySource)>,
}

impl TrustedIssuers {
    /// Loads the files of `config`; `own` is this OP's published keys, for
    /// the entry without a JWKS (the OP's own issuer: `config/config_api.rs`
    /// allows no other).
    pub fn load(
        config: &ConfigApiConfig,
        own: watch::Receiver<Arc<KeySet>>,
        fetcher: &JwksFetcher,
    ) -> anyhow::Result<Self> {
        let mut issuers = Vec::new();
        for (i, entry) in config.trusted_issuers.iter().enumerate() {
            let source = match (&entry.jwks_file, &entry.jwks_uri) {
                (Some(path), _) => {
                    let bytes = std::fs::read(path).with_context(|| {
                        format!(
                            "config_api.trusted_issuers[{i}].jwks_file: cannot read {}",
                            path.display()
                        )
                    })?;
                    let jwks = ClientJwks::parse(&bytes)
                        .with_context(|| format!("config_api.trusted_issuers[{i}].jwks_file"))?;
                    KeySource::File(jwks.keys)
                }
                (None, Some(uri)) => KeySource::Uri(Box::new(Fetched {
                    uri: uri.clone(),
                    fetcher: fetcher.clone(),
                    refresh: Duration::from_secs(config.jwks_refresh_secs),
                    cache: RwLock::new((Vec::new(), None)),
                    fetching: tokio::sync::Mutex::new(()),
                })),
                (None, None) => KeySource::Own(own.clone()),
            };
            issuers.push((entry.issuer.clone(), source));
        }
        Ok(Self { issuers })
    }

    /// Verifies `token`'s signature with `issuer`'s keys and returns its
    /// claims; an issuer not listed is [`Reason::UntrustedIssuer`].
    pub async fn verify(&self, issuer: &str, token: &str) -> Result<Map<String, Value>, Reason> {
        let (_, source) = self
            .issuers
            .iter()
            .find(|(name, _)| name == issuer)
            .ok_or(Reason::UntrustedIssuer)?;
        let checked = match source {
            KeySource::File(keys) => verify_jws(token, keys, Some(TYP)),
            KeySource::Own(keys) => {
                let jwks = keys.borrow().jwks_json.clone();
                let keys = ClientJwks::parse(&jwks).map(|j| j.keys).unwrap_or_default();
                verify_jws(token, &keys, Some(TYP))
            }
            KeySource::Uri(fetched) => fetched.verify(token).await,
        };
        checked.map(|v| v.claims).map_err(Reason::of_jose)
    }
}

impl Fetched {
    async fn verify(&self, token: &str) -> Result<crate::protocol::jose::VerifiedJws<ClientJwk>, JoseError> {
        if self.fetched_at().is_none_or(|at| at.elapsed() >= self.refresh) {
            self.fetch(self.refresh).await;
        }
        match verify_jws(token, &self.keys(), Some(TYP)) {
            Err(JoseError::UnknownKid | JoseError::NoKeyForAlg) => {
                self.fetch(MIN_REFETCH).await;
                verify_jws(token, &self.keys(), Some(TYP))
            }
            other => other,
        }
    }

    fn keys(&self) -> Vec<ClientJwk> {
        self.cache.read().map(|c| c.0.clone()).unwrap_or_default()
    }

    fn fetched_at(&self) -> Option<Instant> {
        self.cache.read().ok().and_then(|c| c.1)
    }

    /// Fetches unless another fetch happened within `min_age`; on failure
    /// the keys fetched before stay.
    async fn fetch(&self, min_age: Duration) {
        let _one_at_a_time = self.fetching.lock().await;
        if self.fetched_at().is_some_and(|at| at.elapsed() < min_age) {
            return;
        }
        let fetched = self.fetcher.fetch(&self.uri).await;
        if let Ok(mut cache) = self.cache.write() {
            cache.1 = Some(Instant::now());
            match fetched {
                Ok(jwks) => cache.0 = jwks.keys,
                Err(error) => {
                    tracing::warn!(uri = %self.uri, %error, "a trusted issuer's JWKS could not be fetched")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TrustedIssuerConfig;
    use fiducia_hsm::{JoseAlg, Signer, SoftwareSigner};

    /// RFC 8725 §3.1, RFC 9068 §4 item 4: `none` and HMAC never verify,
    /// whatever key the issuer has; a wrong `typ` is its own reason.
    #[tokio::test]
    async fn none_and_hmac_never_verify_and_typ_is_at_jwt() {
        let key = SoftwareSigner::generate(JoseAlg::Es256).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("jwks.json");
        std::fs::write(
            &file,
            serde_json::json!({ "keys": [key.public_jwk()] }).to_string(),
        )
        .unwrap();
        let config = ConfigApiConfig {
            trusted_issuers: vec![TrustedIssuerConfig {
                issuer: "https://iam.example".into(),
                jwks_file: Some(file),
                jwks_uri: None,
            }],
            ..ConfigApiConfig::default()
        };
        let (_tx, rx) = watch::channel(Arc::new(KeySet::empty()));
        let issuers = TrustedIssuers::load(&config, rx, &JwksFetcher::new(&[]).unwrap()).unwrap();
        let b64 = |v: serde_json::Value| {
            use base64::Engine as _;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        let payload = b64(serde_json::json!({ "iss": "https://iam.example" }));
        for header in [
            serde_json::json!({ "alg": "none", "typ": "at+jwt" }),
            serde_json::json!({ "alg": "HS256", "typ": "at+jwt", "kid": key.key_id() }),
        ] {
            let token = format!("{}.{payload}.c2ln", b64(header.clone()));
            let refused = issuers.verify("https://iam.example", &token).await.unwrap_err();
            assert_eq!(refused, Reason::BadSignature, "{header}");
        }
        let mut typ = serde_json::Map::new();
        typ.insert("typ".into(), "JWT".into());
        let jwt = fiducia_hsm::sign_jws(&key, typ, br#"{"iss":"https://iam.example"}"#)
            .await
            .unwrap();
        assert_eq!(
            issuers.verify("https://iam.example", &jwt).await,
            Err(Reason::WrongTyp)
        );
        assert_eq!(
            issuers.verify("https://other.example", &jwt).await,
            Err(Reason::UntrustedIssuer)
        );
        let mut at = serde_json::Map::new();
        at.insert("typ".into(), "at+jwt".into());
        let good = fiducia_hsm::sign_jws(&key, at, br#"{"iss":"https://iam.example"}"#)
            .await
            .unwrap();
        assert!(issuers.verify("https://iam.example", &good).await.is_ok());
    }
}
