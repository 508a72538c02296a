//! One-time use of `jti`s (client assertions: RFC 7523 §3 item 7; DPoP
//! proofs: RFC 9449 §11.1), cluster-wide through the store: the first
//! transaction to record a jti wins, every later one sees a replay.

use crate::model::records::SeenJti;
use crate::store::kv::KvError;
use crate::store::repo::{Repo, ops};

/// Records `jti` in `namespace` until `expires_at`; `true` the first time,
/// `false` for a replay. A retry after an unknown commit outcome recognises
/// its own write by a random marker, so it is not mistaken for a replay.
pub async fn first_use(
    repo: &Repo,
    namespace: &str,
    jti: &str,
    expires_at: u64,
    now: u64,
) -> Result<bool, KvError> {
    let id = format!("{namespace}\u{0}{jti}");
    let marker = random_marker();
    let ttl = expires_at.saturating_sub(now).max(1);
    repo.store()
        .run(|tx, _maybe_committed| {
            let id = id.clone();
            async move {
                if let Some(found) = ops::find::<SeenJti>(&tx, &id, now).await? {
                    return Ok(found.payload.marker == marker);
                }
                ops::upsert(&tx, &id, &SeenJti { seen_at: now, marker }, Some(ttl), now).await?;
                Ok(true)
            }
        })
        .await
}

fn random_marker() -> u128 {
    let mut bytes = [0u8; 16];
    // A failed RNG leaves zeros: the marker then only weakens retry
    // recognition, never replay detection.
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    u128::from_le_bytes(bytes)
}
