//! The OP's signing keys, which verify its notifications: its JWKS fetched
//! over TLS (`jwks_fetch`), cached, fetched again every
//! [`REFRESH`] and once when a notification names a `kid` the cache does
//! not hold (a key rotation), at most once a second (RFC 7515 §4.1.4:
//! `kid` selects the key; RFC 8725 §3.1: the key, never the header,
//! decides the algorithm).

use super::notification::NOTIFICATION_TYP;
use crate::jwks_fetch::JwksFetcher;
use crate::protocol::ciba::device_batch::BATCH_TYP;
use crate::protocol::jose::{ClientJwk, JoseError, VerifiedJws, verify_jws};
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// How long fetched keys are used before they are fetched again.
const REFRESH: Duration = Duration::from_secs(300);
/// Least time between two fetches caused by an unknown `kid`.
const MIN_REFETCH: Duration = Duration::from_secs(1);

/// The cached keys of the OP.
pub struct OpKeys {
    fetcher: JwksFetcher,
    jwks_uri: String,
    keys: RwLock<(Vec<ClientJwk>, Option<Instant>)>,
}

impl OpKeys {
    /// Keys fetched from `jwks_uri` with `fetcher` when first needed.
    pub fn new(fetcher: JwksFetcher, jwks_uri: String) -> Self {
        Self {
            fetcher,
            jwks_uri,
            keys: RwLock::new((Vec::new(), None)),
        }
    }

    /// Verifies the signature and `typ` of a notification (the single
    /// form's `ciba-request+jwt` or a batch's `ciba-requests+jwt`, RFC 8725
    /// §3.11; the caller reads which from the header); refetches the JWKS
    /// once when its `kid` is unknown.
    pub async fn verify(&self, compact: &str) -> Result<VerifiedJws<ClientJwk>, JoseError> {
        if self.fetched().is_none_or(|at| at.elapsed() >= REFRESH) {
            self.fetch().await;
        }
        match self.verify_cached(compact) {
            Err(JoseError::UnknownKid | JoseError::NoKeyForAlg)
                if self.fetched().is_none_or(|at| at.elapsed() >= MIN_REFETCH) =>
            {
                self.fetch().await;
                self.verify_cached(compact)
            }
            other => other,
        }
    }

    fn verify_cached(&self, compact: &str) -> Result<VerifiedJws<ClientJwk>, JoseError> {
        let keys = self.keys.read().map(|k| k.0.clone()).unwrap_or_default();
        let verified = verify_jws(compact, &keys, None)?;
        if verified.header.typ_is(BATCH_TYP) {
            return Ok(verified);
        }
        verified.header.require_typ(NOTIFICATION_TYP)?;
        Ok(verified)
    }

    fn fetched(&self) -> Option<Instant> {
        self.keys.read().ok().and_then(|k| k.1)
    }

    /// Fetches the JWKS; on failure the keys held stay.
    async fn fetch(&self) {
        let fetched = self.fetcher.fetch(&self.jwks_uri).await;
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
