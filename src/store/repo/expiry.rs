//! TTL expiry. Reads already hide expired records ([`RecordMeta::is_expired`]);
//! the sweeper deletes them, walking the `("expiry", bucket, kind, id)` index
//! from the oldest bucket up to the current one, a bounded chunk per
//! transaction so a backlog never makes a transaction too large or too old.
//!
//! [`RecordMeta::is_expired`]: crate::store::record::RecordMeta::is_expired

use super::handle::Repo;
use super::ops::{clear_entries, parse_tail};
use crate::clock::Clock;
use crate::store::codec;
use crate::store::keys;
use crate::store::kv::{KvError, RangeOptions};
use crate::store::record::RecordMeta;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Expiry entries handled per transaction.
pub const SWEEP_CHUNK: usize = 500;

impl Repo {
    /// Deletes up to `limit` records that expired before the current expiry
    /// bucket at `now`, with their index entries. Returns how many expiry
    /// entries it handled; fewer than `limit` means nothing is left to sweep.
    pub async fn sweep_expired(&self, now: u64, limit: usize) -> Result<usize, KvError> {
        self.store()
            .run(|tx, _| async move {
                let range = keys::expiry_range_before(keys::expiry_bucket(now));
                let entries = tx.get_range(&range, RangeOptions::limit(limit)).await?;
                for (entry_key, _) in &entries {
                    let (kind, id_key) = parse_tail(entry_key)?;
                    let record_key = keys::record_key(kind, &id_key);
                    tx.clear(entry_key)?;
                    let Some(bytes) = tx.get(&record_key).await? else {
                        continue;
                    };
                    let (meta, _) = codec::decode_prefix::<RecordMeta>(&bytes)?;
                    if meta.is_expired(now) {
                        tx.clear(&record_key)?;
                        clear_entries(&tx, kind, &id_key, &meta)?;
                    }
                }
                Ok(entries.len())
            })
            .await
    }

    /// Sweeps until nothing expired is left at `now`; returns the number of
    /// expiry entries handled.
    pub async fn sweep_all_expired(&self, now: u64) -> Result<usize, KvError> {
        let mut total = 0;
        loop {
            let swept = self.sweep_expired(now, SWEEP_CHUNK).await?;
            total += swept;
            if swept < SWEEP_CHUNK {
                return Ok(total);
            }
        }
    }
}

/// The background task that sweeps expired records every `interval`.
pub struct ExpirySweeper {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl ExpirySweeper {
    /// Starts sweeping `repo` every `interval`, asking `clock` for `now`.
    pub fn spawn(repo: Repo, clock: Arc<dyn Clock>, interval: Duration) -> Self {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticks.tick() => {}
                    _ = stopped.changed() => return,
                }
                match repo.sweep_all_expired(clock.now_unix()).await {
                    Ok(0) => {}
                    Ok(swept) => tracing::debug!(swept, "swept expired store records"),
                    Err(error) => tracing::warn!(%error, "store expiry sweep failed; retrying next interval"),
                }
            }
        });
        Self { stop, task }
    }

    /// Stops the sweeper after the sweep in progress, if any.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
