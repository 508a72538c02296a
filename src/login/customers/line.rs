//! One line of an import file (`fiducia users import`): a JSON object
//! describing one customer, parsed into what the writer stores.
//!
//! ```json
//! {"username": "carol", "sub": "acc-carol-1", "password": "...",
//!  "name": "Carol Jones", "given_name": "Carol", "family_name": "Jones",
//!  "email": "carol@example.com", "email_verified": true,
//!  "birthdate": "1985-02-11", "address": {"country": "GB", ...},
//!  "verified_claims": {"verification": {...}, "claims": {...}},
//!  "accounts": [{"identification": "GB29NWBK60161331926819", "currency": "GBP"}],
//!  "disabled": false}
//! ```
//!
//! - `username` (our login name rules, `protocol::credentials`) and `sub`
//!   (OIDC Core §2: 1-255 printable ASCII) are required;
//! - `password` (hashed with the configured argon2id) or `password_hash`
//!   (an argon2id PHC string, [`super::phc`]), not both; neither keeps an
//!   existing account's password, and a new account needs one;
//! - `name` and `email` are required (the consent page and the `email`
//!   scope show them); every other member is a standard claim (OIDC Core
//!   §5.1, Identity Assurance Claims §3.1), checked by name and type with
//!   the Identity Assurance validator (`protocol::ekyc::validate`);
//! - `verified_claims`: one set or an array of sets, checked against the
//!   Identity Assurance schema (Schema §5) by the same validator;
//! - `accounts`: payment accounts as `[[login.seed_users.accounts]]`;
//! - `disabled` (optional): absent keeps an existing account's state;
//! - `totp_secret` (optional): the customer's TOTP secret (RFC 6238), base32
//!   (RFC 4648 §6) of 16 to 64 bytes, enrolled as their second factor;
//!   absent keeps an enrolled one. Never echoed in an error.

use super::phc;
use crate::config::{CustomerAccount, LoginConfig};
use crate::login::user::NewUser;
use crate::protocol::credentials::{MAX_PASSWORD_BYTES, check_account_id, normalize_username};
use crate::protocol::ekyc::{FieldError, to_stored, validate};
use serde_json::{Map, Value};

/// Longest line accepted, in bytes: a customer with the largest verified
/// claims (`ekyc::limits::MAX_STORED_BYTES`) and room for the rest.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// How an imported customer's password is set.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// A password to hash with the configured argon2id.
    Password(String),
    /// An argon2id PHC string made elsewhere, stored as given.
    Hash(String),
    /// Neither: an existing account keeps its password.
    Keep,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Credential::Password(_) => "Password(<redacted>)",
            Credential::Hash(_) => "Hash(<redacted>)",
            Credential::Keep => "Keep",
        })
    }
}

/// One customer as the file describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRecord {
    /// The account, `username` normalized, no password (see `credential`).
    pub user: NewUser,
    /// The password to set.
    pub credential: Credential,
    /// `Some` when the line says whether the account is disabled.
    pub disabled: Option<bool>,
}

/// Members of the line that are not claims.
const OWN: &[&str] = &[
    "username",
    "sub",
    "password",
    "password_hash",
    "verified_claims",
    "accounts",
    "disabled",
    "totp_secret",
];

/// Claims the record keeps in fields of its own (`UserRecord`); every other
/// claim goes into `UserRecord::claims`.
const IN_RECORD: &[&str] = &[
    "name",
    "given_name",
    "family_name",
    "email",
    "email_verified",
    "phone_number",
    "phone_number_verified",
    "birthdate",
];

/// Claims the OP sets itself and an import may not.
const SET_BY_OP: &[&str] = &["updated_at"];

/// Parses and checks one line; every problem found, with the JSON path of
/// its member.
pub fn parse(text: &str, config: &LoginConfig) -> Result<ImportRecord, Vec<FieldError>> {
    let mut errors = Vec::new();
    let err = |errors: &mut Vec<FieldError>, path: &str, problem: &str| {
        errors.push(FieldError {
            path: path.to_owned(),
            problem: problem.to_owned(),
        })
    };
    if text.len() > MAX_LINE_BYTES {
        err(
            &mut errors,
            "$",
            &format!("the line is longer than {MAX_LINE_BYTES} bytes"),
        );
        return Err(errors);
    }
    let mut object: Map<String, Value> = match serde_json::from_str(text) {
        Ok(Value::Object(object)) => object,
        Ok(_) => {
            err(&mut errors, "$", "must be a JSON object");
            return Err(errors);
        }
        Err(e) => {
            err(&mut errors, "$", &format!("is not JSON: {e}"));
            return Err(errors);
        }
    };
    let mut text_member = |name: &str, required: bool, errors: &mut Vec<FieldError>| match object.remove(name)
    {
        Some(Value::String(s)) => Some(s),
        None | Some(Value::Null) if !required => None,
        None | Some(Value::Null) => {
            err(errors, name, "is required");
            None
        }
        Some(_) => {
            err(errors, name, "must be a string");
            None
        }
    };
    let username =
        text_member("username", true, &mut errors).and_then(|raw| match normalize_username(&raw) {
            Ok(name) => Some(name),
            Err(e) => {
                err(&mut errors, "username", &e.to_string());
                None
            }
        });
    let sub = text_member("sub", true, &mut errors);
    if let Some(sub) = &sub
        && check_account_id(sub).is_err()
    {
        err(
            &mut errors,
            "sub",
            "must be 1 to 255 printable ASCII characters without spaces (OIDC Core §2)",
        );
    }
    let password = text_member("password", false, &mut errors);
    let password_hash = text_member("password_hash", false, &mut errors);
    let credential = match (password, password_hash) {
        (Some(_), Some(_)) => {
            err(
                &mut errors,
                "password_hash",
                "give password or password_hash, not both",
            );
            Credential::Keep
        }
        (Some(p), None) if p.is_empty() || p.len() > MAX_PASSWORD_BYTES => {
            err(
                &mut errors,
                "password",
                &format!("must be 1 to {MAX_PASSWORD_BYTES} bytes"),
            );
            Credential::Keep
        }
        (Some(p), None) => Credential::Password(p),
        (None, Some(h)) => match phc::problem(&h, config) {
            Some(problem) => {
                err(&mut errors, "password_hash", &problem);
                Credential::Keep
            }
            None => Credential::Hash(h),
        },
        (None, None) => Credential::Keep,
    };
    let disabled = match object.remove("disabled") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(b),
        Some(_) => {
            err(&mut errors, "disabled", "must be true or false");
            None
        }
    };
    let totp_secret = match object.remove("totp_secret") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => match crate::protocol::totp::base32_decode(&text) {
            Some(secret) => Some(secret),
            None => {
                err(
                    &mut errors,
                    "totp_secret",
                    "must be base32 (RFC 4648 §6) of 16 to 64 bytes (RFC 4226 §4: at least 128 bits)",
                );
                None
            }
        },
        Some(_) => {
            err(&mut errors, "totp_secret", "must be a string");
            None
        }
    };
    let verified_claims = match object.remove("verified_claims") {
        None | Some(Value::Null) => None,
        Some(value) => match validate::verified_claims(&value) {
            Ok(sets) => Some(to_stored(&sets)),
            Err(e) => {
                errors.extend(e.0);
                None
            }
        },
    };
    let accounts = match object.remove("accounts") {
        None | Some(Value::Null) => Vec::new(),
        Some(value) => match serde_path_to_error::deserialize::<_, Vec<CustomerAccount>>(value) {
            Ok(accounts) => {
                if let Some((path, problem)) = crate::config::accounts_problem(&accounts) {
                    err(&mut errors, &path, &problem);
                }
                accounts
            }
            Err(e) => {
                let path = match e.path().to_string() {
                    p if p == "." => "accounts".to_owned(),
                    p if p.starts_with('[') => format!("accounts{p}"),
                    p => format!("accounts.{p}"),
                };
                err(&mut errors, &path, &e.into_inner().to_string());
                Vec::new()
            }
        },
    };
    debug_assert!(OWN.iter().all(|k| !object.contains_key(*k)));
    // What is left are claims: known names with their types (OIDC Core §5.1).
    for name in SET_BY_OP {
        if object.contains_key(*name) {
            err(&mut errors, name, "is set by the OP when the record is written");
        }
    }
    object.retain(|k, _| !SET_BY_OP.contains(&k.as_str()));
    if let Err(e) = validate::standard_claims(&object) {
        errors.extend(e.0.into_iter().map(|f| {
            FieldError {
                path: f
                    .path
                    .strip_prefix("claims.")
                    .map_or(f.path.clone(), str::to_owned),
                problem: f.problem,
            }
        }));
    }
    // Types (and `birthdate`'s form) were checked above; these two are
    // also required, and an e-mail address must look like one.
    let reported = |errors: &[FieldError], path: &str| errors.iter().any(|e| e.path == path);
    let name = take_text(&mut object, "name");
    if name.as_deref().is_none_or(|n| n.trim().is_empty()) && !reported(&errors, "name") {
        err(&mut errors, "name", "is required (OIDC Core §5.1 `name`)");
    }
    let email = take_text(&mut object, "email");
    if !email.as_deref().is_some_and(crate::config::is_plausible_email) && !reported(&errors, "email") {
        err(
            &mut errors,
            "email",
            "is required and must look like local@domain",
        );
    }
    let birthdate = take_text(&mut object, "birthdate");
    let user = NewUser {
        username: username.unwrap_or_default(),
        password: None,
        account_id: sub.unwrap_or_default(),
        name: name.unwrap_or_default(),
        given_name: take_text(&mut object, "given_name"),
        family_name: take_text(&mut object, "family_name"),
        email: email.unwrap_or_default(),
        email_verified: take_bool(&mut object, "email_verified"),
        phone_number: take_text(&mut object, "phone_number"),
        phone_number_verified: take_bool(&mut object, "phone_number_verified"),
        birthdate,
        claims: None,
        verified_claims,
        accounts,
        totp_secret,
    };
    debug_assert!(IN_RECORD.iter().all(|k| !object.contains_key(*k)));
    let user = NewUser {
        claims: (!object.is_empty()).then(|| Value::Object(object).to_string()),
        ..user
    };
    if errors.is_empty() {
        Ok(ImportRecord {
            user,
            credential,
            disabled,
        })
    } else {
        Err(errors)
    }
}

fn take_text(object: &mut Map<String, Value>, name: &str) -> Option<String> {
    match object.remove(name) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

fn take_bool(object: &mut Map<String, Value>, name: &str) -> bool {
    matches!(object.remove(name), Some(Value::Bool(true)))
}

#[cfg(test)]
pub(super) mod tests;
