//! A `merge` or `replace` applied at the customer's decision (Grant
//! Management §5.2), inside the transaction that ends the interaction and
//! writes the code (`oauth::interaction::finish`).
//!
//! The rules, beyond what PAR checked (`super::request`):
//!
//! - the grant must still be live: not revoked (`store/repo/revoked.rs`,
//!   its marker read in this transaction, so a concurrent revocation either
//!   commits first and is seen, or conflicts) and not expired;
//! - it must be the client's, and the customer who logged in must be the
//!   grant's customer: a merge into another customer's grant would hand
//!   that customer's permissions to whoever logged in (the draft leaves
//!   the binding of grant and user to the AS, §8); otherwise nothing is
//!   decided or written and the client gets `invalid_grant_id` ([`live`]);
//! - on approval the grant keeps its id and gets the merged or replaced
//!   permissions (`model::grant_merge`); it is kept at least as long as
//!   before and as long as a fresh grant of its new scopes ([`write`]);
//! - its refresh tokens are deleted (§5.2: merge and replace "shall
//!   invalidate existing refresh tokens"): the code written with it is the
//!   grant's way to new tokens and carries the whole grant. Access tokens
//!   already issued run out on their own (minutes;
//!   `tokens.access_token_ttl_secs`): the draft asks their revocation only
//!   of DELETE (§6.5).

use crate::model::grant_merge::{self, Approved};
use crate::model::grant_update::PendingGrantUpdate;
use crate::model::records::Grant;
use crate::protocol::grant_management::GrantUpdate;
use crate::store::keys::Kind;
use crate::store::kv::{KvError, Transaction};
use crate::store::record::Found;
use crate::store::repo::{ops, revoked};

/// Who asks: the client of the request and the customer who logged in.
#[derive(Debug, Clone, Copy)]
pub struct Asker<'a> {
    /// The request's client.
    pub client_id: &'a str,
    /// The customer's account id.
    pub account_id: &'a str,
}

/// The grant `pending` names, if `asker` may change it: live, the client's
/// and the customer's. `None`: the flow ends with `invalid_grant_id`.
pub async fn live(
    tx: &Transaction,
    pending: &PendingGrantUpdate,
    asker: Asker<'_>,
    now: u64,
) -> Result<Option<Found<Grant>>, KvError> {
    let id = pending.grant_id.as_str();
    if revoked::is_revoked(tx, id, now).await? {
        return Ok(None);
    }
    Ok(ops::find::<Grant>(tx, id, now).await?.filter(|found| {
        found.payload.client_id == asker.client_id && found.payload.account_id == asker.account_id
    }))
}

/// Writes the [`live`] grant `found` merged with or replaced by what the
/// customer `approved`, and deletes its refresh tokens; a fresh grant of
/// the resulting scopes would be kept `fresh_ttl` seconds. Returns the
/// grant as written.
pub async fn write(
    tx: &Transaction,
    pending: &PendingGrantUpdate,
    found: &Found<Grant>,
    approved: Approved,
    fresh_ttl: impl Fn(&[String]) -> u64,
    now: u64,
) -> Result<Grant, KvError> {
    let id = pending.grant_id.as_str();
    let changed = match pending.update {
        GrantUpdate::Merge => grant_merge::merged(&found.payload, approved),
        GrantUpdate::Replace => grant_merge::replaced(&found.payload, approved),
    };
    let kept = found.meta.expires_at.map_or(0, |at| at.saturating_sub(now));
    let ttl = kept.max(fresh_ttl(&changed.scopes)).max(1);
    ops::upsert(tx, id, &changed, Some(ttl), now).await?;
    ops::destroy_in_grant(tx, id, Kind::RefreshToken).await?;
    Ok(changed)
}
