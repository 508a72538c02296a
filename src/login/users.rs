//! The accounts the login page checks passwords against: [`Users`], over the
//! store's typed repo.

use super::error::LoginError;
use super::password::PasswordHasher;
use super::throttle::AccountGate;
use super::user::{NewUser, UserRecord};
use crate::config::SeedUser;
use crate::protocol::credentials::{check_account_id, normalize_username};
use crate::store::keys::{Index, Kind};
use crate::store::repo::{Repo, ops};

/// Customer accounts: create, authenticate, look up. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Users {
    repo: Repo,
    hasher: PasswordHasher,
    gate: AccountGate,
}

impl Users {
    /// Accounts in `repo`, passwords hashed and checked by `hasher`.
    pub fn new(repo: Repo, hasher: PasswordHasher) -> Self {
        Self {
            repo,
            hasher,
            gate: AccountGate::default(),
        }
    }

    /// The checks of one username in flight on this node
    /// (`login::throttle`).
    pub fn gate(&self) -> &AccountGate {
        &self.gate
    }

    /// The password hasher (for a caller that hashes elsewhere).
    pub fn hasher(&self) -> &PasswordHasher {
        &self.hasher
    }

    /// The store's typed repo (for `login::customers`).
    pub fn repo(&self) -> &Repo {
        &self.repo
    }

    /// Creates the account, or updates the one with the same username. A
    /// username belongs to one account id and an account id to one username:
    /// anything else is [`LoginError::AccountConflict`] and writes nothing.
    /// With `user.password` `None` an existing account keeps its password; a
    /// new account needs one ([`LoginError::MissingField`]).
    pub async fn create_or_update(&self, user: NewUser, now: u64) -> Result<UserRecord, LoginError> {
        let username = normalize_username(&user.username)?;
        check_account_id(&user.account_id)?;
        let new_hash = match &user.password {
            Some(password) => Some(self.hasher.hash(password).await?),
            None => None,
        };
        let template = user.into_record(username.clone(), String::new(), now);
        let written = self
            .repo
            .store()
            .run(|tx, _| {
                let mut record = template.clone();
                let new_hash = new_hash.clone();
                let username = username.as_str();
                async move {
                    let existing = ops::find::<UserRecord>(&tx, username, now).await?;
                    if let Some(e) = &existing
                        && e.payload.account_id != record.account_id
                    {
                        return Ok(Err(LoginError::AccountConflict(format!(
                            "username `{username}` belongs to another account"
                        ))));
                    }
                    let same_account =
                        ops::find_by_index::<UserRecord>(&tx, Index::User, &record.account_id, now, 0)
                            .await?;
                    if let Some(other) = same_account.iter().find(|f| f.payload.username != username) {
                        return Ok(Err(LoginError::AccountConflict(format!(
                            "account `{}` already has username `{}`",
                            record.account_id, other.payload.username
                        ))));
                    }
                    // Updating an account never enables it again (`users enable` does).
                    record.disabled = existing.as_ref().is_some_and(|e| e.payload.disabled);
                    // No new secret keeps the enrolled factor (or none).
                    if record.totp.is_none() {
                        record.totp = existing.as_ref().and_then(|e| e.payload.totp.clone());
                    }
                    record.password_hash = match (new_hash, existing) {
                        (Some(hash), _) => hash,
                        (None, Some(e)) => e.payload.password_hash,
                        (None, None) => return Ok(Err(LoginError::MissingField("password"))),
                    };
                    ops::upsert(&tx, username, &record, None, now).await?;
                    Ok(Ok(record))
                }
            })
            .await??;
        Ok(written)
    }

    /// Creates or updates the `[login] seed_users` (sandboxes and tests);
    /// returns how many it wrote.
    pub async fn seed(&self, seeds: &[SeedUser], now: u64) -> Result<usize, LoginError> {
        for seed in seeds {
            self.create_or_update(NewUser::from(seed), now).await?;
        }
        Ok(seeds.len())
    }

    /// The account whose username and password these are, or `None` for a
    /// wrong password, an unknown or malformed username alike.
    ///
    /// Always runs exactly one argon2 verification (against a dummy hash
    /// when there is no such user), so the time taken does not tell which
    /// usernames exist (OWASP Authentication Cheat Sheet, "Authentication
    /// Responses"). A disabled account (`fiducia users disable`) is `None`
    /// too, after the same one verification, so its answer and its time
    /// are those of a wrong password. A hash made with older settings is
    /// replaced after a successful login (best effort: a failure is logged,
    /// the login stands).
    pub async fn authenticate(
        &self,
        username: &str,
        password: &str,
        now: u64,
    ) -> Result<Option<UserRecord>, LoginError> {
        let user = match normalize_username(username) {
            Ok(name) => self.repo.find::<UserRecord>(&name, now).await?.map(|f| f.payload),
            Err(_) => None,
        };
        let stored = user.as_ref().map(|u| u.password_hash.as_str());
        if !self.hasher.verify(stored, password).await? {
            return Ok(None);
        }
        let Some(user) = user.filter(|u| !u.disabled) else {
            return Ok(None);
        };
        if self.hasher.needs_rehash(&user.password_hash) {
            match self.rehash(&user, password, now).await {
                Ok(updated) => return Ok(Some(updated)),
                Err(error) => tracing::warn!(%error, account_id = %user.account_id, "password rehash failed"),
            }
        }
        Ok(Some(user))
    }

    /// The enabled account with username `username` (normalized first);
    /// `None` for a disabled one, which is nobody to the OP's flows (CIBA
    /// `login_hint`: `unknown_user_id`, CIBA Core §13).
    pub async fn find_by_username(&self, username: &str, now: u64) -> Result<Option<UserRecord>, LoginError> {
        Ok(self
            .find_any_by_username(username, now)
            .await?
            .filter(|u| !u.disabled))
    }

    /// The account with username `username`, enabled or not (management).
    pub async fn find_any_by_username(
        &self,
        username: &str,
        now: u64,
    ) -> Result<Option<UserRecord>, LoginError> {
        let Ok(name) = normalize_username(username) else {
            return Ok(None);
        };
        Ok(self.repo.find::<UserRecord>(&name, now).await?.map(|f| f.payload))
    }

    /// The enabled account whose `sub` is `account_id`; `None` for a
    /// disabled one, so that the consent page, userinfo (`invalid_token`,
    /// RFC 6750 §3.1), a refresh (`invalid_grant`, RFC 6749 §5.2) and CIBA
    /// hints find nobody, whatever token survived the revocation.
    pub async fn find_by_account_id(
        &self,
        account_id: &str,
        now: u64,
    ) -> Result<Option<UserRecord>, LoginError> {
        let found = self.repo.find_by_user::<UserRecord>(account_id, now).await?;
        Ok(found
            .into_iter()
            .next()
            .map(|f| f.payload)
            .filter(|u| !u.disabled))
    }

    /// Deletes the account with username `username`; `false` if none.
    pub async fn delete(&self, username: &str) -> Result<bool, LoginError> {
        let name = normalize_username(username)?;
        Ok(self.repo.destroy(Kind::User, &name).await?)
    }

    /// Replaces `user`'s hash with one under the current settings, unless the
    /// stored hash changed meanwhile (then the newer password wins).
    async fn rehash(&self, user: &UserRecord, password: &str, now: u64) -> Result<UserRecord, LoginError> {
        let new_hash = self.hasher.hash(password).await?;
        let username = user.username.as_str();
        let old_hash = user.password_hash.as_str();
        let written = self
            .repo
            .store()
            .run(|tx, _| {
                let new_hash = new_hash.clone();
                async move {
                    let Some(found) = ops::find::<UserRecord>(&tx, username, now).await? else {
                        return Ok(None);
                    };
                    let mut record = found.payload;
                    if record.password_hash != old_hash {
                        return Ok(Some(record));
                    }
                    record.password_hash = new_hash;
                    ops::upsert(&tx, username, &record, None, now).await?;
                    Ok(Some(record))
                }
            })
            .await?;
        Ok(written.unwrap_or_else(|| user.clone()))
    }
}

#[cfg(test)]
mod tests;
