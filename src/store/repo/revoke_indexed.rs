//! [`Repo::revoke_indexed`]: deletes the records one index value points at
//! (a client's, a customer's), each grant after what was issued under it.
//! Both client-wide revocation (`handle.rs`, `scan.rs`) and a customer's
//! (`by_account.rs`) are this walk over a different index.

use super::handle::Repo;
use super::ops;
use super::revoked::GrantRevocation;
use crate::store::keys::{self, Index, Kind};
use crate::store::kv::KvError;

/// Index entries read per transaction.
const CHUNK: usize = 500;

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
        let value = ops::index_value(index, value);
        let mut total = 0;
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
                    total += self.revoke_by_grant_id(grant_id, revocation).await?;
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
            if entries.len() < CHUNK {
                return Ok(total);
            }
        }
    }
}
