//! The sandbox's CIBA fintech as the demo plays it: `private_key_jwt`
//! client assertions (RFC 7523 §2.2, §3: `iss` = `sub` = `client_id`,
//! `aud` the issuer as FAPI 2.0 §5.3.2.1 asks, short `exp`, a fresh
//! `jti`) signed with the key the sandbox generated
//! (`sandbox::ciba_client`), sent over mutual TLS with the fintech's
//! certificate so that its tokens are bound to it (RFC 8705 §3).

use super::authorize::random;
use crate::protocol::client_auth::JWT_BEARER_ASSERTION_TYPE;
use crate::sandbox::ciba_client::{CIBA_CLIENT_ALG, CIBA_CLIENT_ID, CIBA_CLIENT_KEY};
use anyhow::{Context, anyhow};
use fiducia_hsm::{SoftwareSigner, sign_jws};
use serde_json::{Map, Value, json};
use std::path::Path;

/// Lifetime of a client assertion and of a signed authentication request.
pub const JWT_LIFETIME_SECS: u64 = 60;

/// The CIBA client: its id and signing key.
pub struct CibaClient {
    /// `client_id`.
    pub client_id: String,
    signer: SoftwareSigner,
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl CibaClient {
    /// The client of the sandbox in `data_dir`, its key read from there.
    pub fn load(data_dir: &Path) -> anyhow::Result<Self> {
        let file = data_dir.join(CIBA_CLIENT_KEY);
        let pem = std::fs::read_to_string(&file).with_context(|| {
            format!(
                "cannot read the CIBA client's key {} (restart the sandbox to create it)",
                file.display()
            )
        })?;
        let signer = SoftwareSigner::from_pkcs8_pem(CIBA_CLIENT_ALG, &pem).map_err(|e| {
            anyhow!(
                "{}: not the CIBA client's {CIBA_CLIENT_ALG} key: {e}",
                file.display()
            )
        })?;
        Ok(Self {
            client_id: CIBA_CLIENT_ID.to_string(),
            signer,
        })
    }

    /// A JWS of `claims` signed with the client's key.
    pub async fn sign(&self, claims: &Value) -> anyhow::Result<String> {
        sign_jws(&self.signer, Map::new(), claims.to_string().as_bytes())
            .await
            .map_err(|e| anyhow!("signing with the CIBA client's key: {e}"))
    }

    /// The client authentication parameters of one request to `issuer`:
    /// `client_id`, `client_assertion_type` and a fresh `client_assertion`.
    pub async fn authentication(&self, issuer: &str) -> anyhow::Result<Vec<(&'static str, String)>> {
        let claims = assertion_claims(&self.client_id, issuer, now(), &random(16)?);
        Ok(vec![
            ("client_id", self.client_id.clone()),
            ("client_assertion_type", JWT_BEARER_ASSERTION_TYPE.to_string()),
            ("client_assertion", self.sign(&claims).await?),
        ])
    }
}

/// RFC 7523 §3 claims of a client assertion.
pub fn assertion_claims(client_id: &str, issuer: &str, now: u64, jti: &str) -> Value {
    json!({
        "iss": client_id, "sub": client_id, "aud": issuer,
        "iat": now, "exp": now + JWT_LIFETIME_SECS, "jti": jti,
    })
}

/// `params` as the borrowed pairs a form takes.
pub fn pairs<'a>(params: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    params.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assertions_name_the_client_and_the_issuer_rfc7523_s3() {
        let claims = assertion_claims("c1", "https://op", 100, "j1");
        assert_eq!(
            (claims["iss"].as_str(), claims["sub"].as_str()),
            (Some("c1"), Some("c1"))
        );
        assert_eq!(claims["aud"], "https://op");
        assert_eq!(claims["exp"], 100 + JWT_LIFETIME_SECS);
        assert_eq!(claims["jti"], "j1");
    }

    #[tokio::test]
    async fn the_sandbox_key_signs_what_its_jwks_verifies() {
        let dir = tempfile::tempdir().unwrap();
        crate::sandbox::ciba_client::ensure_key(dir.path()).unwrap();
        let client = CibaClient::load(dir.path()).unwrap();
        let jws = client.sign(&json!({"a": 1})).await.unwrap();
        let jwks = std::fs::read(dir.path().join(crate::sandbox::ciba_client::CIBA_CLIENT_JWKS)).unwrap();
        let keys = crate::protocol::jose::ClientJwks::parse(&jwks).unwrap().keys;
        let verified = crate::protocol::jose::verify_jws(&jws, &keys, None).unwrap();
        assert_eq!(verified.claims["a"], 1);
        assert!(CibaClient::load(&dir.path().join("missing")).is_err());
    }
}
