//! [`Repo::revoke_indexed`]: deletes the records one index value points at
//! (a client's, a customer's), each grant after what was issued under it.
//! Both client-wide revocation (`handle.rs`, `scan.rs`) and a customer's
//! (`by_account.rs`) are this walk over a different index. Kinds that take
//! no entry in the index for their link (`Kind::is_found_by_scan`: pending
//! CIBA requests) are read whole and matched on their `RecordMeta`.

use super::handle::Repo;
use super::ops;
use super::revoked::GrantRevocation;
use super::scan::KindChunks;
use crate::store::codec;
use crate::store::keys::{self, Index, Kind};
use crate::store::kv::KvError;
use crate::store::record::RecordMeta;

/// Index entries (or records of a scanned kind) read per transaction.
const CHUNK: usize = 500;

/// What a revocation by index deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RevokedCount {
    /// The records the index entries named (e.g. the grants).
    pub own: usize,
    /// Every record deleted: those and what was issued under grants.
    pub total: usize,
}

impl Repo {
    /// Deletes the records the entries `(index, value)` point at (of `kind`
    /// only, if given): first, for each grant among them, what was issued
    /// under it ([`Repo::revoke_by_grant_id`], so its marker refuses what a
    /// concurrent request issues under it), then the records themselves
    /// with their index and expiry entries. An entry whose record is
    /// already gone (stale) is cleared too. In chunks, each its own
    /// transaction; returns how many records it deleted.
    pub(crate) async fn revoke_indexed(
        &self,
        index: Index,
        value: &str,
        kind: Option<Kind>,
        revocation: GrantRevocation,
    ) -> Result<usize, KvError> {
        Ok(self
            .revoke_indexed_counted(index, value, kind, revocation)
            .await?
            .total)
    }

    /// [`Repo::revoke_indexed`], saying also how many of the deleted
    /// records were the indexed ones themselves (the grants, not their
    /// tokens).
    pub(crate) async fn revoke_indexed_counted(
        &self,
        index: Index,
        value: &str,
        kind: Option<Kind>,
        revocation: GrantRevocation,
    ) -> Result<RevokedCount, KvError> {
        let mut total = 0;
        let mut own = 0;
        for scanned in Kind::ALL.iter().copied() {
            if scanned.is_found_by_scan(index) && kind.is_none_or(|k| k == scanned) {
                let n = self.revoke_scanned(index, value, scanned).await?;
                total += n;
                own += n;
            }
        }
        let value = ops::index_value(index, value);
        loop {
            let entries = self
                .store()
                .run(|tx, _| {
                    let value = value.clone();
                    async move { ops::index_entries(&tx, index, &value, kind, CHUNK).await }
                })
                .await?;
            for (kind, id_key) in &entries {
                // Grants are stored under their id's bytes (keys.rs).
                if *kind == Kind::Grant
                    && let Ok(grant_id) = std::str::from_utf8(id_key)
                {
                    let deleted = self.revoke_by_grant_id(grant_id, revocation).await?;
                    total += deleted;
                    // It deletes the grant itself last: one grant revoked.
                    own += usize::from(deleted > 0);
                }
            }
            let deleted = self
                .store()
                .run(|tx, _| {
                    let (value, entries) = (value.clone(), &entries);
                    async move {
                        let mut deleted = 0;
                        for (kind, id_key) in entries {
                            if ops::destroy_by_key(&tx, *kind, id_key).await? {
                                deleted += 1;
                            }
                            tx.clear(&keys::index_key(index, &value, *kind, id_key))?;
                        }
                        Ok(deleted)
                    }
                })
                .await?;
            total += deleted;
            own += deleted;
            if entries.len() < CHUNK {
                return Ok(RevokedCount { own, total });
            }
        }
    }

    /// Deletes the records of `kind` (one [`Kind::is_found_by_scan`] for
    /// `index`) whose link for `index` is `value`: the kind is read in key
    /// order, [`CHUNK`] records a transaction, and the matching ones of each
    /// chunk are deleted in the next. Bounded by how many the OP holds
    /// (`[ciba] max_pending` for CIBA requests).
    async fn revoke_scanned(&self, index: Index, value: &str, kind: Kind) -> Result<usize, KvError> {
        let mut chunks = KindChunks::new(kind, CHUNK);
        let mut total = 0;
        while let Some(pairs) = chunks.next(self).await? {
            let mut matching = Vec::new();
            for (key, bytes) in &pairs {
                let (meta, _) = codec::decode_prefix::<RecordMeta>(bytes)?;
                let link = match index {
                    Index::Client => meta.client_id.as_deref(),
                    Index::User => meta.account_id.as_deref(),
                    Index::Grant => meta.grant_id.as_deref(),
                    Index::Uid => meta.uid.as_deref(),
                    Index::AuthReq => None,
                };
                if link == Some(value) {
                    matching.push(ops::parse_tail(key)?.1);
                }
            }
            if matching.is_empty() {
                continue;
            }
            total += self
                .store()
                .run(|tx, _| {
                    let matching = &matching;
                    async move {
                        let mut deleted = 0;
                        for id_key in matching {
                            if ops::destroy_by_key(&tx, kind, id_key).await? {
                                deleted += 1;
                            }
                        }
                        Ok(deleted)
                    }
                })
                .await?;
        }
        Ok(total)
    }
}

#[cfg(test)]
#[path = "revoke_indexed_tests.rs"]
mod tests;
