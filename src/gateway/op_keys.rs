//! The OP's public keys as the gateway knows them: its JWKS, fetched
//! through the gateway's HTTPS client and cached, fetched again every
//! `op.jwks_refresh_secs` and once on an unknown `kid` (at most every
//! second). What verifies the OP's JWTs: RFC 9068 access tokens (`jwt`)
//! and revocation notices (`revocation_notice`).

use super::https_client::HttpsClient;
use crate::protocol::jose::{ClientJwk, ClientJwks, JoseError, VerifiedJws, verify_jws};
use bytes::Bytes;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Least time between two fetches on an unknown `kid`.
const MIN_REFETCH: Duration = Duration::from_secs(1);

/// The OP's JWKS, cached.
pub struct OpKeys {
    client: Arc<HttpsClient>,
    jwks_uri: String,
    refresh: Duration,
    keys: RwLock<(Vec<ClientJwk>, Option<Instant>)>,
}

impl OpKeys {
    /// Keys fetched from `jwks_uri` through `client`, again every `refresh`.
    pub fn new(client: Arc<HttpsClient>, jwks_uri: String, refresh: Duration) -> Self {
        Self {
            client,
            jwks_uri,
            refresh,
            keys: RwLock::new((Vec::new(), None)),
        }
    }

    /// Verifies the compact JWS `jws` (RFC 7515 §5.2) with the OP's keys,
    /// its header `typ` being `typ` (RFC 8725 §3.11); fetches the keys
    /// first when stale, and again once on an unknown `kid`.
    pub async fn verify(&self, jws: &str, typ: &str) -> Result<VerifiedJws<ClientJwk>, JoseError> {
        let stale = self.fetched().is_none_or(|at| at.elapsed() >= self.refresh);
        if stale {
            self.fetch().await;
        }
        match self.verify_now(jws, typ) {
            Err(JoseError::UnknownKid | JoseError::NoKeyForAlg)
                if self.fetched().is_none_or(|at| at.elapsed() >= MIN_REFETCH) =>
            {
                self.fetch().await;
                self.verify_now(jws, typ)
            }
            other => other,
        }
    }

    fn verify_now(&self, jws: &str, typ: &str) -> Result<VerifiedJws<ClientJwk>, JoseError> {
        let keys = self.keys.read().map(|k| k.0.clone()).unwrap_or_default();
        verify_jws(jws, &keys, Some(typ))
    }

    fn fetched(&self) -> Option<Instant> {
        self.keys.read().ok().and_then(|k| k.1)
    }

    /// Fetches the JWKS; on failure the old keys stay.
    async fn fetch(&self) {
        let request = http::Request::get(&self.jwks_uri)
            .header(http::header::ACCEPT, "application/jwk-set+json, application/json")
            .body(Bytes::new());
        let fetched = match request {
            Ok(request) => self.client.send(request).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        }
        .and_then(|response| match response.status().is_success() {
            true => ClientJwks::parse(response.body()).map_err(|e| e.to_string()),
            false => Err(format!("answered {}", response.status())),
        });
        if let Ok(mut keys) = self.keys.write() {
            keys.1 = Some(Instant::now());
            match fetched {
                Ok(jwks) => keys.0 = jwks.keys,
                Err(error) => {
                    tracing::warn!(uri = %self.jwks_uri, %error, "the OP's JWKS could not be fetched")
                }
            }
        }
    }
}
