//! Customers linked to the bank's upstream OpenID Provider
//! (`[login.upstream]`, `oauth/upstream/`): by the pair (upstream issuer,
//! upstream `sub`), never by an e-mail address or another claim the
//! upstream might let a customer change. The link is the customer
//! record's username: `upstream:` + base64url(SHA-256(issuer, NUL,
//! sub)), which no login form produces by accident and which names the
//! pair without storing it. An operator links an existing customer by
//! giving their record that username (`fiducia users import`, the Config
//! API's customers); with `provision = true` a record is created for a
//! `sub` seen the first time, its `sub` downstream the same name.
//!
//! The configured claims (`claims_map`) are copied onto the record at
//! every login; nothing else the upstream sends is kept.

use super::error::LoginError;
use super::user::{NewUser, UserRecord};
use super::users::Users;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The prefix of a linked customer's username.
pub const LINK_PREFIX: &str = "upstream:";
/// The longest mapped claim value kept.
const MAX_CLAIM_LEN: usize = 256;

/// The username that links a customer to (`issuer`, `sub`).
pub fn link_username(issuer: &str, sub: &str) -> String {
    use base64::Engine;
    let mut input = Vec::with_capacity(issuer.len() + sub.len() + 1);
    input.extend_from_slice(issuer.as_bytes());
    input.push(0);
    input.extend_from_slice(sub.as_bytes());
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &input);
    format!(
        "{LINK_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
    )
}

/// The outcome of linking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Linked {
    /// The linked customer's account id (their `sub` here); `provisioned`:
    /// created by this login.
    Customer {
        /// The account id.
        account_id: String,
        /// Whether the record was created now.
        provisioned: bool,
    },
    /// No enabled customer is linked and provisioning is off.
    Unknown,
}

/// The customer linked to (`issuer`, `sub`), its mapped claims updated
/// from `claims` through `claims_map`; created when `provision` allows.
/// A disabled customer is [`Linked::Unknown`], as one never linked.
pub async fn link(
    users: &Users,
    (issuer, sub): (&str, &str),
    claims: &Map<String, Value>,
    (claims_map, provision): (&BTreeMap<String, String>, bool),
    now: u64,
) -> Result<Linked, LoginError> {
    let username = link_username(issuer, sub);
    let existing = users.find_any_by_username(&username, now).await?;
    let (mut user, provisioned) = match existing {
        Some(record) if record.disabled => return Ok(Linked::Unknown),
        Some(record) => (new_user_of(&record), false),
        None if !provision => return Ok(Linked::Unknown),
        None => {
            // A password nobody knows: a linked customer signs in upstream only.
            let mut random = [0u8; 32];
            aws_lc_rs::rand::fill(&mut random).map_err(|_| LoginError::Random)?;
            let password = {
                use base64::Engine;
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random)
            };
            let user = NewUser {
                username: username.clone(),
                password: Some(password),
                account_id: username.clone(),
                ..NewUser::default()
            };
            (user, true)
        }
    };
    apply_claims(&mut user, claims, claims_map);
    let record = users.create_or_update(user, now).await?;
    Ok(Linked::Customer {
        account_id: record.account_id,
        provisioned,
    })
}

/// The update of `record` that keeps everything (its password, factor,
/// accounts and other claims).
fn new_user_of(record: &UserRecord) -> NewUser {
    NewUser {
        username: record.username.clone(),
        password: None,
        account_id: record.account_id.clone(),
        name: record.name.clone(),
        given_name: record.given_name.clone(),
        family_name: record.family_name.clone(),
        email: record.email.clone(),
        email_verified: record.email_verified,
        phone_number: record.phone_number.clone(),
        phone_number_verified: record.phone_number_verified,
        birthdate: record.birthdate.clone(),
        claims: record.claims.clone(),
        verified_claims: record.verified_claims.clone(),
        accounts: record.accounts.clone(),
        totp_secret: None,
    }
}

/// Copies the mapped claims (upstream name -> customer claim) of the
/// right type and size onto `user`; the others are dropped.
pub fn apply_claims(user: &mut NewUser, claims: &Map<String, Value>, claims_map: &BTreeMap<String, String>) {
    for (from, to) in claims_map {
        let Some(value) = claims.get(from) else {
            continue;
        };
        let text = value
            .as_str()
            .filter(|s| s.len() <= MAX_CLAIM_LEN && !s.chars().any(char::is_control))
            .map(str::to_string);
        let flag = value.as_bool();
        match (to.as_str(), text, flag) {
            ("name", Some(v), _) => user.name = v,
            ("given_name", Some(v), _) => user.given_name = Some(v),
            ("family_name", Some(v), _) => user.family_name = Some(v),
            ("email", Some(v), _) => user.email = v,
            ("phone_number", Some(v), _) => user.phone_number = Some(v),
            ("birthdate", Some(v), _) => user.birthdate = Some(v),
            ("email_verified", _, Some(v)) => user.email_verified = v,
            ("phone_number_verified", _, Some(v)) => user.phone_number_verified = v,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The link is the pair (issuer, sub): another issuer's same `sub` is
    /// another customer, and the NUL keeps the pair unambiguous.
    #[test]
    fn the_link_names_the_issuer_and_the_sub() {
        let a = link_username("https://idp.example", "123");
        assert!(
            a.starts_with(LINK_PREFIX) && a.len() == LINK_PREFIX.len() + 43,
            "{a}"
        );
        assert_ne!(a, link_username("https://other.example", "123"));
        assert_ne!(link_username("https://idp.example/1", "23"), a);
        assert_eq!(a, link_username("https://idp.example", "123"));
    }

    /// Only mapped claims of the right type are copied.
    #[test]
    fn only_mapped_claims_are_kept() {
        let map: BTreeMap<String, String> = [
            ("email", "email"),
            ("name", "name"),
            ("verified", "email_verified"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let claims = json!({"email": "a@example.com", "name": 7, "verified": true, "phone_number": "+44"});
        let mut user = NewUser::default();
        apply_claims(&mut user, claims.as_object().unwrap(), &map);
        assert_eq!(user.email, "a@example.com");
        assert_eq!(user.name, "", "a number is no name");
        assert!(user.email_verified);
        assert_eq!(user.phone_number, None, "not mapped");
    }
}
