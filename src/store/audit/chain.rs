//! Appending to the audit trail inside the caller's transaction, so a change
//! and its record commit together or not at all.
//!
//! The trail is [`AUDIT_CHAINS`] hash chains (stripes), each with its own
//! head key `(66, 0, <chain>)` holding its last sequence number and hash. A
//! record goes to the chain its first target id hashes to: appends for
//! different targets rarely touch the same head, so they do not conflict
//! and retry (one head for everything serialises every audited transaction
//! of every node; docs/ARCHITECTURE.md "Audit trail" has the measurements),
//! while the records of one target stay in one chain, in order.

use super::record::{AuditEvent, AuditRecord, RECORD_FORMAT, hex};
use crate::store::keys::{self, AUDIT_CHAINS};
use crate::store::kv::{KvError, Transaction};
use std::sync::OnceLock;

/// The hash before the first record of a chain.
pub const GENESIS: [u8; 32] = [0; 32];

static NODE_NAME: OnceLock<String> = OnceLock::new();

/// Names this process in the records it writes (`AuditRecord::node`); set
/// once at start-up (later calls are ignored). Unset: `"fiducia"`.
pub fn set_node_name(name: &str) {
    let _ = NODE_NAME.set(name.to_string());
}

/// The name this process writes into its records.
pub fn node_name() -> &'static str {
    NODE_NAME.get().map_or("fiducia", String::as_str)
}

/// The chain records about `target_id` go to.
pub fn chain_of(target_id: &str) -> u16 {
    let digest = keys::sha256(target_id.as_bytes());
    u16::from_be_bytes([digest[0], digest[1]]) % AUDIT_CHAINS
}

/// The head of a chain: the last record's sequence number and the SHA-256
/// of its canonical bytes (`(0, GENESIS)` for an empty chain).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Sequence number of the last record.
    pub seq: u64,
    /// SHA-256 of its canonical bytes.
    pub hash: [u8; 32],
}

impl Head {
    /// The stored form: seq (8 bytes, big endian) then the hash.
    pub fn encode(&self) -> [u8; 40] {
        let mut out = [0u8; 40];
        out[..8].copy_from_slice(&self.seq.to_be_bytes());
        out[8..].copy_from_slice(&self.hash);
        out
    }

    /// Reads the stored form.
    pub fn decode(bytes: &[u8]) -> Result<Self, KvError> {
        let (seq, hash) = bytes
            .split_first_chunk::<8>()
            .ok_or_else(|| KvError::Corrupt("audit chain head shorter than 8 bytes".into()))?;
        let hash: [u8; 32] = hash
            .try_into()
            .map_err(|_| KvError::Corrupt(format!("audit chain head of {} bytes, not 40", bytes.len())))?;
        Ok(Self {
            seq: u64::from_be_bytes(*seq),
            hash,
        })
    }
}

/// The head of `chain` as `tx` sees it.
pub async fn head(tx: &Transaction, chain: u16) -> Result<Head, KvError> {
    match tx.get(&keys::audit_head_key(chain)).await? {
        Some(bytes) => Head::decode(&bytes),
        None => Ok(Head {
            seq: 0,
            hash: GENESIS,
        }),
    }
}

/// Appends `event` at `now` to its chain in `tx`: reads the chain's head,
/// writes the record after it and moves the head. Returns the record.
pub async fn append(tx: &Transaction, event: &AuditEvent, now: u64) -> Result<AuditRecord, KvError> {
    let chain = chain_of(event.targets.first().map_or("", |t| t.id.as_str()));
    let before = head(tx, chain).await?;
    let record = AuditRecord {
        v: RECORD_FORMAT,
        chain,
        seq: before.seq + 1,
        time: now,
        event: event.event,
        actor: event.actor.clone(),
        node: node_name().to_string(),
        targets: event.targets.clone(),
        changed: event.changed.clone(),
        prev: hex(&before.hash),
    };
    let bytes = serde_json::to_vec(&record).map_err(|e| KvError::Corrupt(format!("audit record: {e}")))?;
    let after = Head {
        seq: record.seq,
        hash: keys::sha256(&bytes),
    };
    tx.set_owned(keys::audit_record_key(chain, record.seq), bytes)?;
    tx.set(&keys::audit_head_key(chain), &after.encode())?;
    Ok(record)
}
