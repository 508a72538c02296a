//! A customer account as stored: [`UserRecord`] in the `user` subspace.
//!
//! Records are found by id, and login starts from a username, so a user's
//! record id is its normalized username
//! ([`normalize_username`](crate::protocol::credentials::normalize_username)); the stable
//! subject identifier (`sub`, OIDC Core §2 and §5.7) is `account_id`, indexed
//! through [`Links::account_id`] so tokens and userinfo find the account
//! without knowing the username. A username therefore belongs to one account
//! and an account has one username; renaming is deleting and creating.

use crate::config::{CustomerAccount, SeedUser};
use crate::store::keys::Kind;
use crate::store::record::{Links, StoredRecord};
use serde::{Deserialize, Serialize};

/// A customer account. Claim fields follow OIDC Core §5.1.
///
/// Stored with bincode: add fields only with a schema migration, and never
/// use `skip_serializing_if` here.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    /// The stable subject identifier (`sub`); never reassigned.
    pub account_id: String,
    /// The normalized username (also the record's id).
    pub username: String,
    /// argon2id hash as a PHC string (`$argon2id$v=19$m=...`).
    pub password_hash: String,
    /// Full name for display (`name`).
    pub name: String,
    /// `given_name`.
    pub given_name: Option<String>,
    /// `family_name`.
    pub family_name: Option<String>,
    /// `email`.
    pub email: String,
    /// `email_verified`.
    pub email_verified: bool,
    /// `phone_number`, E.164 recommended.
    pub phone_number: Option<String>,
    /// `phone_number_verified`.
    pub phone_number_verified: bool,
    /// `birthdate`: `YYYY-MM-DD`, or `YYYY` alone.
    pub birthdate: Option<String>,
    /// `updated_at`: Unix seconds of the last change.
    pub updated_at: u64,
    /// The other standard claims the bank holds (OIDC Core §5.1 `address`,
    /// `gender`, `locale`, ...; Identity Assurance Claims §3.1
    /// `place_of_birth`, `nationalities`, ...) as the text of a JSON object,
    /// checked by `protocol::ekyc::validate::standard_claims`. Schema 8.
    pub claims: Option<String>,
    /// The verified claim sets (OpenID Connect for Identity Assurance 1.0),
    /// in `protocol::ekyc::stored` form. Schema 8.
    pub verified_claims: Option<String>,
    /// The customer's payment accounts, offered on the consent page.
    /// Schema 8.
    pub accounts: Vec<CustomerAccount>,
    /// A disabled customer cannot sign in and holds no live grant. Schema
    /// 8 appended these four (store/repo/migrate_v8.rs).
    pub disabled: bool,
    /// The enrolled second factor (TOTP, RFC 6238), if any. Last field:
    /// schema 14 appended it (store/repo/schema.rs `add_second_factor`).
    pub totp: Option<TotpFactor>,
}

/// An enrolled TOTP factor (`protocol::totp`: HMAC-SHA-1, 6 digits, 30 s).
///
/// The secret is kept in the store as the password hash is (the store is
/// the bank's protected database: encrypted at rest, backups included, by
/// its operator), and never leaves it after enrolment: no log line, audit
/// record, error, Debug output, `fiducia users show` or API answer holds
/// it (`fiducia users totp enrol` prints it once).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpFactor {
    /// The shared secret (RFC 4226 §4 R6: 128 bits or more; 160 when made here).
    pub secret: Vec<u8>,
    /// When it was enrolled, Unix seconds.
    pub enrolled_at: u64,
}

impl std::fmt::Debug for TotpFactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpFactor")
            .field("secret", &"<redacted>")
            .field("enrolled_at", &self.enrolled_at)
            .finish()
    }
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No password hash and no personal data in logs.
        f.debug_struct("UserRecord")
            .field("account_id", &self.account_id)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl StoredRecord for UserRecord {
    const KIND: Kind = Kind::User;

    fn links(&self) -> Links {
        Links {
            account_id: Some(self.account_id.clone()),
            ..Links::default()
        }
    }
}

/// What [`Users::create_or_update`] writes: an account and, optionally, a
/// new password.
///
/// [`Users::create_or_update`]: super::Users::create_or_update
#[derive(Clone, Default, PartialEq, Eq)]
pub struct NewUser {
    /// Login name as entered; normalized before use.
    pub username: String,
    /// The new password, hashed before it is stored. `None` keeps an
    /// existing account's password (required for a new account).
    pub password: Option<String>,
    /// The stable `sub` of the account.
    pub account_id: String,
    /// Full name.
    pub name: String,
    /// Given name.
    pub given_name: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// E-mail address.
    pub email: String,
    /// Whether the e-mail address is verified.
    pub email_verified: bool,
    /// Phone number.
    pub phone_number: Option<String>,
    /// Whether the phone number is verified.
    pub phone_number_verified: bool,
    /// Birth date.
    pub birthdate: Option<String>,
    /// Other standard claims as JSON object text ([`UserRecord::claims`]).
    pub claims: Option<String>,
    /// Verified claim sets in stored form ([`UserRecord::verified_claims`]).
    pub verified_claims: Option<String>,
    /// Payment accounts.
    pub accounts: Vec<CustomerAccount>,
    /// A TOTP secret to enrol (RFC 6238); `None` keeps an existing
    /// account's factor (or none).
    pub totp_secret: Option<Vec<u8>>,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("account_id", &self.account_id)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

impl From<&SeedUser> for NewUser {
    fn from(seed: &SeedUser) -> Self {
        Self {
            username: seed.username.clone(),
            password: Some(seed.password.expose().to_owned()),
            account_id: seed.account_id.clone(),
            name: seed.name.clone(),
            given_name: seed.given_name.clone(),
            family_name: seed.family_name.clone(),
            email: seed.email.clone(),
            email_verified: seed.email_verified,
            phone_number: seed.phone_number.clone(),
            phone_number_verified: false,
            birthdate: seed.birthdate.clone(),
            claims: seed
                .claims
                .as_ref()
                .filter(|c| !c.is_empty())
                .map(|c| serde_json::Value::Object(c.clone()).to_string()),
            // Checked at start-up (`config::seed_users`); a set that does not
            // validate here cannot have passed that check.
            verified_claims: seed
                .verified_claims
                .as_ref()
                .and_then(|v| crate::protocol::ekyc::validate::verified_claims(v).ok())
                .map(|sets| crate::protocol::ekyc::to_stored(&sets)),
            accounts: seed.accounts.clone(),
            // Checked at start-up (`config::seed_users`).
            totp_secret: seed
                .totp_secret
                .as_ref()
                .and_then(|s| crate::protocol::totp::base32_decode(s.expose())),
        }
    }
}

impl NewUser {
    /// The record for this account with `password_hash`, changed at `now`.
    pub(crate) fn into_record(self, username: String, password_hash: String, now: u64) -> UserRecord {
        UserRecord {
            account_id: self.account_id,
            username,
            password_hash,
            name: self.name,
            given_name: self.given_name,
            family_name: self.family_name,
            email: self.email,
            email_verified: self.email_verified,
            phone_number: self.phone_number,
            phone_number_verified: self.phone_number_verified,
            birthdate: self.birthdate,
            updated_at: now,
            claims: self.claims,
            verified_claims: self.verified_claims,
            accounts: self.accounts,
            disabled: false,
            totp: self.totp_secret.map(|secret| TotpFactor {
                secret,
                enrolled_at: now,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_hash_and_the_password() {
        let new = NewUser {
            username: "alice".into(),
            password: Some("s3cret".into()),
            totp_secret: Some(b"0123456789abcdef-totp".to_vec()),
            ..NewUser::default()
        };
        assert!(!format!("{new:?}").contains("s3cret"));
        assert!(!format!("{new:?}").contains("totp"));
        let record = new.into_record("alice".into(), "$argon2id$v=19$secret-hash".into(), 1);
        assert!(!format!("{record:?}").contains("secret-hash"));
        let factor = format!("{:?}", record.totp);
        assert!(
            factor.contains("redacted") && !factor.contains("abcdef"),
            "{factor}"
        );
        assert_eq!(record.links().account_id.as_deref(), Some(""));
    }
}
