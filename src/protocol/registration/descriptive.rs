//! RFC 7591 §2 client metadata the OP keeps and returns but does not act
//! on: `client_uri`, `logo_uri`, `tos_uri`, `policy_uri` (and their
//! language-tagged forms, RFC 7591 §2.2, e.g. `tos_uri#fr`), `contacts` and
//! `software_version`.
//!
//! - RFC 7591 §2.3: a value in the software statement takes precedence
//!   over the request's; the statement may carry it under its RFC 7591
//!   name or under the UK directory's `software_` name
//!   (`software_client_uri`, `software_logo_uri`, `software_tos_uri`,
//!   `software_policy_uri`, `software_version`; OBIE DCR 3.3 SSA).
//! - RFC 7591 §2: the URLs are https URLs shown to the customer, so
//!   nothing else is kept (no `javascript:` or `data:` URL reaches a consent
//!   page); `contacts` is an array of strings; every value is bounded.
//! - RFC 7592 §2.2: a member the update omits is deleted (the result holds
//!   only what this request and statement say).
//! - Members only a directory vouches for, kept from the statement and
//!   never from the request ([`STATEMENT_URLS`], [`STATEMENT_STRINGS`]):
//!   the CDR Register's `revocation_uri` and `recipient_base_uri` (https
//!   URLs: where the holder notifies the recipient, its base URI),
//!   `legal_entity_id`, `legal_entity_name` and `client_description`.
//!
//! A member of the wrong type is `invalid_client_metadata`, never ignored.

use super::RegistrationError;
use serde_json::{Map, Value};

/// URL members (RFC 7591 §2) and the UK statement's name for each.
const URL_MEMBERS: [(&str, &str); 4] = [
    ("client_uri", "software_client_uri"),
    ("logo_uri", "software_logo_uri"),
    ("tos_uri", "software_tos_uri"),
    ("policy_uri", "software_policy_uri"),
];

/// URL members kept from the statement only (CDR Register SSA).
pub const STATEMENT_URLS: [&str; 2] = ["revocation_uri", "recipient_base_uri"];
/// String members kept from the statement only (CDR Register SSA).
pub const STATEMENT_STRINGS: [&str; 3] = ["legal_entity_id", "legal_entity_name", "client_description"];

/// Longest accepted string value (a URL, a contact, a version).
pub const MAX_VALUE_LEN: usize = 2048;
/// Most `contacts` kept.
pub const MAX_CONTACTS: usize = 20;
/// Most language-tagged forms of one member (RFC 7591 §2.2).
const MAX_TAGGED: usize = 20;
/// Longest BCP 47 language tag accepted after `#`.
const MAX_TAG_LEN: usize = 35;

/// The kept members of a registration, from `request` (its JSON members)
/// and `statement` (the verified software statement's claims).
pub fn descriptive_metadata(
    request: &Map<String, Value>,
    statement: &Map<String, Value>,
) -> Result<Map<String, Value>, RegistrationError> {
    let mut kept = Map::new();
    for (name, uk_name) in URL_MEMBERS {
        let value = statement
            .get(name)
            .or_else(|| statement.get(uk_name))
            .or_else(|| request.get(name));
        if let Some(value) = value {
            kept.insert(name.to_string(), https_url(name, value)?);
        }
        // RFC 7591 §2.2: `name#tag`; the statement's set replaces the request's.
        let tagged = |source: &Map<String, Value>| -> Vec<(String, Value)> {
            source
                .iter()
                .filter(|(k, _)| k.strip_prefix(name).and_then(|t| t.strip_prefix('#')).is_some())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        let from_statement = tagged(statement);
        let forms = if from_statement.is_empty() {
            tagged(request)
        } else {
            from_statement
        };
        if forms.len() > MAX_TAGGED {
            return Err(RegistrationError::metadata(format!(
                "too many language-tagged forms of {name} (RFC 7591 §2.2)"
            )));
        }
        for (key, value) in forms {
            let tag = key.split_once('#').map_or("", |(_, t)| t);
            if tag.is_empty()
                || tag.len() > MAX_TAG_LEN
                || !tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                return Err(RegistrationError::metadata(format!(
                    "{name}: a language tag after # must be a BCP 47 tag (RFC 7591 §2.2)"
                )));
            }
            kept.insert(key, https_url(name, &value)?);
        }
    }
    if let Some(value) = statement
        .get("software_version")
        .or_else(|| request.get("software_version"))
    {
        kept.insert(
            "software_version".into(),
            bounded_string("software_version", value)?,
        );
    }
    if let Some(value) = statement.get("contacts").or_else(|| request.get("contacts")) {
        kept.insert("contacts".into(), contacts(value)?);
    }
    for name in STATEMENT_URLS {
        if let Some(value) = statement.get(name) {
            kept.insert(name.into(), https_url(name, value)?);
        }
    }
    for name in STATEMENT_STRINGS {
        if let Some(value) = statement.get(name) {
            kept.insert(name.into(), bounded_string(name, value)?);
        }
    }
    Ok(kept)
}

fn bounded_string(name: &str, value: &Value) -> Result<Value, RegistrationError> {
    match value {
        Value::String(s) if !s.is_empty() && s.len() <= MAX_VALUE_LEN && !s.chars().any(char::is_control) => {
            Ok(value.clone())
        }
        _ => Err(RegistrationError::metadata(format!(
            "{name} must be a non-empty string of at most {MAX_VALUE_LEN} characters (RFC 7591 §2)"
        ))),
    }
}

/// RFC 7591 §2: a URL the customer may be shown or sent to; https only.
fn https_url(name: &str, value: &Value) -> Result<Value, RegistrationError> {
    let bad = || RegistrationError::metadata(format!("{name} must be an https URL (RFC 7591 §2)"));
    let url = bounded_string(name, value).map_err(|_| bad())?;
    let text = url.as_str().unwrap_or_default();
    let parsed: http::Uri = text.parse().map_err(|_| bad())?;
    if parsed.scheme_str() != Some("https") || parsed.host().is_none_or(str::is_empty) {
        return Err(bad());
    }
    Ok(url)
}

/// RFC 7591 §2 `contacts`: an array of strings (e.g. email addresses).
fn contacts(value: &Value) -> Result<Value, RegistrationError> {
    let bad = || {
        RegistrationError::metadata(format!(
            "contacts must be an array of at most {MAX_CONTACTS} non-empty strings (RFC 7591 §2)"
        ))
    };
    let items = value.as_array().ok_or_else(bad)?;
    if items.len() > MAX_CONTACTS {
        return Err(bad());
    }
    for item in items {
        bounded_string("contacts", item).map_err(|_| bad())?;
    }
    Ok(value.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    /// RFC 7591 §2.3: the statement's value wins, under its RFC 7591 name
    /// or the UK `software_` one; RFC 7591 §2.2 language-tagged forms kept.
    #[test]
    fn the_statement_wins_and_tagged_forms_are_kept_rfc7591_s2_3() {
        let request = map(json!({
            "client_uri": "https://request.example", "tos_uri": "https://request.example/tos",
            "logo_uri#fr": "https://request.example/fr.png", "contacts": ["a@request.example"],
            "software_version": "1", "unrelated": 5,
        }));
        let statement = map(json!({
            "software_client_uri": "https://statement.example", "policy_uri": "https://statement.example/p",
            "software_version": "2",
        }));
        let kept = descriptive_metadata(&request, &statement).unwrap();
        assert_eq!(
            Value::Object(kept),
            json!({
                "client_uri": "https://statement.example", "tos_uri": "https://request.example/tos",
                "policy_uri": "https://statement.example/p", "logo_uri#fr": "https://request.example/fr.png",
                "contacts": ["a@request.example"], "software_version": "2",
            })
        );
    }

    /// CDR Register SSA: the members only the directory vouches for are
    /// kept from the statement; the request's are not.
    #[test]
    fn directory_members_come_from_the_statement_only() {
        let request = map(json!({
            "revocation_uri": "https://attacker.example/r", "legal_entity_id": "forged",
        }));
        assert_eq!(descriptive_metadata(&request, &Map::new()).unwrap(), Map::new());
        let statement = map(json!({
            "revocation_uri": "https://recipient.example/r", "recipient_base_uri": "https://recipient.example",
            "legal_entity_id": "le-1", "legal_entity_name": "Recipient Pty Ltd",
        }));
        let kept = descriptive_metadata(&request, &statement).unwrap();
        assert_eq!(Value::Object(kept), Value::Object(statement));
        let http = map(json!({"recipient_base_uri": "http://recipient.example"}));
        assert!(descriptive_metadata(&Map::new(), &http).is_err());
    }

    /// RFC 7591 §2: URLs are https; wrong types and unbounded values are
    /// `invalid_client_metadata`, never ignored.
    #[test]
    fn bad_members_are_invalid_client_metadata_rfc7591_s2() {
        for bad in [
            json!({"logo_uri": "javascript:alert(1)"}),
            json!({"client_uri": "http://fintech.example"}),
            json!({"tos_uri": 5}),
            json!({"policy_uri#": "https://fintech.example"}),
            json!({"policy_uri#fr_FR!": "https://fintech.example"}),
            json!({"contacts": "ops@fintech.example"}),
            json!({"contacts": [1]}),
            json!({"contacts": vec!["a@b.example"; MAX_CONTACTS + 1]}),
            json!({"software_version": "x".repeat(MAX_VALUE_LEN + 1)}),
        ] {
            let result = descriptive_metadata(&map(bad.clone()), &Map::new());
            assert!(matches!(result, Err(RegistrationError::Metadata(_))), "{bad}");
        }
    }
}
