//! A customer as the Config API shows it (`/customers`): what `fiducia
//! users show` prints (`manage::shown`, the import format with
//! `disabled` and `updated_at`) without even the redacted `password_hash`
//! member, and its strong entity tag (RFC 9110 §8.8.3).
//!
//! The tag is made from the stored record's contents, not a revision: a
//! `UserRecord` has no revision counter (adding one is a schema
//! migration), and `updated_at` has a one-second grain, so two changes in
//! one second would share it. The tag is the first 128 bits of the SHA-256
//! of the whole record's JSON, the password hash included, so a password
//! set by `fiducia users set-password` or a rehash at login changes it too
//! (a later `If-Match` with the older tag is 412). The hash enters only
//! through SHA-256 beside the other members; the hash is itself salted
//! argon2id, so the tag reveals nothing a guesser could test.

use super::manage::shown;
use crate::login::user::UserRecord;
use crate::store::keys::sha256;
use serde_json::Value;

/// One customer as read.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerView {
    /// The normalized username (the resource's path segment).
    pub username: String,
    /// The `sub`.
    pub sub: String,
    /// Strong entity tag for `If-Match`: `"u<32 hex>"`.
    pub etag: String,
    /// The representation (no password hash in any form).
    pub body: Value,
}

impl CustomerView {
    /// The view of `record`.
    pub fn of(record: &UserRecord) -> Self {
        let mut body = shown(record);
        if let Value::Object(members) = &mut body {
            members.remove("password_hash");
        }
        Self {
            username: record.username.clone(),
            sub: record.account_id.clone(),
            etag: etag_of(record),
            body,
        }
    }
}

/// The strong entity tag of `record`'s current contents.
pub fn etag_of(record: &UserRecord) -> String {
    // A struct of strings, numbers and vectors always serializes.
    let bytes = serde_json::to_vec(record).unwrap_or_default();
    let digest = sha256(&bytes);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"u{hex}\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::user::NewUser;

    fn record(hash: &str) -> UserRecord {
        NewUser {
            username: "alice".into(),
            account_id: "acc-alice".into(),
            name: "Alice".into(),
            email: "alice@example.com".into(),
            ..NewUser::default()
        }
        .into_record("alice".into(), hash.into(), 7)
    }

    /// No password hash in the representation, not even redacted; the
    /// tag follows every change, the hash's included (RFC 9110 §8.8.3).
    #[test]
    fn the_view_has_no_hash_and_the_tag_follows_the_contents() {
        let a = record("$argon2id$v=19$m=7168,t=5,p=1$c2FsdHNhbHQ$aGFzaA");
        let view = CustomerView::of(&a);
        assert!(view.body.get("password_hash").is_none());
        assert!(!view.body.to_string().contains("argon2id"));
        assert_eq!(view.body["username"], "alice");
        assert_eq!(view.etag, etag_of(&a));
        assert!(view.etag.starts_with("\"u") && view.etag.len() == 35);
        let b = record("$argon2id$v=19$m=7168,t=5,p=1$c2FsdHNhbHQ$b3RoZXI");
        assert_ne!(etag_of(&a), etag_of(&b));
        let mut c = a.clone();
        c.disabled = true;
        assert_ne!(etag_of(&a), etag_of(&c));
    }
}
