//! One requested element (OIDC Core §5.5.1): `null` for "this, by
//! default", or an object with `essential`, `value`, `values`, and the
//! members Identity Assurance adds: `max_age` on dates and time stamps
//! (IDA 1.0 §5.4.2) and `purpose` (ID4 §5.1, see [`super::purpose`]).
//! Which members an element takes depends on where it is
//! ([`ElementKind`], from the request JSON schema's `constrainable_element`,
//! `datetime_element` and `simple_element`). Members this OP does not know
//! are ignored (OIDC Core §5.5.1); a known member of the wrong type is
//! `invalid_request`.

use super::dates;
use super::limits::{MAX_CLAIM_NAME_CHARS, MAX_REQUESTED_CLAIMS, MAX_TEXT_CHARS, MAX_VALUES};
use super::purpose::Purpose;
use crate::protocol::error::OAuthError;
use serde_json::{Map, Value};

/// Where an element sits, which decides its members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElementKind {
    /// An end-user claim: `value` / `values` of any JSON type (OIDC Core §5.5.1).
    Claim,
    /// A verification string that may be constrained by `value` / `values`
    /// (IDA 1.0 §5.4.1: `trust_framework`, `check_method`, document `type`, ...).
    Constrainable,
    /// A date or time stamp that may be constrained by `max_age` (IDA 1.0 §5.4.2).
    DateTime,
    /// Any other verification member: only `essential` and `purpose`.
    Simple,
}

/// A parsed element request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ElementRequest {
    /// OIDC Core §5.5.1 `essential` (informative here: IDA 1.0 §5.6.1 makes
    /// omission independent of it).
    pub essential: bool,
    /// OIDC Core §5.5.1 `value`.
    pub value: Option<Value>,
    /// OIDC Core §5.5.1 `values`.
    pub values: Option<Vec<Value>>,
    /// IDA 1.0 §5.4.2 `max_age`, in seconds.
    pub max_age: Option<u64>,
    /// ID4 §5.1 `purpose`.
    pub purpose: Option<Purpose>,
}

impl ElementRequest {
    /// Whether the element restricts what may be delivered.
    pub fn is_constraint(&self) -> bool {
        self.value.is_some() || self.values.is_some() || self.max_age.is_some()
    }

    /// Whether `stored` (absent: `None`) satisfies the constraints. With no
    /// constraint anything does; with one, an absent value never does.
    pub fn accepts(&self, stored: Option<&Value>, now: u64) -> bool {
        if !self.is_constraint() {
            return true;
        }
        let Some(stored) = stored else {
            return false;
        };
        if self.value.as_ref().is_some_and(|v| v != stored) {
            return false;
        }
        if self.values.as_ref().is_some_and(|vs| !vs.contains(stored)) {
            return false;
        }
        match self.max_age {
            Some(max_age) => stored
                .as_str()
                .is_some_and(|t| dates::within_max_age(t, max_age, now)),
            None => true,
        }
    }
}

/// Parses the element at `at` (a path for error messages).
pub fn parse(value: &Value, kind: ElementKind, at: &str) -> Result<ElementRequest, OAuthError> {
    let map = match value {
        Value::Null => return Ok(ElementRequest::default()),
        Value::Object(map) => map,
        _ => {
            return Err(OAuthError::invalid_request(format!(
                "`{at}` must be null or an object (OIDC Core §5.5.1)"
            )));
        }
    };
    let mut element = ElementRequest {
        essential: match map.get("essential") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(bad(at, "essential", "must be true or false (OIDC Core §5.5.1)")),
        },
        ..ElementRequest::default()
    };
    if let Some(purpose) = map.get("purpose") {
        let text = purpose
            .as_str()
            .ok_or_else(|| bad(at, "purpose", "must be a string (IDA ID4 §5.1)"))?;
        element.purpose = Some(Purpose::parse(text, &format!("{at}.purpose"))?);
    }
    match kind {
        ElementKind::Claim | ElementKind::Constrainable => {
            let strings_only = kind == ElementKind::Constrainable;
            if let Some(value) = map.get("value") {
                element.value = Some(constraint_value(value, strings_only, at, "value")?);
            }
            if let Some(values) = map.get("values") {
                element.values = Some(constraint_values(values, strings_only, at)?);
            }
        }
        ElementKind::DateTime => element.max_age = max_age(map, at)?,
        ElementKind::Simple => {}
    }
    Ok(element)
}

/// Claim names and their element requests (OIDC Core §5.5.1), bounded.
pub fn claim_names(map: &Map<String, Value>, at: &str) -> Result<Vec<(String, ElementRequest)>, OAuthError> {
    if map.len() > MAX_REQUESTED_CLAIMS {
        return Err(OAuthError::invalid_request(format!(
            "`{at}` names more than {MAX_REQUESTED_CLAIMS} claims"
        )));
    }
    map.iter()
        .map(|(name, value)| {
            if name.is_empty() || name.chars().count() > MAX_CLAIM_NAME_CHARS {
                return Err(OAuthError::invalid_request(format!(
                    "`{at}` has a claim name that is empty or longer than {MAX_CLAIM_NAME_CHARS} characters"
                )));
            }
            let element = parse(value, ElementKind::Claim, &format!("{at}.{name}"))?;
            Ok((name.clone(), element))
        })
        .collect()
}

fn max_age(map: &Map<String, Value>, at: &str) -> Result<Option<u64>, OAuthError> {
    match map.get("max_age") {
        None => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or_else(|| {
            bad(
                at,
                "max_age",
                "must be a whole number of seconds, 0 or more (IDA 1.0 §5.4.2)",
            )
        }),
    }
}

fn constraint_value(value: &Value, strings_only: bool, at: &str, member: &str) -> Result<Value, OAuthError> {
    let ok = match value {
        Value::String(s) => !s.is_empty() && s.chars().count() <= MAX_TEXT_CHARS,
        Value::Bool(_) | Value::Number(_) => !strings_only,
        _ => false,
    };
    if !ok {
        let what = if strings_only {
            "must be a non-empty string (IDA 1.0 §5.4.1)"
        } else {
            "must be a string, number or boolean (OIDC Core §5.5.1)"
        };
        return Err(bad(at, member, what));
    }
    Ok(value.clone())
}

fn constraint_values(values: &Value, strings_only: bool, at: &str) -> Result<Vec<Value>, OAuthError> {
    let items = values
        .as_array()
        .filter(|items| !items.is_empty() && items.len() <= MAX_VALUES)
        .ok_or_else(|| {
            bad(
                at,
                "values",
                &format!("must be an array of 1 to {MAX_VALUES} entries (OIDC Core §5.5.1)"),
            )
        })?;
    items
        .iter()
        .map(|item| constraint_value(item, strings_only, at, "values"))
        .collect()
}

fn bad(at: &str, member: &str, problem: &str) -> OAuthError {
    OAuthError::invalid_request(format!("`{at}.{member}` {problem}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn null_and_objects_oidc_core_s5_5_1() {
        assert_eq!(
            parse(&Value::Null, ElementKind::Claim, "x").unwrap(),
            ElementRequest::default()
        );
        let e = parse(
            &json!({"essential": true, "values": ["a", 1]}),
            ElementKind::Claim,
            "x",
        )
        .unwrap();
        assert!(e.essential);
        assert_eq!(e.values, Some(vec![json!("a"), json!(1)]));
        let e = parse(
            &json!({"max_age": 10, "value": "ignored"}),
            ElementKind::DateTime,
            "x",
        )
        .unwrap();
        assert_eq!((e.max_age, e.value), (Some(10), None));
        let e = parse(&json!({"unknown": [1]}), ElementKind::Simple, "x").unwrap();
        assert_eq!(e, ElementRequest::default());
    }

    #[test]
    fn wrong_types_are_invalid_request_naming_the_member() {
        for (bad, kind, names) in [
            (json!(true), ElementKind::Claim, "`x` must be null"),
            (json!({"essential": "yes"}), ElementKind::Claim, "`x.essential`"),
            (json!({"value": 7}), ElementKind::Constrainable, "`x.value`"),
            (json!({"values": []}), ElementKind::Constrainable, "`x.values`"),
            (
                json!({"values": "gold"}),
                ElementKind::Constrainable,
                "`x.values`",
            ),
            (json!({"value": {"a": 1}}), ElementKind::Claim, "`x.value`"),
            (json!({"max_age": -1}), ElementKind::DateTime, "`x.max_age`"),
            (json!({"max_age": 1.5}), ElementKind::DateTime, "`x.max_age`"),
            (json!({"purpose": 3}), ElementKind::Simple, "`x.purpose`"),
        ] {
            let err = parse(&bad, kind, "x").unwrap_err();
            let description = err.description.unwrap_or_default();
            assert!(description.contains(names), "{bad}: {description}");
        }
    }

    #[test]
    fn constraints_accept_matching_values_only() {
        let e = parse(
            &json!({"values": ["gold", "silver"]}),
            ElementKind::Constrainable,
            "x",
        )
        .unwrap();
        assert!(e.accepts(Some(&json!("silver")), 0));
        assert!(!e.accepts(Some(&json!("bronze")), 0));
        assert!(!e.accepts(None, 0), "a constraint on an absent value fails");
        assert!(ElementRequest::default().accepts(None, 0));
    }
}
