//! The customers service below HTTP: what the Config API's `/customers`
//! routes call (`config_api/resources/customers.rs`). It reads and pages
//! accounts as `fiducia users list`/`show` do (`manage.rs`), and changes
//! them with the import's own checks (`body.rs` over `line.rs`, the
//! username/`sub` rule of `writer.rs`), each write one store transaction
//! holding the account, the `If-Match` comparison (RFC 9110 §13.1.1,
//! against `view.rs`'s tag of the record read in that transaction, so a
//! lost race is 412, never an overwrite) and its audit record:
//!
//! | operation | record (actor: the operator, `<sub>@<iss>`; target `customer`, the `sub`) |
//! |---|---|
//! | create | `config_changed`: the member names given, `status` → `enabled` |
//! | replace | `config_changed`: the member names whose value changed (`password_hash` by name) |
//! | disable, enable | `customer_disabled`, `customer_enabled` (`manage::disabled_changed_by`), `status` from/to |
//! | delete | `customer_disabled` if it was enabled; then `config_changed`, `status` → `deleted` |
//!
//! The target is the `sub`, as for every customer record of the trail
//! (docs/ARCHITECTURE.md "Audit trail"): the username is personal data and
//! a trail is never swept, and one customer's records then share one chain
//! (`store/audit/chain.rs` stripes by the first target's id).
//!
//! Disabling marks the account in its transaction, then revokes every
//! grant, code, token and pending CIBA request of it (what
//! `manage::revoke_all` revokes, counted per kind; chunked; each grant's
//! `grant_revoked` record names the node, cause `customer_disabled`); a
//! repeated disable finishes an interrupted
//! revocation. Deleting disables and revokes first, then deletes the
//! account if it is still the one disabled (else 412), so no token of a
//! deleted account outlives it.

use super::body;
use super::error::{BodyProblem, CustomerError};
use super::line::Credential;
use super::manage::{self, ListRow, disabled_changed_by};
use super::view::{CustomerView, etag_of};
use super::writer::{OwnerConflict, owner_conflict};
use crate::config::LoginConfig;
use crate::login::user::UserRecord;
use crate::login::users::Users;
use crate::protocol::credentials::normalize_username;
use crate::protocol::entity_tag::if_match_matches;
use crate::store::audit::{Actor, AuditEvent, Change, EventType, Target};
use crate::store::keys::Kind;
use crate::store::kv::MaybeCommitted;
use crate::store::repo::{GrantRevocation, RevocationCause, ops};
use serde_json::Value;

/// What a disable or delete revoked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Revoked {
    /// Grants (each with every code and token issued under it).
    pub grants: usize,
    /// Every record deleted: the grants, codes not yet exchanged, pending
    /// CIBA and pushed requests, interactions, sessions.
    pub records: usize,
}

/// One page of customers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The rows, in username order.
    pub rows: Vec<ListRow>,
    /// The username to continue after, when the page is full.
    pub next: Option<String>,
}

/// The customers service over one node's accounts.
pub struct ManagedCustomers<'a> {
    users: &'a Users,
    login: &'a LoginConfig,
    /// How long a revoked grant's marker is kept (`[tokens]`).
    keep_secs: u64,
}

impl<'a> ManagedCustomers<'a> {
    /// The service over `users`, with the `[login]` checks and the
    /// revocation marker's lifetime.
    pub fn new(users: &'a Users, login: &'a LoginConfig, keep_secs: u64) -> Self {
        Self {
            users,
            login,
            keep_secs,
        }
    }

    /// Up to `limit` (1 to `manage::MAX_PAGE`) customers after the
    /// username `after`.
    pub async fn page(&self, after: Option<&str>, limit: usize, now: u64) -> Result<Page, CustomerError> {
        if let Some(after) = after
            && normalize_username(after).is_err()
        {
            return Err(CustomerError::Invalid(vec![BodyProblem {
                path: "?after".into(),
                problem: "must be a username (a `next` link's)".into(),
            }]));
        }
        let limit = limit.clamp(1, manage::MAX_PAGE);
        let rows = manage::list(self.users, after, limit, now).await?;
        let next = match rows.len() == limit {
            true => rows.last().map(|r| r.username.clone()),
            false => None,
        };
        Ok(Page { rows, next })
    }

    /// One customer.
    pub async fn get(&self, username: &str, now: u64) -> Result<CustomerView, CustomerError> {
        Ok(CustomerView::of(&self.find(username, now).await?))
    }

    async fn find(&self, username: &str, now: u64) -> Result<UserRecord, CustomerError> {
        self.users
            .find_any_by_username(username, now)
            .await?
            .ok_or(CustomerError::NotFound)
    }

    /// Creates a customer from an import line's members (`body.rs`): 409
    /// when the username exists or the `sub` has another username. Without
    /// `password_hash` the account gets the hash of a random secret nobody
    /// holds: it cannot sign in until a password is set, and a login
    /// attempt costs and answers as a wrong password.
    pub async fn create(
        &self,
        operator: &str,
        body: &Value,
        now: u64,
    ) -> Result<CustomerView, CustomerError> {
        let parsed = body::parse(body, None, self.login).map_err(CustomerError::Invalid)?;
        let hash = match parsed.credential {
            Credential::Hash(hash) => hash,
            // `body.rs` refuses a clear password: never `Password` here.
            Credential::Keep | Credential::Password(_) => self.unusable_hash().await?,
        };
        let username = parsed.user.username.clone();
        let record = parsed.user.into_record(username, hash, now);
        let mut changed: Vec<Change> = member_names(body).iter().map(|m| Change::member(m)).collect();
        changed.push(Change::state("status", None, "enabled"));
        let event = self.config_changed(operator, &record.account_id, changed);
        let record = &record;
        let event = &event;
        self.users
            .repo()
            .store()
            .run(|tx, MaybeCommitted(maybe)| async move {
                if let Some(existing) = ops::find::<UserRecord>(&tx, &record.username, now).await? {
                    // This call's own write, committed after all.
                    if maybe && existing.payload == *record {
                        return Ok(Ok(()));
                    }
                    return Ok(Err(CustomerError::UsernameTaken));
                }
                match owner_conflict(&tx, record, None, now).await? {
                    Some(OwnerConflict::UsernameTaken) => return Ok(Err(CustomerError::UsernameTaken)),
                    Some(OwnerConflict::SubTaken) => return Ok(Err(CustomerError::SubTaken)),
                    None => {}
                }
                ops::upsert(&tx, &record.username, record, None, now).await?;
                crate::store::audit::append(&tx, event, now).await?;
                Ok(Ok(()))
            })
            .await??;
        Ok(CustomerView::of(record))
    }

    /// Replaces a customer's profile, claims, verified claims and accounts
    /// with `body` (PUT semantics: members left out are cleared; the
    /// password is kept unless `password_hash` is given; the disabled
    /// state is kept) when `if_match` names its current ETag.
    pub async fn replace(
        &self,
        operator: &str,
        username: &str,
        if_match: &str,
        body: &Value,
        now: u64,
    ) -> Result<CustomerView, CustomerError> {
        let current = self.find(username, now).await?;
        // RFC 9110 §13.2.2: the precondition before the body's checks.
        if !if_match_matches(if_match, &etag_of(&current)) {
            return Err(CustomerError::PreconditionFailed);
        }
        let parsed = body::parse(body, Some(&current), self.login).map_err(CustomerError::Invalid)?;
        let new_hash = match parsed.credential {
            Credential::Hash(hash) => Some(hash),
            Credential::Keep | Credential::Password(_) => None,
        };
        let (name, user, new_hash) = (&current.username, &parsed.user, &new_hash);
        let written = self
            .users
            .repo()
            .store()
            .run(|tx, MaybeCommitted(maybe)| async move {
                let Some(found) = ops::find::<UserRecord>(&tx, name, now).await? else {
                    return Ok(Err(CustomerError::NotFound));
                };
                let stored = found.payload;
                let hash = new_hash.clone().unwrap_or_else(|| stored.password_hash.clone());
                let mut record = user.clone().into_record(name.clone(), hash, now);
                record.disabled = stored.disabled;
                // The enrolled second factor stays (a body cannot carry one: body.rs).
                record.totp = stored.totp.clone();
                if maybe && stored == record {
                    return Ok(Ok(record));
                }
                if !if_match_matches(if_match, &etag_of(&stored)) {
                    return Ok(Err(CustomerError::PreconditionFailed));
                }
                let changed = changed_members(&stored, &record);
                if changed.is_empty() {
                    return Ok(Ok(stored));
                }
                ops::upsert(&tx, name, &record, None, now).await?;
                let changed = changed.iter().map(|m| Change::member(m)).collect();
                let event = self.config_changed(operator, &record.account_id, changed);
                crate::store::audit::append(&tx, &event, now).await?;
                Ok(Ok(record))
            })
            .await??;
        Ok(CustomerView::of(&written))
    }

    /// Disables a customer when `if_match` names its ETag, then revokes
    /// everything the account holds; the account and how many grants,
    /// codes, tokens and pending requests were revoked.
    pub async fn disable(
        &self,
        operator: &str,
        username: &str,
        if_match: &str,
        now: u64,
    ) -> Result<(CustomerView, Revoked), CustomerError> {
        let record = self.set_disabled(operator, username, if_match, true, now).await?;
        let revoked = self.revoke_all(&record.account_id, now).await?;
        Ok((CustomerView::of(&record), revoked))
    }

    /// Revokes what the account holds (`manage::revoke_all`'s scope), counted.
    async fn revoke_all(&self, account_id: &str, now: u64) -> Result<Revoked, CustomerError> {
        let counts = self
            .users
            .repo()
            .revoke_by_account_id_per_kind(account_id, self.revocation(now))
            .await?;
        Ok(Revoked {
            grants: counts
                .iter()
                .filter(|(kind, _)| *kind == Kind::Grant)
                .map(|(_, n)| n.own)
                .sum(),
            records: counts.iter().map(|(_, n)| n.total).sum(),
        })
    }

    /// Enables a disabled customer when `if_match` names its ETag (revoked
    /// grants stay revoked, RFC 7009 §2.2).
    pub async fn enable(
        &self,
        operator: &str,
        username: &str,
        if_match: &str,
        now: u64,
    ) -> Result<CustomerView, CustomerError> {
        let record = self
            .set_disabled(operator, username, if_match, false, now)
            .await?;
        Ok(CustomerView::of(&record))
    }

    /// Deletes a customer when `if_match` names its ETag: disabled and
    /// revoked first, then deleted unless changed meanwhile (412); what
    /// was revoked.
    pub async fn delete(
        &self,
        operator: &str,
        username: &str,
        if_match: &str,
        now: u64,
    ) -> Result<Revoked, CustomerError> {
        let disabled = self.set_disabled(operator, username, if_match, true, now).await?;
        let revoked = self.revoke_all(&disabled.account_id, now).await?;
        let (disabled, tag) = (&disabled, &etag_of(&disabled));
        self.users
            .repo()
            .store()
            .run(|tx, MaybeCommitted(maybe)| async move {
                let Some(found) = ops::find::<UserRecord>(&tx, &disabled.username, now).await? else {
                    return Ok(match maybe {
                        true => Ok(()),
                        false => Err(CustomerError::NotFound),
                    });
                };
                if etag_of(&found.payload) != *tag {
                    return Ok(Err(CustomerError::PreconditionFailed));
                }
                ops::destroy(&tx, Kind::User, &disabled.username).await?;
                let changed = vec![Change::state("status", Some("disabled"), "deleted")];
                let event = self.config_changed(operator, &disabled.account_id, changed);
                crate::store::audit::append(&tx, &event, now).await?;
                Ok(Ok(()))
            })
            .await??;
        Ok(revoked)
    }

    /// Sets the disabled mark in one transaction with its audit record;
    /// the account as it is after. An account already in that state is
    /// not written (and not recorded).
    async fn set_disabled(
        &self,
        operator: &str,
        username: &str,
        if_match: &str,
        disabled: bool,
        now: u64,
    ) -> Result<UserRecord, CustomerError> {
        let name = normalize_username(username).map_err(|_| CustomerError::NotFound)?;
        let name = name.as_str();
        let record = self
            .users
            .repo()
            .store()
            .run(|tx, MaybeCommitted(maybe)| async move {
                let Some(found) = ops::find::<UserRecord>(&tx, name, now).await? else {
                    return Ok(Err(CustomerError::NotFound));
                };
                let stored = found.payload;
                // This call's own write, committed after all.
                if maybe && stored.disabled == disabled && stored.updated_at == now {
                    return Ok(Ok(stored));
                }
                if !if_match_matches(if_match, &etag_of(&stored)) {
                    return Ok(Err(CustomerError::PreconditionFailed));
                }
                if stored.disabled == disabled {
                    return Ok(Ok(stored));
                }
                let mut record = stored;
                record.disabled = disabled;
                record.updated_at = now;
                ops::upsert(&tx, name, &record, None, now).await?;
                let actor = Actor::Operator(operator.to_string());
                if let Some(event) = disabled_changed_by(actor, &record.account_id, !disabled, disabled) {
                    crate::store::audit::append(&tx, &event, now).await?;
                }
                Ok(Ok(record))
            })
            .await??;
        Ok(record)
    }

    fn revocation(&self, now: u64) -> GrantRevocation {
        GrantRevocation {
            now,
            keep_secs: self.keep_secs,
            cause: RevocationCause::CustomerDisabledThroughApi,
        }
    }

    fn config_changed(&self, operator: &str, account_id: &str, changed: Vec<Change>) -> AuditEvent {
        AuditEvent {
            event: EventType::ConfigChanged,
            actor: Actor::Operator(operator.to_string()),
            targets: vec![Target::new("customer", account_id)],
            changed,
        }
    }

    /// The argon2id hash (configured cost) of 244 random bits nobody holds.
    async fn unusable_hash(&self) -> Result<String, CustomerError> {
        let secret = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        Ok(self.users.hasher().hash(&secret).await?)
    }
}

/// The top-level member names of `body`, sorted.
fn member_names(body: &Value) -> Vec<String> {
    let mut names: Vec<String> = body
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// The members whose value differs between `before` and `after` as
/// shown (`updated_at` aside), and `password_hash` by name when the hash
/// changed; never a value.
fn changed_members(before: &UserRecord, after: &UserRecord) -> Vec<String> {
    let (a, b) = (CustomerView::of(before).body, CustomerView::of(after).body);
    let empty = serde_json::Map::new();
    let (a, b) = (a.as_object().unwrap_or(&empty), b.as_object().unwrap_or(&empty));
    let mut names: Vec<String> = a
        .keys()
        .chain(b.keys())
        .filter(|k| k.as_str() != "updated_at" && a.get(*k) != b.get(*k))
        .cloned()
        .collect();
    if before.password_hash != after.password_hash {
        names.push("password_hash".into());
    }
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests;
