//! RFC 9068 JWT access tokens verified offline: the OP's JWKS is fetched
//! (through the gateway's HTTPS client) and cached, fetched again every
//! `op.jwks_refresh_secs` and once on an unknown `kid` (at most every
//! second). A revoked JWT access token is accepted until it expires: use
//! introspection where that matters.

use super::errors::Refusal;
use super::https_client::HttpsClient;
use super::token_info::TokenInfo;
use crate::protocol::jose::{ClientJwk, ClientJwks, JoseError, claims, verify_jws};
use bytes::Bytes;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// RFC 9068 §2.1 `typ`.
const AT_JWT_TYP: &str = "at+jwt";
/// Least time between two fetches on an unknown `kid`.
const MIN_REFETCH: Duration = Duration::from_secs(1);

/// Verifies JWT access tokens against the OP's keys.
pub struct JwtVerifier {
    client: Arc<HttpsClient>,
    jwks_uri: String,
    issuer: String,
    audience: String,
    refresh: Duration,
    keys: RwLock<(Vec<ClientJwk>, Option<Instant>)>,
}

impl JwtVerifier {
    /// A verifier for tokens of `issuer` with `aud` = `audience`.
    pub fn new(
        client: Arc<HttpsClient>,
        jwks_uri: String,
        issuer: String,
        audience: String,
        refresh: Duration,
    ) -> Self {
        Self {
            client,
            jwks_uri,
            issuer,
            audience,
            refresh,
            keys: RwLock::new((Vec::new(), None)),
        }
    }

    /// RFC 9068 §4: signature by the OP, `typ`, `iss`, `aud`, `exp`.
    pub async fn token_info(&self, token: &str, now: u64) -> Result<TokenInfo, Refusal> {
        let stale = self.fetched().is_none_or(|at| at.elapsed() >= self.refresh);
        if stale {
            self.fetch().await;
        }
        let verified = match self.verify(token) {
            Err(JoseError::UnknownKid | JoseError::NoKeyForAlg)
                if self.fetched().is_none_or(|at| at.elapsed() >= MIN_REFETCH) =>
            {
                self.fetch().await;
                self.verify(token)
            }
            other => other,
        }
        .map_err(|e| Refusal::InvalidToken(format!("access token: {e}")))?;
        let claims = verified.claims;
        let invalid = |why: &str| Refusal::InvalidToken(why.to_string());
        if claims::string(&claims, "iss").ok().flatten() != Some(self.issuer.as_str()) {
            return Err(invalid("the access token is from another issuer (RFC 9068 §4)"));
        }
        let audience = claims::audience(&claims).ok().flatten();
        if !audience.is_some_and(|aud| aud.contains(&self.audience)) {
            return Err(invalid("the access token is for another audience (RFC 9068 §4)"));
        }
        TokenInfo::from_claims(&claims, now)
    }

    fn verify(&self, token: &str) -> Result<crate::protocol::jose::VerifiedJws<ClientJwk>, JoseError> {
        let keys = self.keys.read().map(|k| k.0.clone()).unwrap_or_default();
        verify_jws(token, &keys, Some(AT_JWT_TYP))
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
