//! A customer body of the Config API (`POST /customers`, `PUT
//! /customers/{username}`) into what the import writes: the members of one
//! import line (`line.rs`), checked by the very same `line::parse`, with
//! three rules of its own:
//!
//! - `password` (a clear password) is refused: a request body is logged
//!   by proxies and kept by tools more often than a file on an operator's
//!   host, and the hash can be made where the password is known; a
//!   password comes as `password_hash` (an argon2id PHC string, `phc.rs`)
//!   or not at all;
//! - `totp_secret` is refused for the same reason and more: a second
//!   factor's secret is enrolled in the bank's own channels (`fiducia
//!   users totp enrol`, the import file), never sent over an API whose
//!   bodies may be kept; a replace keeps the enrolled factor (as an
//!   import line without it does, `writer.rs`);
//! - `disabled` is refused: the state moves only through the disable and
//!   enable operations, because disabling must revoke what the account
//!   holds (`service.rs`); on a replace, `disabled` and `updated_at`
//!   equal to the current values are dropped, so a read's body can be
//!   edited and sent back;
//! - on a replace the path names the customer: `username` may be left
//!   out (or must be the same), `sub` may be left out (or must be the
//!   same: a `sub` is never reassigned, OIDC Core §2).
//!
//! No problem carries a value of the body (RFC 9457 answers and logs may
//! be kept longer than the data): the import's messages quote some values
//! (an unknown trust framework, a type error) between backticks or double
//! quotes, and those spans are taken out here ([`without_values`]).

use super::error::BodyProblem;
use super::line::{self, ImportRecord};
use crate::config::LoginConfig;
use crate::login::user::UserRecord;
use crate::protocol::credentials::normalize_username;
use serde_json::{Map, Value, json};

/// Parses `body`: a create when `current` is `None`, else a replace of
/// `current` (whose normalized username the path named).
pub fn parse(
    body: &Value,
    current: Option<&UserRecord>,
    config: &LoginConfig,
) -> Result<ImportRecord, Vec<BodyProblem>> {
    let mut problems = Vec::new();
    let mut at = |path: &str, problem: &str| {
        problems.push(BodyProblem {
            path: path.to_string(),
            problem: problem.to_string(),
        })
    };
    let Value::Object(given) = body else {
        at("$", "must be a JSON object: the members of an import line");
        return Err(problems);
    };
    let mut members: Map<String, Value> = given.clone();
    if members.remove("password").is_some() {
        at(
            "password",
            "a clear password is not accepted here: give password_hash (an argon2id PHC string) or none",
        );
    }
    if members.remove("totp_secret").is_some() {
        at(
            "totp_secret",
            "a second factor is not enrolled through the Config API: use fiducia users totp enrol",
        );
    }
    if let Some(current) = current {
        if members.get("disabled") == Some(&json!(current.disabled)) {
            members.remove("disabled");
        }
        if members.get("updated_at") == Some(&json!(current.updated_at)) {
            members.remove("updated_at");
        }
        match members.get("username") {
            None => {
                members.insert("username".into(), json!(current.username));
            }
            Some(Value::String(name))
                if normalize_username(name).ok().as_deref() != Some(&current.username) =>
            {
                at(
                    "username",
                    "differs from the customer the path names: renaming is delete and create",
                );
            }
            Some(_) => {}
        }
        match members.get("sub") {
            None => {
                members.insert("sub".into(), json!(current.account_id));
            }
            Some(Value::String(sub)) if *sub != current.account_id => {
                at(
                    "sub",
                    "a customer's sub never changes (OIDC Core §2): delete and create",
                );
            }
            Some(_) => {}
        }
    }
    if members.remove("disabled").is_some() {
        at(
            "disabled",
            "is changed only by the disable and enable operations (disabling revokes what the account holds)",
        );
    }
    let parsed = line::parse(&Value::Object(members).to_string(), config);
    match parsed {
        Ok(record) if problems.is_empty() => Ok(record),
        Ok(_) => Err(problems),
        Err(errors) => {
            problems.extend(errors.into_iter().map(|e| BodyProblem {
                path: e.path,
                problem: without_values(&e.problem),
            }));
            Err(problems)
        }
    }
}

/// `message` with every span between backticks or double quotes replaced
/// by `…`: the import's checks quote values that way (serde's type errors,
/// enumerations), and a body's values stay out of answers.
pub fn without_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut open: Option<char> = None;
    for c in message.chars() {
        match open {
            Some(quote) if c == quote => {
                out.push('…');
                open = None;
            }
            Some(_) => {}
            None if c == '`' || c == '"' => open = Some(c),
            None => out.push(c),
        }
    }
    if open.is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> LoginConfig {
        LoginConfig::default()
    }

    fn base() -> Value {
        json!({"username": "Carol", "sub": "acc-carol-1", "name": "Carol Jones",
               "email": "carol@example.com"})
    }

    fn paths(problems: &[BodyProblem]) -> Vec<&str> {
        problems.iter().map(|p| p.path.as_str()).collect()
    }

    #[test]
    fn a_create_is_an_import_line_without_a_clear_password() {
        let record = parse(&base(), None, &config()).unwrap();
        assert_eq!(record.user.username, "carol");
        assert_eq!(record.credential, line::Credential::Keep);
        let mut with_password = base();
        with_password["password"] = json!("hunter2-secret");
        let refused = parse(&with_password, None, &config()).unwrap_err();
        assert_eq!(paths(&refused), ["password"]);
        // Nor a second factor's secret (RFC 6238 §5.1: the key is kept
        // secret; it is enrolled in the bank's own channels).
        let mut with_totp = base();
        with_totp["totp_secret"] = json!("CURUATVSPOOCUMUH5UVJQNEIFCHTJIPX");
        let refused = parse(&with_totp, None, &config()).unwrap_err();
        assert_eq!(paths(&refused), ["totp_secret"]);
        assert!(!format!("{refused:?}").contains("CURUATVS"));
        assert!(!format!("{refused:?}").contains("hunter2"));
    }

    /// One problem per bad member, none quoting the body's values.
    #[test]
    fn every_bad_member_is_named_without_its_value() {
        let body = json!({"username": "x", "sub": "has space", "name": 42,
                          "email": "not-an-address", "disabled": true,
                          "favourite_colour": "secret-blue",
                          "verified_claims": {"verification": {"trust_framework": "moon-kyc-secret"}, "claims": {}}});
        let problems = parse(&body, None, &config()).unwrap_err();
        let found = paths(&problems);
        for member in ["sub", "name", "email", "disabled", "favourite_colour"] {
            assert!(found.contains(&member), "{member}: {found:?}");
        }
        assert!(
            found.iter().any(|p| p.starts_with("verified_claims")),
            "{found:?}"
        );
        let text = format!("{problems:?}");
        for value in ["has space", "not-an-address", "secret-blue", "moon-kyc-secret"] {
            assert!(!text.contains(value), "{value} echoed: {text}");
        }
    }

    #[test]
    fn a_replace_takes_the_path_customer_and_drops_unchanged_read_only_members() {
        let current =
            parse(&base(), None, &config())
                .unwrap()
                .user
                .into_record("carol".into(), "h".into(), 9);
        let mut body = json!({"name": "Carol J", "email": "carol@example.com",
                              "disabled": false, "updated_at": 9});
        let record = parse(&body, Some(&current), &config()).unwrap();
        assert_eq!(
            (record.user.username.as_str(), record.user.account_id.as_str()),
            ("carol", "acc-carol-1")
        );
        body["sub"] = json!("acc-other");
        body["username"] = json!("dave");
        body["disabled"] = json!(true);
        let problems = parse(&body, Some(&current), &config()).unwrap_err();
        assert_eq!(paths(&problems), ["username", "sub", "disabled"]);
    }

    #[test]
    fn quoted_spans_are_taken_out() {
        assert_eq!(
            without_values("invalid type: string \"abc\", expected u32"),
            "invalid type: string …, expected u32"
        );
        assert_eq!(without_values("`x` is not one of [\"a\"]"), "… is not one of […]");
        assert_eq!(without_values("open `end"), "open …");
    }
}
