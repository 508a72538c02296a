//! Server-provided DPoP nonces (RFC 9449 §8, §9): with `tokens.dpop_nonce`
//! the OP requires proofs to carry a nonce it issued, which bounds how long
//! a pre-generated proof is useful. Nonces are stateless: base64url of
//! HMAC-SHA-256(key, window) for 60-second windows; the current and the
//! previous window are accepted. The key is one random secret shared by all
//! nodes through the store, so any node accepts any node's nonce.

use crate::store::keys::Kind;
use crate::store::kv::KvError;
use crate::store::repo::{Links, Repo, StoredRecord, ops};
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// Width of a nonce window, seconds.
pub const WINDOW_SECS: u64 = 60;

/// Store id of the shared nonce key.
const KEY_ID: &str = "dpop-nonce-key";

/// The shared HMAC key, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct NonceKey {
    secret: [u8; 32],
}

impl StoredRecord for NonceKey {
    const KIND: Kind = Kind::SigningKey;
    fn links(&self) -> Links {
        Links::default()
    }
}

/// Issues and checks nonces.
#[derive(Clone)]
pub struct DpopNonces {
    key: hmac::Key,
}

impl std::fmt::Debug for DpopNonces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DpopNonces(<key>)")
    }
}

impl DpopNonces {
    /// Loads the shared key from the store, creating it on first use.
    pub async fn load(repo: &Repo, now: u64) -> Result<Self, KvError> {
        let mut fresh = [0u8; 32];
        aws_lc_rs::rand::fill(&mut fresh).map_err(|_| KvError::Backend("random generator failed".into()))?;
        let secret = repo
            .store()
            .run(|tx, _| async move {
                if let Some(found) = ops::find::<NonceKey>(&tx, KEY_ID, now).await? {
                    return Ok(found.payload.secret);
                }
                ops::upsert(&tx, KEY_ID, &NonceKey { secret: fresh }, None, now).await?;
                Ok(fresh)
            })
            .await?;
        Ok(Self::from_secret(&secret))
    }

    /// Nonces keyed with `secret` (tests).
    pub fn from_secret(secret: &[u8]) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
        }
    }

    /// The nonce to hand out at `now` (the `DPoP-Nonce` header).
    pub fn current(&self, now: u64) -> String {
        self.for_window(now / WINDOW_SECS)
    }

    /// The nonce of the previous window, still accepted.
    pub fn previous(&self, now: u64) -> String {
        self.for_window((now / WINDOW_SECS).saturating_sub(1))
    }

    fn for_window(&self, window: u64) -> String {
        URL_SAFE_NO_PAD.encode(hmac::sign(&self.key, &window.to_be_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_change_per_window_and_the_previous_one_is_known() {
        let nonces = DpopNonces::from_secret(b"k");
        assert_eq!(nonces.current(120), nonces.current(179));
        assert_ne!(nonces.current(179), nonces.current(180));
        assert_eq!(nonces.previous(180), nonces.current(179));
        assert_ne!(
            DpopNonces::from_secret(b"other").current(120),
            nonces.current(120)
        );
    }
}
