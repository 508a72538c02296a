//! One record of the revocation outbox written inside a revocation's own
//! transaction (`handle.rs`: `revoke_access_token`, `revoke_by_grant_id`),
//! its id format and the outbox's bounds. Reading, deleting and bounding
//! the outbox are `outbox.rs`.

use super::ops;
use crate::model::revocation_notice::RevocationNotice;
use crate::store::kv::{KvError, Transaction};

/// Most records kept; beyond it the oldest are dropped (`outbox.rs`).
pub const MAX_PENDING: usize = 10_000;
/// Most seconds a record is kept undelivered (`outbox.rs`).
pub const MAX_AGE_SECS: u64 = 600;

/// Writes `notice` into the outbox inside `tx` (the revocation's own
/// transaction); nothing when it names nothing. The id starts with the
/// creation time, so the kind reads oldest first; its random part keeps
/// two nodes' records apart. The record expires at twice the age bound:
/// the sweeper removes what no notifier drained (a node stopped for good).
pub async fn write(tx: &Transaction, notice: &RevocationNotice) -> Result<(), KvError> {
    if notice.is_empty() {
        return Ok(());
    }
    let id = format!("{:016x}-{}", notice.created_at, uuid::Uuid::new_v4().simple());
    ops::upsert(
        tx,
        &id,
        notice,
        Some(MAX_AGE_SECS.saturating_mul(2)),
        notice.created_at,
    )
    .await
}

/// The creation time an id starts with.
pub(crate) fn created_at(id_key: &[u8]) -> Option<u64> {
    let hex = std::str::from_utf8(id_key.get(..16)?).ok()?;
    u64::from_str_radix(hex, 16).ok()
}
