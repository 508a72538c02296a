//! Opaque tokens: RFC 7662 introspection at the OP as the gateway's
//! resource-server credential (its certificate + `client_id`), answers
//! cached by the token's SHA-256.
//!
//! Revocation: a cached answer lives at most `op.cache_ttl_secs` and never
//! past the token's `exp`, so a token revoked at the OP is refused at most
//! that long after. A revocation notice the OP signed (`POST /revocations`
//! on the gateway's admin listener, `revocation_notice`) drops at once the
//! entries of the tokens it names and every entry whose `grant_id` is a
//! revoked grant ([`Introspector::forget`]); inactive answers are never
//! cached, so a token is refused as soon as the OP says so.

use super::errors::Refusal;
use super::https_client::HttpsClient;
use super::metrics as m;
use super::token_info::TokenInfo;
use crate::protocol::revocation_notice::Notice;
use aws_lc_rs::digest::{SHA256, digest};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Most entries kept; beyond it expired ones are dropped, then all.
const MAX_ENTRIES: usize = 100_000;

/// Asks the OP about tokens.
pub struct Introspector {
    client: Arc<HttpsClient>,
    endpoint: String,
    client_id: String,
    ttl: Duration,
    cache: Mutex<HashMap<[u8; 32], (TokenInfo, Instant)>>,
}

impl Introspector {
    /// An introspector calling `endpoint` as `client_id` through `client`.
    pub fn new(client: Arc<HttpsClient>, endpoint: String, client_id: String, ttl: Duration) -> Self {
        Self {
            client,
            endpoint,
            client_id,
            ttl,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The active token's information (cached or asked now).
    pub async fn token_info(&self, token: &str, now: u64) -> Result<TokenInfo, Refusal> {
        let key = cache_key(token);
        if let Some(info) = self.cached(&key, now) {
            m::introspection_cache(true);
            return Ok(info);
        }
        m::introspection_cache(false);
        let claims = self.ask(token).await?;
        if claims.get("active") != Some(&Value::Bool(true)) {
            // RFC 7662 §2.2: unknown, expired, revoked or not ours to know.
            return Err(Refusal::InvalidToken("the access token is not active".into()));
        }
        let info = TokenInfo::from_claims(&claims, now)?;
        self.remember(key, &info, now);
        Ok(info)
    }

    /// Drops a token's cached answer (a revocation the gateway heard of).
    pub fn evict(&self, token: &str) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.remove(&cache_key(token));
        }
    }

    fn cached(&self, key: &[u8; 32], now: u64) -> Option<TokenInfo> {
        let mut cache = self.cache.lock().ok()?;
        match cache.get(key) {
            Some((info, until)) if *until > Instant::now() && info.exp > now => Some(info.clone()),
            Some(_) => {
                cache.remove(key);
                None
            }
            None => None,
        }
    }

    fn remember(&self, key: [u8; 32], info: &TokenInfo, now: u64) {
        // The entry lives ≤ TTL and ≤ the token's remaining lifetime.
        let until = Instant::now() + self.ttl.min(Duration::from_secs(info.exp.saturating_sub(now)));
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= MAX_ENTRIES {
                let instant = Instant::now();
                cache.retain(|_, (_, until)| *until > instant);
                if cache.len() >= MAX_ENTRIES {
                    cache.clear();
                }
            }
            cache.insert(key, (info.clone(), until));
        }
    }

    async fn ask(&self, token: &str) -> Result<Map<String, Value>, Refusal> {
        let form = [
            ("token", token),
            ("token_type_hint", "access_token"),
            ("client_id", self.client_id.as_str()),
        ];
        let response = self
            .client
            .post_form(&self.endpoint, &form)
            .await
            .map_err(|error| {
                tracing::warn!(%error, "introspection call failed");
                Refusal::OpUnavailable
            })?;
        if response.status() != http::StatusCode::OK {
            tracing::warn!(
                status = response.status().as_u16(),
                "introspection refused the gateway"
            );
            return Err(Refusal::OpUnavailable);
        }
        serde_json::from_slice(response.body()).map_err(|_| {
            tracing::warn!("introspection answer is not a JSON object");
            Refusal::OpUnavailable
        })
    }
}

impl Introspector {
    /// Drops the cached answers a verified revocation notice names: each
    /// token by its SHA-256, and every answer whose `grant_id` is one of
    /// the revoked grants (RFC 7662 §2.2 `grant_id`, which the OP answers
    /// with); how many entries went. A scan of the cache (at most
    /// `MAX_ENTRIES`) when grants are named.
    pub fn forget(&self, notice: &Notice) -> usize {
        let Ok(mut cache) = self.cache.lock() else {
            return 0;
        };
        let before = cache.len();
        for hash in &notice.token_sha256 {
            cache.remove(hash);
        }
        if !notice.grant_ids.is_empty() {
            let grants: HashSet<&str> = notice.grant_ids.iter().map(String::as_str).collect();
            cache.retain(|_, (info, _)| info.grant_id.as_deref().is_none_or(|g| !grants.contains(g)));
        }
        before - cache.len()
    }
}

/// The SHA-256 of the token: what the OP stores and revocation notices name.
fn cache_key(token: &str) -> [u8; 32] {
    let mut key = [0u8; 32];
    key.copy_from_slice(digest(&SHA256, token.as_bytes()).as_ref());
    key
}
