//! Signed checkpoints: every `[audit] checkpoint_interval_secs` one node
//! signs the heads of all chains (sequence, hash, time) with the OP's
//! signing key, and the JWS is stored as a checkpoint record at
//! `(66, 2, <seq>)`. A checkpoint pins what the trail held when it was
//! signed: rewriting records and their successors' `prev` members and the
//! heads after that breaks the checkpoint's hashes, and forging a
//! checkpoint needs the key in the HSM.
//!
//! The signing itself is above the store (`signing/audit_checkpoint.rs`);
//! here are the record and the store-level guard: [`plan`] says whether a
//! checkpoint is due and what to sign, [`store_if_still_next`] writes it
//! only if no other node wrote one since the plan (both read the last
//! checkpoint key, so two nodes' writes conflict and one retries into
//! seeing the other's).

use super::chain::{self, Head};
use super::record::hex;
use crate::store::keys::{self, AUDIT_CHAINS};
use crate::store::kv::{KvError, RangeOptions, Store, Transaction};
use serde::{Deserialize, Serialize};

/// The JWS `typ` of a checkpoint (RFC 7515 §4.1.9).
pub const CHECKPOINT_TYP: &str = "fiducia-audit-checkpoint+jwt";

/// One chain's head as a checkpoint states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedHead {
    /// The chain.
    pub chain: u16,
    /// Its last sequence number (0: empty).
    pub seq: u64,
    /// Hex SHA-256 of that record's canonical bytes.
    pub hash: String,
}

/// What a checkpoint signs: the JWS payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointClaims {
    /// The checkpoint's sequence number, from 1.
    pub seq: u64,
    /// When it was taken (Unix seconds).
    pub time: u64,
    /// The head of every chain.
    pub heads: Vec<SignedHead>,
}

/// A stored checkpoint: the claims and their compact JWS (RFC 7515 §7.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Record format.
    pub v: u32,
    /// The signed claims, in the clear for readers.
    #[serde(flatten)]
    pub claims: CheckpointClaims,
    /// The node that wrote it.
    pub node: String,
    /// Compact JWS over the claims, signed with the OP's key.
    pub jws: String,
}

/// The last checkpoint's sequence number and time, if any.
pub async fn last(tx: &Transaction) -> Result<Option<(u64, Checkpoint)>, KvError> {
    let range = keys::subspace_range(&keys::audit_checkpoint_subspace());
    let found = tx
        .get_range(
            &range,
            RangeOptions {
                limit: 1,
                reverse: true,
            },
        )
        .await?;
    let Some((key, value)) = found.into_iter().next() else {
        return Ok(None);
    };
    let seq = match keys::unpack(&key)?.last() {
        Some(keys::OwnedElement::Int(seq)) => *seq,
        _ => return Err(KvError::Corrupt("audit checkpoint key without a sequence".into())),
    };
    let checkpoint = serde_json::from_slice(&value)
        .map_err(|e| KvError::Corrupt(format!("audit checkpoint {seq}: {e}")))?;
    Ok(Some((seq, checkpoint)))
}

/// The claims of the next checkpoint if one is due at `now` (none yet, or
/// the last is `interval` seconds old), else `None`.
pub async fn plan(store: &Store, now: u64, interval: u64) -> Result<Option<CheckpointClaims>, KvError> {
    store
        .run(|tx, _| async move {
            let next_seq = match last(&tx).await? {
                Some((_, last)) if now < last.claims.time.saturating_add(interval) => return Ok(None),
                Some((seq, _)) => seq + 1,
                None => 1,
            };
            let mut heads = Vec::with_capacity(usize::from(AUDIT_CHAINS));
            for chain in 0..AUDIT_CHAINS {
                let Head { seq, hash } = chain::head(&tx, chain).await?;
                heads.push(SignedHead {
                    chain,
                    seq,
                    hash: hex(&hash),
                });
            }
            Ok(Some(CheckpointClaims {
                seq: next_seq,
                time: now,
                heads,
            }))
        })
        .await
}

/// Stores `checkpoint` unless another checkpoint took its sequence number
/// meanwhile; whether it was stored.
pub async fn store_if_still_next(store: &Store, checkpoint: &Checkpoint) -> Result<bool, KvError> {
    let bytes =
        serde_json::to_vec(checkpoint).map_err(|e| KvError::Corrupt(format!("audit checkpoint: {e}")))?;
    let (seq, bytes) = (checkpoint.claims.seq, &bytes);
    store
        .run(|tx, _| async move {
            let next = last(&tx).await?.map_or(1, |(seq, _)| seq + 1);
            if next != seq {
                return Ok(false);
            }
            tx.set(&keys::audit_checkpoint_key(seq), bytes)?;
            Ok(true)
        })
        .await
}
