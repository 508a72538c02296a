//! The pending `merge` / `replace` of a pushed request (Grant Management
//! §5.2), carried beside it (`model::grant_update`): written with the
//! pushed request, moved under the interaction's id in the transaction that
//! consumes the request (RFC 9126 §4), taken when the interaction ends.
//! Each step runs inside the caller's transaction, so the update is never
//! separated from its request.

use crate::model::grant_update::{PendingGrantUpdate, record_id};
use crate::protocol::grant_management::GrantUpdate;
use crate::store::kv::{KvError, Transaction};
use crate::store::repo::ops;

/// Stores `pending` beside the pushed request `reference`, for as long as
/// the request (`ttl`).
pub async fn store(
    tx: &Transaction,
    reference: &str,
    pending: &PendingGrantUpdate,
    ttl: u64,
    now: u64,
) -> Result<(), KvError> {
    ops::upsert(tx, &record_id(reference), pending, Some(ttl.max(1)), now).await
}

/// Moves the update of the pushed request `reference`, if any, to the
/// interaction `interaction` that continues it, for its lifetime `ttl`.
pub async fn move_to_interaction(
    tx: &Transaction,
    reference: &str,
    interaction: &str,
    ttl: u64,
    now: u64,
) -> Result<(), KvError> {
    let from = record_id(reference);
    let Some(found) = ops::find::<PendingGrantUpdate>(tx, &from, now).await? else {
        return Ok(());
    };
    ops::destroy(tx, crate::store::keys::Kind::ReplayDetection, &from).await?;
    ops::upsert(tx, &record_id(interaction), &found.payload, Some(ttl.max(1)), now).await
}

/// The update pending for interaction `interaction`, if any (read, not
/// deleted: it expires with the interaction, and a retried transaction
/// must find it again).
pub async fn of_interaction(
    tx: &Transaction,
    interaction: &str,
    now: u64,
) -> Result<Option<PendingGrantUpdate>, KvError> {
    Ok(ops::find::<PendingGrantUpdate>(tx, &record_id(interaction), now)
        .await?
        .map(|found| found.payload))
}

/// The change interaction `interaction` (by `asker`) would make to the
/// customer's grant, or `None` for a fresh grant. Said only when the grant
/// is live and the customer's own (`super::apply::live`); otherwise the
/// decision is refused anyway, and another customer learns nothing of it.
pub async fn shown_update(
    repo: &crate::store::repo::Repo,
    interaction: &str,
    asker: super::apply::Asker<'_>,
    now: u64,
) -> Result<Option<GrantUpdate>, KvError> {
    repo.store()
        .run(|tx, _| async move {
            let Some(pending) = of_interaction(&tx, interaction, now).await? else {
                return Ok(None);
            };
            let live = super::apply::live(&tx, &pending, asker, now).await?;
            Ok(live.map(|_| pending.update))
        })
        .await
}

/// What the built-in consent page says of `update`: a label and a
/// sentence.
pub fn consent_note(update: GrantUpdate) -> (&'static str, String) {
    let sentence = match update {
        GrantUpdate::Merge => "This adds to your existing access; what you approved before stays.",
        GrantUpdate::Replace => "This replaces your existing access; what you approved before ends.",
    };
    ("Existing access", sentence.to_string())
}
