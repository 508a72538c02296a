//! Reading registered JWT claims (RFC 7519 §4.1) out of a verified payload
//! with their JSON types checked. What the values must be is the caller's
//! rule; this only says whether a claim is absent, well-formed or not.

use serde_json::{Map, Value};

/// A claim is present with the wrong JSON type or an impossible value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadClaim(pub &'static str);

/// A string claim.
pub fn string<'a>(claims: &'a Map<String, Value>, name: &'static str) -> Result<Option<&'a str>, BadClaim> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(BadClaim(name)),
    }
}

/// A NumericDate (RFC 7519 §2): seconds since the epoch. Non-integer values
/// are allowed by RFC 7519 and are truncated; negative ones are refused.
pub fn numeric_date(claims: &Map<String, Value>, name: &'static str) -> Result<Option<u64>, BadClaim> {
    let Some(value) = claims.get(name) else {
        return Ok(None);
    };
    let Value::Number(number) = value else {
        return Err(BadClaim(name));
    };
    if let Some(seconds) = number.as_u64() {
        return Ok(Some(seconds));
    }
    match number.as_f64() {
        // 2^53: beyond it an f64 no longer holds whole seconds exactly.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Some(seconds) if seconds.is_finite() && (0.0..9_007_199_254_740_992.0).contains(&seconds) => {
            Ok(Some(seconds as u64))
        }
        _ => Err(BadClaim(name)),
    }
}

/// `aud` as sent (RFC 7519 §4.1.3): one string, or an array of strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience<'a> {
    /// `"aud": "..."`.
    Single(&'a str),
    /// `"aud": ["...", ...]`.
    Multiple(Vec<&'a str>),
}

impl Audience<'_> {
    /// Whether `value` is one of the audiences (RFC 7519 §4.1.3; RFC 3986
    /// §6.2.1 simple string comparison).
    pub fn contains(&self, value: &str) -> bool {
        match self {
            Audience::Single(aud) => *aud == value,
            Audience::Multiple(auds) => auds.contains(&value),
        }
    }
}

/// The `aud` claim.
pub fn audience(claims: &Map<String, Value>) -> Result<Option<Audience<'_>>, BadClaim> {
    match claims.get("aud") {
        None => Ok(None),
        Some(Value::String(aud)) => Ok(Some(Audience::Single(aud))),
        Some(Value::Array(items)) => items
            .iter()
            .map(Value::as_str)
            .collect::<Option<Vec<_>>>()
            .map(|auds| Some(Audience::Multiple(auds)))
            .ok_or(BadClaim("aud")),
        Some(_) => Err(BadClaim("aud")),
    }
}
