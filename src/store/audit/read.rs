//! Reading the trail for people and SIEMs: the records written at or after
//! a time, across chains, oldest first, each with its canonical bytes (what
//! `fiducia audit export` writes, one per line, and what the next record of
//! its chain hashes). The Config API's `GET /audit` is to call [`since`].

use super::pages;
use super::record::AuditRecord;
use crate::store::keys::{self, AUDIT_CHAINS};
use crate::store::kv::{KvError, Store};

/// A record as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    /// The parsed record.
    pub record: AuditRecord,
    /// Its canonical bytes (JSON).
    pub bytes: Vec<u8>,
}

/// The records with `time >= since` (Unix seconds), ordered by time, then
/// chain, then sequence; at most `limit` of them (`0`: all). A record that
/// cannot be parsed is an error here: `fiducia audit verify` names it.
pub async fn since(store: &Store, since: u64, limit: usize) -> Result<Vec<StoredRecord>, KvError> {
    let mut out = Vec::new();
    for chain in 0..AUDIT_CHAINS {
        let range = keys::subspace_range(&keys::audit_chain_subspace(chain));
        pages::for_each_page(store, range, |page| {
            for (_, bytes) in page {
                let record: AuditRecord = serde_json::from_slice(&bytes).map_err(|e| {
                    KvError::Corrupt(format!(
                        "audit record in chain {chain}: {e} (run `fiducia audit verify`)"
                    ))
                })?;
                if record.time >= since {
                    out.push(StoredRecord { record, bytes });
                }
            }
            Ok(())
        })
        .await?;
    }
    out.sort_by_key(|r| (r.record.time, r.record.chain, r.record.seq));
    if limit > 0 {
        out.truncate(limit);
    }
    Ok(out)
}
