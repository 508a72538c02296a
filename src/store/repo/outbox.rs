//! The revocation outbox: every revocation that deletes access tokens (or a
//! grant) writes, in its own transaction, a [`RevocationNotice`] naming
//! the SHA-256 of each access token it deleted and the grant it revoked
//! ([`write`], in `outbox_record.rs`, which the revocations' transactions
//! use). The notifier (`oauth/revocation_notices/`) reads the
//! outbox oldest first, tells every API gateway with a notice URL, and
//! deletes a record once every gateway took it. Because the record commits
//! with the revocation, an OP stopped right after answering a revocation
//! still sends the notice after it starts again.
//!
//! Bounds ([`MAX_PENDING`], [`MAX_AGE_SECS`], enforced by
//! [`Repo::trim_outbox`]): a notice older than the age bound is dropped
//! (by then every gateway's cached answer has expired on its own for any
//! `cache_ttl_secs` up to it); beyond the count bound the oldest are
//! dropped first. A dropped notice leaves a gateway serving a revoked
//! token from its cache until that entry's TTL, as without notices; the
//! revocation itself is never refused or delayed: the OP's own answers
//! (introspection, every endpoint) are right at once.
//!
//! Several OP nodes on one store may each deliver the same record before
//! one deletes it, and a transaction retried after an unknown commit
//! outcome may write a record twice: a duplicate notice only drops a cache
//! entry again, so both are harmless.

use super::handle::Repo;
use super::ops;
use super::scan::KindChunks;
use crate::model::revocation_notice::RevocationNotice;
use crate::store::keys::{self, Kind};
use crate::store::kv::{KvError, RangeOptions};

use super::outbox_record::created_at;
pub use super::outbox_record::{MAX_AGE_SECS, MAX_PENDING, write};
/// Records the trim reads per transaction.
const TRIM_CHUNK: usize = 500;

/// A pending record with its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// Its id: `<created_at, 16 hex digits>-<random>`.
    pub id: String,
    /// What it names.
    pub notice: RevocationNotice,
}

/// What [`Repo::trim_outbox`] dropped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Trimmed {
    /// Records older than the age bound.
    pub aged: usize,
    /// The oldest records beyond the count bound.
    pub overflow: usize,
}

impl Repo {
    /// Up to `limit` pending records, oldest first; one transaction.
    pub async fn pending_notices(&self, limit: usize, now: u64) -> Result<Vec<Pending>, KvError> {
        let range = keys::subspace_range(&keys::kind_subspace(Kind::RevocationNotice));
        let pairs = self
            .store()
            .run(|tx, _| {
                let range = range.clone();
                async move { tx.get_range(&range, RangeOptions::limit(limit.max(1))).await }
            })
            .await?;
        let mut out = Vec::with_capacity(pairs.len());
        for (key, value) in pairs {
            let (meta, notice): (_, RevocationNotice) = ops::decode_record(&value)?;
            let (_, id_key) = ops::parse_tail(&key)?;
            let id = String::from_utf8(id_key)
                .map_err(|_| KvError::Corrupt("a revocation notice id is not UTF-8".into()))?;
            if !crate::store::record::RecordMeta::is_expired(&meta, now) {
                out.push(Pending { id, notice });
            }
        }
        Ok(out)
    }

    /// Deletes the records `ids` (every gateway took them); one
    /// transaction. A record already gone (another node deleted it) is no
    /// error.
    pub async fn delete_notices(&self, ids: &[String]) -> Result<(), KvError> {
        if ids.is_empty() {
            return Ok(());
        }
        self.store()
            .run(|tx, _| async move {
                for id in ids {
                    ops::destroy(&tx, Kind::RevocationNotice, id).await?;
                }
                Ok(())
            })
            .await
    }

    /// Enforces the outbox's bounds at `now`: drops the records older than
    /// `max_age` seconds, then the oldest beyond `max_pending`. Reads the
    /// kind's keys in chunks (each its own transaction) and deletes in
    /// chunks; what another node adds meanwhile is counted next time.
    pub async fn trim_outbox(&self, now: u64, max_pending: usize, max_age: u64) -> Result<Trimmed, KvError> {
        let mut chunks = KindChunks::new(Kind::RevocationNotice, TRIM_CHUNK);
        let mut ids = Vec::new();
        while let Some(pairs) = chunks.next(self).await? {
            for (key, _) in pairs {
                ids.push(ops::parse_tail(&key)?.1);
            }
        }
        // Oldest first (key order); an id that does not start with its
        // time (none this build writes) counts as aged.
        let aged = ids
            .iter()
            .take_while(|id| created_at(id).is_none_or(|at| now.saturating_sub(at) > max_age))
            .count();
        let overflow = (ids.len() - aged).saturating_sub(max_pending);
        for chunk in ids[..aged + overflow].chunks(TRIM_CHUNK) {
            self.store()
                .run(|tx, _| async move {
                    for id_key in chunk {
                        ops::destroy_by_key(&tx, Kind::RevocationNotice, id_key).await?;
                    }
                    Ok(())
                })
                .await?;
        }
        Ok(Trimmed { aged, overflow })
    }
}

#[cfg(test)]
#[path = "outbox_tests.rs"]
mod tests;
