//! What `/effective-config` shows: the loaded `Config` as JSON with every
//! secret replaced. Secrets are `config::Secret` values (PINs, passwords,
//! the PostgreSQL URL), which serialize as `<redacted>` already; this walk
//! redacts again by member name, so a secret added later as a plain
//! string does not leak: a member named like a credential (`pin`,
//! `password`, `secret`, `postgres_url`, `dsn`, `passphrase`,
//! `private_key`, `api_key`, `client_secret`) keeps only whether it is
//! set. Paths (members ending in `_file`, and `cert`, `key`) show: they
//! name where key material is, not the material.

use crate::config::Config;
use serde_json::Value;

/// What a redacted value reads.
pub const REDACTED: &str = "<redacted>";

/// `config` as JSON with its secrets redacted.
pub fn redacted(config: &Config) -> Result<Value, serde_json::Error> {
    let mut value = serde_json::to_value(config)?;
    walk(&mut value);
    Ok(value)
}

fn is_secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    if name.ends_with("_file") {
        return false;
    }
    const EXACT: &[&str] = &["pin", "dsn", "postgres_url", "private_key", "api_key"];
    const WITHIN: &[&str] = &["password", "secret", "passphrase"];
    EXACT.contains(&name.as_str()) || WITHIN.iter().any(|w| name.contains(w))
}

fn walk(value: &mut Value) {
    match value {
        Value::Object(members) => {
            for (name, member) in members.iter_mut() {
                if is_secret_name(name) {
                    let set = !matches!(member, Value::Null)
                        && member.as_str() != Some("")
                        && member.as_array().is_none_or(|a| !a.is_empty());
                    *member = match set {
                        true => Value::String(REDACTED.into()),
                        false => Value::Null,
                    };
                } else {
                    walk(member);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(walk),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_go_paths_stay() {
        let mut value = serde_json::json!({
            "signing": { "pin": "1234", "pin_file": "/run/pin", "token_label": "op" },
            "store": { "postgres_url": "postgres://u:pw@db/x", "postgres_password_file": "/run/pg" },
            "device": { "customers": [{ "password": "hunter2", "name": "a" }] },
            "other": { "client_secret": "", "api_key": null },
        });
        walk(&mut value);
        let text = value.to_string();
        for secret in ["1234", "pw@db", "hunter2"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert_eq!(value["signing"]["pin_file"], "/run/pin");
        assert_eq!(value["store"]["postgres_password_file"], "/run/pg");
        assert_eq!(value["signing"]["token_label"], "op");
        assert_eq!(value["device"]["customers"][0]["password"], REDACTED);
        assert_eq!(value["other"]["client_secret"], Value::Null);
    }
}
