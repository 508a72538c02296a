//! Verifying the trail: every chain walked from its first record, every
//! hash link checked, every checkpoint's signature and hashes checked. The
//! first bad record of each chain is named with what is wrong with it.
//! Reads in pages, each its own transaction (FoundationDB's 5-second
//! transaction limit, `kv.rs`), so a trail of any length can be walked
//! while the OP keeps appending (records appended after the walk reached a
//! chain's end are checked against the head read with the last page).

use super::chain::{GENESIS, Head};
use super::checkpoint::{CHECKPOINT_TYP, Checkpoint, CheckpointClaims};
use super::record::{AuditRecord, hex};
use crate::store::keys::{self, AUDIT_CHAINS};
use crate::store::kv::{KeyRange, KvError, RangeOptions, Store};
use fiducia_hsm::PublicJwk;
use std::collections::BTreeMap;
use std::fmt;

use super::pages::PAGE;

/// What is wrong with a record or checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Its bytes are not what the next record (or the head) hashed: it was
    /// changed after it was written.
    Edited,
    /// It is not there, though later records (or the head) count it.
    Missing,
    /// It is stored at a place in the chain other than its own.
    Reordered,
    /// It cannot be read as a record at all.
    Malformed(String),
    /// A checkpoint's signature does not verify with the OP's keys.
    BadSignature(String),
    /// A checkpoint's signed heads disagree with the records.
    CheckpointMismatch(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Edited => f.write_str("edited: its hash is not the one recorded after it"),
            Problem::Missing => f.write_str("missing: later records or the chain head count it"),
            Problem::Reordered => f.write_str("reordered: stored at another record's place"),
            Problem::Malformed(why) => write!(f, "malformed: {why}"),
            Problem::BadSignature(why) => write!(f, "bad signature: {why}"),
            Problem::CheckpointMismatch(why) => write!(f, "checkpoint disagrees with the records: {why}"),
        }
    }
}

/// Where a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    /// Record `seq` of chain `chain`.
    Record {
        /// The chain.
        chain: u16,
        /// The record's sequence number.
        seq: u64,
    },
    /// Checkpoint `seq`.
    Checkpoint {
        /// The checkpoint's sequence number.
        seq: u64,
    },
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Record { chain, seq } => write!(f, "chain {chain} record {seq}"),
            Place::Checkpoint { seq } => write!(f, "checkpoint {seq}"),
        }
    }
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Where.
    pub place: Place,
    /// What.
    pub problem: Problem,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.problem)
    }
}

/// The outcome of a walk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Records checked, over all chains.
    pub records: u64,
    /// Checkpoints checked.
    pub checkpoints: u64,
    /// The first problem of each chain, then each bad checkpoint.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Whether nothing is wrong.
    pub fn is_intact(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Walks every chain and checkpoint of the trail in `store`; checkpoint
/// signatures are checked against `keys` (the OP's keys, including retired
/// ones whose checkpoints are still kept).
pub async fn verify(store: &Store, keys: &[PublicJwk]) -> Result<Report, KvError> {
    let mut report = Report::default();
    // The hash of every record a checkpoint names, collected on the walk.
    let wanted = wanted_heads(store).await?;
    let mut seen: BTreeMap<(u16, u64), [u8; 32]> = BTreeMap::new();
    for chain in 0..AUDIT_CHAINS {
        let (checked, finding) = walk_chain(store, chain, &wanted, &mut seen).await?;
        report.records += checked;
        report.findings.extend(finding);
    }
    let checkpoints = read_checkpoints(store).await?;
    for (seq, bytes) in checkpoints {
        report.checkpoints += 1;
        if let Err(problem) = check_checkpoint(seq, &bytes, keys, &seen) {
            report.findings.push(Finding {
                place: Place::Checkpoint { seq },
                problem,
            });
        }
    }
    Ok(report)
}

/// The (chain, seq) pairs the checkpoints sign.
async fn wanted_heads(store: &Store) -> Result<Vec<(u16, u64)>, KvError> {
    let mut wanted = Vec::new();
    for (_, bytes) in read_checkpoints(store).await? {
        if let Ok(checkpoint) = serde_json::from_slice::<Checkpoint>(&bytes) {
            wanted.extend(checkpoint.claims.heads.iter().map(|h| (h.chain, h.seq)));
        }
    }
    wanted.sort_unstable();
    wanted.dedup();
    Ok(wanted)
}

/// Every checkpoint, by sequence number.
async fn read_checkpoints(store: &Store) -> Result<Vec<(u64, Vec<u8>)>, KvError> {
    let range = keys::subspace_range(&keys::audit_checkpoint_subspace());
    let pairs = read_all(store, range).await?;
    let mut out = Vec::with_capacity(pairs.len());
    for (key, value) in pairs {
        out.push((last_int(&key)?, value));
    }
    Ok(out)
}

async fn read_all(store: &Store, range: KeyRange) -> Result<Vec<(Vec<u8>, Vec<u8>)>, KvError> {
    let mut out = Vec::new();
    super::pages::for_each_page(store, range, |page| {
        out.extend(page);
        Ok(())
    })
    .await?;
    Ok(out)
}

fn last_int(key: &[u8]) -> Result<u64, KvError> {
    match keys::unpack(key)?.last() {
        Some(keys::OwnedElement::Int(n)) => Ok(*n),
        _ => Err(KvError::Corrupt("audit key without a sequence number".into())),
    }
}

/// Walks one chain page by page; the number of records checked and the
/// first problem. Records whose (chain, seq) is in `wanted` have their
/// hash put in `seen` for the checkpoint checks.
async fn walk_chain(
    store: &Store,
    chain: u16,
    wanted: &[(u16, u64)],
    seen: &mut BTreeMap<(u16, u64), [u8; 32]>,
) -> Result<(u64, Option<Finding>), KvError> {
    let at = |seq| Place::Record { chain, seq };
    let fail = |seq, problem| {
        Some(Finding {
            place: at(seq),
            problem,
        })
    };
    let range = keys::subspace_range(&keys::audit_chain_subspace(chain));
    let mut begin = range.begin.clone();
    let mut expected = 1u64;
    let mut prev_hash = GENESIS;
    let mut checked = 0;
    // A record whose `prev` is not the hash of the one before.
    let mut suspect: Option<u64> = None;
    loop {
        let page_range = KeyRange::new(begin.clone(), range.end.clone());
        let (page, head) = store
            .run(|tx, _| {
                let page_range = page_range.clone();
                async move {
                    let page = tx.get_range(&page_range, RangeOptions::limit(PAGE)).await?;
                    let head = super::chain::head(&tx, chain).await?;
                    Ok((page, head))
                }
            })
            .await?;
        let full = page.len() == PAGE;
        for (key, bytes) in &page {
            let stored_at = last_int(key)?;
            if stored_at > expected {
                return Ok((checked, fail(expected, Problem::Missing)));
            }
            let record: AuditRecord = match serde_json::from_slice(bytes) {
                Ok(record) => record,
                Err(e) => return Ok((checked, fail(stored_at, Problem::Malformed(e.to_string())))),
            };
            if record.seq != stored_at || record.chain != chain {
                return Ok((checked, fail(stored_at, Problem::Reordered)));
            }
            let hash = keys::sha256(bytes);
            if let Some(suspect) = suspect {
                // Record `suspect` did not link to the one before: if this
                // one links to it, the one before was edited, else it was.
                let edited = if record.prev == hex(&prev_hash) {
                    suspect - 1
                } else {
                    suspect
                };
                return Ok((checked, fail(edited.max(1), Problem::Edited)));
            }
            if record.prev != hex(&prev_hash) {
                suspect = Some(stored_at);
            }
            prev_hash = hash;
            if wanted.binary_search(&(chain, stored_at)).is_ok() {
                seen.insert((chain, stored_at), prev_hash);
            }
            checked += 1;
            expected = stored_at + 1;
        }
        if let Some((key, _)) = page.last() {
            begin = key.clone();
            begin.push(0);
        }
        if !full {
            if let Some(suspect) = suspect {
                // The last record did not link: the head tells which moved.
                let edited = if head.hash == prev_hash {
                    suspect - 1
                } else {
                    suspect
                };
                return Ok((checked, fail(edited.max(1), Problem::Edited)));
            }
            return Ok((checked, check_head(chain, head, expected - 1, prev_hash)));
        }
    }
}

/// The head must name the last record walked: one beyond it means records
/// at the end were deleted; the same sequence with another hash means the
/// last record was edited.
fn check_head(chain: u16, head: Head, last: u64, last_hash: [u8; 32]) -> Option<Finding> {
    let place = |seq| Place::Record { chain, seq };
    if head.seq > last {
        return Some(Finding {
            place: place(last + 1),
            problem: Problem::Missing,
        });
    }
    if head.seq == last && head.hash != last_hash {
        return Some(Finding {
            place: place(last),
            problem: Problem::Edited,
        });
    }
    // head.seq < last: records appended after the head was read (the walk
    // reads the head with each page); they were checked by their links.
    None
}

/// Checks one checkpoint: its signature (RFC 7515 §5.2) with one of the
/// OP's keys, its clear claims against the signed ones, and each signed
/// head against the record it names.
fn check_checkpoint(
    seq: u64,
    bytes: &[u8],
    keys: &[PublicJwk],
    seen: &BTreeMap<(u16, u64), [u8; 32]>,
) -> Result<(), Problem> {
    let checkpoint: Checkpoint =
        serde_json::from_slice(bytes).map_err(|e| Problem::Malformed(e.to_string()))?;
    if checkpoint.claims.seq != seq {
        return Err(Problem::Reordered);
    }
    let verified = crate::protocol::jose::verify_jws(&checkpoint.jws, keys, Some(CHECKPOINT_TYP))
        .map_err(|e| Problem::BadSignature(e.to_string()))?;
    let signed: CheckpointClaims = serde_json::from_value(serde_json::Value::Object(verified.claims))
        .map_err(|e| Problem::BadSignature(format!("the signed payload is not a checkpoint: {e}")))?;
    if signed != checkpoint.claims {
        return Err(Problem::CheckpointMismatch(
            "its clear claims are not the signed ones".into(),
        ));
    }
    for head in &signed.heads {
        if head.seq == 0 {
            continue;
        }
        match seen.get(&(head.chain, head.seq)) {
            Some(hash) if hex(hash) == head.hash => {}
            Some(_) => {
                return Err(Problem::CheckpointMismatch(format!(
                    "chain {} record {} is not the record signed",
                    head.chain, head.seq
                )));
            }
            None => {
                return Err(Problem::CheckpointMismatch(format!(
                    "chain {} record {} is signed but not reached by the walk",
                    head.chain, head.seq
                )));
            }
        }
    }
    Ok(())
}
