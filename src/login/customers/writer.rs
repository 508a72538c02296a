//! The write phase of an import: checked customers ([`super::check`])
//! stored in bounded transactions.
//!
//! - Passwords are hashed before a batch's transaction, on the password
//!   hasher's own threads (`login::password`), at most `parallel` at a
//!   time so the hasher's bounded queue is never overrun.
//! - A batch is at most [`BATCH_RECORDS`] customers and about
//!   [`BATCH_BYTES`] of values, far below the store's per-transaction
//!   limits (10 MB, 5 s; `store::kv`), one group commit each.
//! - Inside the transaction each account is read again and the
//!   username/`sub` rule checked once more, so a write never breaks it even
//!   if the store changed after the read phase; an existing account keeps
//!   its password when the line brings none, and its disabled state when
//!   the line does not say.
//!
//! Batches committed before a crash stay; the rest are not there. The same
//! file imported again writes the same accounts again (idempotent).

use super::check::Checked;
use super::line::Credential;
use crate::login::error::LoginError;
use crate::login::user::UserRecord;
use crate::login::users::Users;
use crate::store::keys::Index;
use crate::store::kv::{KvError, Transaction};
use crate::store::repo::ops;
use futures::StreamExt;

/// Most customers per transaction.
pub const BATCH_RECORDS: usize = 1000;
/// Most value bytes per transaction (estimated from the records' texts).
pub const BATCH_BYTES: usize = 4 * 1024 * 1024;

/// What an import wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    /// New accounts.
    pub created: usize,
    /// Existing accounts updated.
    pub updated: usize,
    /// Transactions committed.
    pub batches: usize,
    /// Accounts this import disabled that were enabled (their grants must
    /// be revoked: `manage::revoke_all`).
    pub newly_disabled: Vec<String>,
}

/// Writes `checked` through `users` at `now`, hashing up to `parallel`
/// passwords at once; `progress` is told the customers written so far
/// after each batch.
pub async fn write(
    users: &Users,
    checked: Vec<Checked>,
    parallel: usize,
    now: u64,
    mut progress: impl FnMut(usize),
) -> Result<Written, LoginError> {
    let mut written = Written::default();
    let mut done = 0;
    let mut rest = checked.into_iter().peekable();
    while rest.peek().is_some() {
        let mut batch = Vec::new();
        let mut bytes = 0;
        while let Some(next) = rest.peek() {
            let size = estimate(next);
            if !batch.is_empty() && (batch.len() >= BATCH_RECORDS || bytes + size > BATCH_BYTES) {
                break;
            }
            bytes += size;
            batch.extend(rest.next());
        }
        let outcome = write_batch(users, batch, parallel, now).await?;
        done += outcome.created + outcome.updated;
        written.created += outcome.created;
        written.updated += outcome.updated;
        written.newly_disabled.extend(outcome.newly_disabled);
        written.batches += 1;
        progress(done);
    }
    Ok(written)
}

fn estimate(c: &Checked) -> usize {
    let u = &c.record.user;
    512 + u.claims.as_ref().map_or(0, String::len)
        + u.verified_claims.as_ref().map_or(0, String::len)
        + u.accounts.len() * 128
}

/// One batch: hashes, then one transaction.
async fn write_batch(
    users: &Users,
    batch: Vec<Checked>,
    parallel: usize,
    now: u64,
) -> Result<Written, LoginError> {
    let hasher = users.hasher();
    let hashed: Vec<Result<(Checked, Option<String>), LoginError>> = futures::stream::iter(batch)
        .map(|mut c| async move {
            let hash = match std::mem::replace(&mut c.record.credential, Credential::Keep) {
                Credential::Password(password) => Some(hasher.hash(&password).await?),
                Credential::Hash(hash) => Some(hash),
                Credential::Keep => None,
            };
            Ok((c, hash))
        })
        .buffered(parallel.max(1))
        .collect()
        .await;
    let mut rows = Vec::with_capacity(hashed.len());
    for row in hashed {
        let (c, hash) = row?;
        let disabled = c.record.disabled;
        let username = c.record.user.username.clone();
        let record = c
            .record
            .user
            .into_record(username, hash.clone().unwrap_or_default(), now);
        rows.push((c.line, record, hash.is_some(), disabled));
    }
    let rows = &rows;
    let outcome = users
        .repo()
        .store()
        .run(|tx, _| async move {
            let mut out = Written::default();
            for (line, template, has_hash, disabled) in rows {
                let mut record = template.clone();
                let existing = ops::find::<UserRecord>(&tx, &record.username, now).await?;
                let conflict =
                    owner_conflict(&tx, &record, existing.as_ref().map(|e| &e.payload), now).await?;
                if conflict.is_some() {
                    return Ok(Err(LoginError::AccountConflict(format!(
                        "line {line}: username `{}` or sub `{}` changed owner after the check",
                        record.username, record.account_id
                    ))));
                }
                let was_disabled = existing.as_ref().is_some_and(|e| e.payload.disabled);
                record.disabled = disabled.unwrap_or(was_disabled);
                // A line without `totp_secret` keeps the enrolled factor.
                if record.totp.is_none() {
                    record.totp = existing.as_ref().and_then(|e| e.payload.totp.clone());
                }
                if !has_hash {
                    match &existing {
                        Some(e) => record.password_hash = e.payload.password_hash.clone(),
                        None => return Ok(Err(LoginError::MissingField("password"))),
                    }
                }
                if record.disabled && !was_disabled && existing.is_some() {
                    out.newly_disabled.push(record.account_id.clone());
                }
                if existing.is_some() {
                    out.updated += 1;
                } else {
                    out.created += 1;
                }
                ops::upsert(&tx, &record.username, &record, None, now).await?;
                if existing.is_some()
                    && let Some(event) =
                        super::manage::disabled_changed(&record.account_id, was_disabled, record.disabled)
                {
                    crate::store::audit::append(&tx, &event, now).await?;
                }
            }
            Ok(Ok(out))
        })
        .await??;
    Ok(outcome)
}

/// Which rule writing `record` would break (`login/user.rs`: a username
/// belongs to one `sub` and a `sub` to one username), read inside `tx`;
/// `existing` is what the store holds under `record`'s username. `None`:
/// it may be written. The import's write and the Config API's writes
/// (`service.rs`) both check it in their own transaction.
pub async fn owner_conflict(
    tx: &Transaction,
    record: &UserRecord,
    existing: Option<&UserRecord>,
    now: u64,
) -> Result<Option<OwnerConflict>, KvError> {
    if existing.is_some_and(|e| e.account_id != record.account_id) {
        return Ok(Some(OwnerConflict::UsernameTaken));
    }
    let other_name = ops::find_by_index::<UserRecord>(tx, Index::User, &record.account_id, now, 2)
        .await?
        .into_iter()
        .any(|f| f.payload.username != record.username);
    Ok(other_name.then_some(OwnerConflict::SubTaken))
}

/// A broken username/`sub` rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerConflict {
    /// The username belongs to another `sub`.
    UsernameTaken,
    /// The `sub` has another username.
    SubTaken,
}
