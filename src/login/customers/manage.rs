//! Managing stored customers: list, show, disable, enable, set a password.
//!
//! Disabling marks the account first (from then on it cannot sign in and
//! the OP's lookups find nobody: `Users::find_by_account_id`), then deletes
//! what was issued for it ([`Repo::revoke_by_account_id`]: every grant with
//! its codes, access and refresh tokens, pending CIBA requests). Enabling
//! clears the mark only: revoked grants do not come back (RFC 7009 §2.2: a
//! revoked token stays invalid).

use crate::login::error::LoginError;
use crate::login::user::UserRecord;
use crate::login::users::Users;
use crate::protocol::credentials::normalize_username;
use crate::protocol::ekyc::from_stored;
use crate::store::audit::{Actor, AuditEvent, Change, EventType, Target};
use crate::store::repo::{GrantRevocation, ops};
use serde_json::{Value, json};

/// Most customers one `list` page shows.
pub const MAX_PAGE: usize = 10_000;

/// One line of `fiducia users list`: no hash and no personal data beyond
/// the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRow {
    /// Login name.
    pub username: String,
    /// `sub`.
    pub sub: String,
    /// Full name.
    pub name: String,
    /// Whether the account is disabled.
    pub disabled: bool,
    /// How many verified claim sets it holds.
    pub verified_sets: usize,
}

/// Up to `limit` customers in username order after `after`.
pub async fn list(
    users: &Users,
    after: Option<&str>,
    limit: usize,
    now: u64,
) -> Result<Vec<ListRow>, LoginError> {
    let after = after.map(normalize_username).transpose()?;
    let page = users
        .repo()
        .page::<UserRecord>(after.as_deref(), limit.min(MAX_PAGE), now)
        .await?;
    Ok(page
        .into_iter()
        .map(|f| {
            let u = f.payload;
            ListRow {
                verified_sets: u
                    .verified_claims
                    .as_deref()
                    .and_then(|t| from_stored(t).ok())
                    .map_or(0, |sets| sets.len()),
                username: u.username,
                sub: u.account_id,
                name: u.name,
                disabled: u.disabled,
            }
        })
        .collect())
}

/// The customer as JSON in the import format (`line.rs`), with the
/// password hash redacted and `updated_at` added.
pub fn shown(user: &UserRecord) -> Value {
    let mut out = serde_json::Map::new();
    out.insert("username".into(), json!(user.username));
    out.insert("sub".into(), json!(user.account_id));
    out.insert("password_hash".into(), json!("<redacted>"));
    out.insert("name".into(), json!(user.name));
    let optional = [
        ("given_name", &user.given_name),
        ("family_name", &user.family_name),
        ("phone_number", &user.phone_number),
        ("birthdate", &user.birthdate),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            out.insert(name.into(), json!(value));
        }
    }
    out.insert("email".into(), json!(user.email));
    out.insert("email_verified".into(), json!(user.email_verified));
    out.insert("phone_number_verified".into(), json!(user.phone_number_verified));
    if let Some(Ok(Value::Object(claims))) = user.claims.as_deref().map(serde_json::from_str::<Value>) {
        out.extend(claims);
    }
    if let Some(Ok(sets)) = user.verified_claims.as_deref().map(serde_json::from_str::<Value>) {
        out.insert("verified_claims".into(), sets);
    }
    out.insert("accounts".into(), json!(user.accounts));
    out.insert("disabled".into(), json!(user.disabled));
    // Whether a second factor is enrolled, and when; never its secret.
    if let Some(factor) = &user.totp {
        out.insert(
            "totp".into(),
            json!({"enrolled_at": factor.enrolled_at, "fingerprint": crate::protocol::totp::fingerprint(&factor.secret)}),
        );
    }
    out.insert("updated_at".into(), json!(user.updated_at));
    Value::Object(out)
}

/// Sets the disabled mark of `username`; the account, or `None` when there
/// is no such username.
async fn set_disabled(
    users: &Users,
    username: &str,
    disabled: bool,
    now: u64,
) -> Result<Option<UserRecord>, LoginError> {
    update(users, username, now, |record| record.disabled = disabled).await
}

/// The audit record of an operator disabling or enabling account
/// `account_id` (its `sub`; the username and everything else about the
/// customer stay out of the trail), if the mark moved.
pub fn disabled_changed(account_id: &str, was: bool, now: bool) -> Option<AuditEvent> {
    disabled_changed_by(Actor::local_operator(), account_id, was, now)
}

/// [`disabled_changed`] by `actor` (a Config API caller, `<sub>@<iss>`).
pub fn disabled_changed_by(actor: Actor, account_id: &str, was: bool, now: bool) -> Option<AuditEvent> {
    let (event, from, to) = match (was, now) {
        (false, true) => (EventType::CustomerDisabled, "enabled", "disabled"),
        (true, false) => (EventType::CustomerEnabled, "disabled", "enabled"),
        _ => return None,
    };
    Some(
        AuditEvent::new(event, actor, Target::new("customer", account_id)).with_change(Change::state(
            "status",
            Some(from),
            to,
        )),
    )
}

/// Applies `change` to the account `username` in one transaction.
async fn update(
    users: &Users,
    username: &str,
    now: u64,
    change: impl Fn(&mut UserRecord) + Sync,
) -> Result<Option<UserRecord>, LoginError> {
    let name = normalize_username(username)?;
    let name = name.as_str();
    let change = &change;
    let written = users
        .repo()
        .store()
        .run(|tx, _| async move {
            let Some(found) = ops::find::<UserRecord>(&tx, name, now).await? else {
                return Ok(None);
            };
            let mut record = found.payload;
            let was_disabled = record.disabled;
            change(&mut record);
            record.updated_at = now;
            ops::upsert(&tx, name, &record, None, now).await?;
            if let Some(event) = disabled_changed(&record.account_id, was_disabled, record.disabled) {
                crate::store::audit::append(&tx, &event, now).await?;
            }
            Ok(Some(record))
        })
        .await?;
    Ok(written)
}

/// Disables `username` and revokes everything issued for the account;
/// how many records were revoked, or `None` for no such username. Running
/// it again on a disabled account finishes an interrupted revocation.
pub async fn disable(
    users: &Users,
    username: &str,
    revocation: GrantRevocation,
) -> Result<Option<usize>, LoginError> {
    let Some(record) = set_disabled(users, username, true, revocation.now).await? else {
        return Ok(None);
    };
    Ok(Some(revoke_all(users, &record.account_id, revocation).await?))
}

/// Revokes every grant, code and pending request of `account_id`.
pub async fn revoke_all(
    users: &Users,
    account_id: &str,
    revocation: GrantRevocation,
) -> Result<usize, LoginError> {
    Ok(users.repo().revoke_by_account_id(account_id, revocation).await?)
}

/// Enables `username` again (its revoked grants stay revoked); `false` for
/// no such username.
pub async fn enable(users: &Users, username: &str, now: u64) -> Result<bool, LoginError> {
    Ok(set_disabled(users, username, false, now).await?.is_some())
}

/// Replaces the password of `username` with a hash of `password` under the
/// configured argon2id; `false` for no such username.
pub async fn set_password(
    users: &Users,
    username: &str,
    password: &str,
    now: u64,
) -> Result<bool, LoginError> {
    if password.is_empty() || password.len() > crate::protocol::credentials::MAX_PASSWORD_BYTES {
        return Err(LoginError::MissingField("password (1 to 1024 bytes)"));
    }
    let hash = users.hasher().hash(password).await?;
    Ok(
        update(users, username, now, |record| record.password_hash = hash.clone())
            .await?
            .is_some(),
    )
}

/// Enrols a new TOTP factor (RFC 6238) for `username`, replacing any
/// enrolled one: the new secret (to be shown once, for the customer's
/// authenticator), or `None` for no such username.
pub async fn enrol_totp(users: &Users, username: &str, now: u64) -> Result<Option<Vec<u8>>, LoginError> {
    let secret = crate::protocol::totp::new_secret().map_err(|_| LoginError::Random)?;
    let factor = crate::login::user::TotpFactor {
        secret: secret.clone(),
        enrolled_at: now,
    };
    let written = update(users, username, now, |record| record.totp = Some(factor.clone())).await?;
    Ok(written.map(|_| secret))
}

/// Removes the TOTP factor of `username`; `false` for no such username.
pub async fn remove_totp(users: &Users, username: &str, now: u64) -> Result<bool, LoginError> {
    Ok(update(users, username, now, |record| record.totp = None)
        .await?
        .is_some())
}
