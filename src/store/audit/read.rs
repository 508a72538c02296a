//! Reading the trail for people and SIEMs: the records written at or after
//! a time, across chains, oldest first, each with its canonical bytes (what
//! `fiducia audit export` writes, one per line, and what the next record of
//! its chain hashes). The Config API's `GET /audit` is to call [`since`].

use super::record::AuditRecord;
use crate::store::keys::{self, AUDIT_CHAINS};
use crate::store::kv::{KeyRange, KvError, RangeOptions, Store};

/// Records read per transaction.
const PAGE: usize = 1000;

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
        let mut begin = range.begin.clone();
        loop {
            let page_range = KeyRange::new(begin.clone(), range.end.clone());
            let page = store
                .run(|tx, _| {
                    let page_range = page_range.clone();
                    async move { tx.get_range(&page_range, RangeOptions::limit(PAGE)).await }
                })
                .await?;
            let full = page.len() == PAGE;
            if let Some((key, _)) = page.last() {
                begin = key.clone();
                begin.push(0);
            }
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
            if !full {
                break;
            }
        }
    }
    out.sort_by_key(|r| (r.record.time, r.record.chain, r.record.seq));
    if limit > 0 {
        out.truncate(limit);
    }
    Ok(out)
}
