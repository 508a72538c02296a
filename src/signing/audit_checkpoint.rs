//! Signing the audit trail's checkpoints with the OP's signing key, through
//! the same [`Signer`] seam as ID tokens (the PKCS#11 pool in production):
//! every `[audit] checkpoint_interval_secs` a node takes the heads of all
//! chains and signs them as a compact JWS (RFC 7515 §7.1, `typ`
//! `fiducia-audit-checkpoint+jwt`). Every node runs the loop; the store's
//! guard (`store::audit::checkpoint::store_if_still_next`) lets one
//! checkpoint per interval through, so nodes never write conflicting ones.

use super::KeySet;
use crate::clock::Clock;
use crate::store::audit::chain::node_name;
use crate::store::audit::checkpoint::{self, CHECKPOINT_TYP, Checkpoint};
use crate::store::kv::Store;
use fiducia_hsm::Signer;
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Why a checkpoint was not written.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The store failed.
    #[error("audit checkpoint: {0}")]
    Store(#[from] crate::store::kv::KvError),
    /// The signer failed.
    #[error("audit checkpoint signing: {0}")]
    Sign(#[from] fiducia_hsm::SignError),
    /// The claims could not be serialized.
    #[error("audit checkpoint claims: {0}")]
    Encode(#[from] serde_json::Error),
}

/// Writes a checkpoint if one is due at `now` (none yet, or the last is
/// `interval` seconds old) and no other node wrote it first; its sequence
/// number if this call wrote it.
pub async fn checkpoint_once(
    store: &Store,
    signer: &dyn Signer,
    now: u64,
    interval: u64,
) -> Result<Option<u64>, CheckpointError> {
    let Some(claims) = checkpoint::plan(store, now, interval).await? else {
        return Ok(None);
    };
    let payload = serde_json::to_vec(&claims)?;
    let mut header = Map::new();
    header.insert("typ".into(), Value::from(CHECKPOINT_TYP));
    let jws = fiducia_hsm::sign_jws(signer, header, &payload).await?;
    let seq = claims.seq;
    let record = Checkpoint {
        v: 1,
        claims,
        node: node_name().to_string(),
        jws,
    };
    Ok(checkpoint::store_if_still_next(store, &record)
        .await?
        .then_some(seq))
}

/// The longest pause between two attempts of one checkpoint (they start
/// 1 s apart and double).
const MAX_RETRY_PAUSE: Duration = Duration::from_secs(30);

/// Runs [`checkpoint_once`] every `interval` with the key the OP signs with
/// at that moment, until the task is aborted. A failed attempt is logged,
/// counted (`fiducia_audit_checkpoints_total{outcome="failed"}`) and tried
/// again 1, 2, 4 ... 30 s later until it succeeds or the interval has gone
/// by (the next tick then takes over): the trail stays verifiable by its
/// hashes meanwhile; only the signed anchor is late.
pub fn spawn(
    store: Store,
    mut keys: watch::Receiver<Arc<KeySet>>,
    interval: Duration,
    clock: Arc<dyn Clock>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // A tick a little early must not skip a whole interval.
        let due_after = interval.as_secs().saturating_sub(1);
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let started = tokio::time::Instant::now();
            let mut pause = Duration::from_secs(1);
            loop {
                // No active key yet (the signer pool still opening its
                // sessions at start-up) or none any more: wait for one
                // rather than skip a whole interval, so the start-up
                // checkpoint is not 5 minutes late.
                let Some(signer) = active_signer(&mut keys).await else {
                    return;
                };
                // A failure (a write conflict with records committed at the
                // same moment, a busy signer under load) is tried again
                // within seconds, not at the next interval.
                match checkpoint_once(&store, signer.as_ref(), clock.now_unix(), due_after).await {
                    Ok(Some(seq)) => {
                        metrics::counter!("fiducia_audit_checkpoints_total", "outcome" => "signed")
                            .increment(1);
                        tracing::info!(seq, "audit checkpoint signed");
                    }
                    Ok(None) => {}
                    Err(e) => {
                        metrics::counter!("fiducia_audit_checkpoints_total", "outcome" => "failed")
                            .increment(1);
                        tracing::warn!(error = %e, "audit checkpoint failed; trying again");
                        if started.elapsed() + pause < interval {
                            tokio::time::sleep(pause).await;
                            pause = (pause * 2).min(MAX_RETRY_PAUSE);
                            continue;
                        }
                    }
                }
                break;
            }
        }
    })
}

/// The active signing key, waiting for the key set to get one; `None` when
/// the key set's sender is gone (the OP is stopping).
async fn active_signer(keys: &mut watch::Receiver<Arc<KeySet>>) -> Option<Arc<dyn Signer>> {
    let mut warned = false;
    loop {
        if let Some(signer) = keys.borrow_and_update().signer.clone() {
            return Some(signer);
        }
        if !warned {
            tracing::warn!("audit checkpoint waits: no active signing key");
            warned = true;
        }
        keys.changed().await.ok()?;
    }
}
