//! Rich Authorization Requests (RFC 9396): the `authorization_details`
//! request parameter, parsed into typed details of the types this OP knows
//! (`payment_initiation`, `account_information`).
//!
//! Parse, don't validate (STYLE.md §3): [`parse`] turns the raw parameter
//! into [`AuthorizationDetails`], a list of [`AuthorizationDetail`] values
//! whose fields already hold checked amounts, currencies and accounts, plus
//! the JSON of what was asked, kept so that what the customer approved is
//! echoed unchanged in the token response (RFC 9396 §7) and introspection
//! (RFC 9396 §9.2). Anything wrong is `invalid_authorization_details`
//! (RFC 9396 §5): an unknown type, a type the client may not use, a
//! missing or malformed field, an unknown field of a known type, a value
//! that is not an array of objects.
//!
//! Sizes are bounded ([`MAX_JSON_BYTES`], [`MAX_DETAILS`], the text limits
//! in [`text`]) so a request cannot make the consent page or the stored
//! records grow without bound.

pub mod account_information;
pub mod payment_initiation;
pub mod text;

#[cfg(test)]
mod tests;

pub use account_information::{AccountAction, AccountInformation};
pub use payment_initiation::{Amount, PaymentInitiation};
pub use text::AccountRef;

use super::error::{ErrorCode, OAuthError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Longest `authorization_details` parameter accepted, in bytes.
pub const MAX_JSON_BYTES: usize = 8 * 1024;

/// Most details in one request.
pub const MAX_DETAILS: usize = 8;

/// Most entries in a `locations` or `actions` array (RFC 9396 §2.2).
pub const MAX_ARRAY_ITEMS: usize = 8;

/// The authorization details types this OP understands (RFC 9396 §2:
/// `type`), also what a client may be allowed in its configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DetailType {
    /// A payment the customer approves (RFC 9396 §2, first example).
    PaymentInitiation,
    /// Access to the customer's account data (RFC 9396 §2.2 `actions`).
    AccountInformation,
}

impl DetailType {
    /// Every type, for discovery (RFC 9396 §10
    /// `authorization_details_types_supported`).
    pub const ALL: &'static [DetailType] = &[DetailType::PaymentInitiation, DetailType::AccountInformation];

    /// The `type` value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            DetailType::PaymentInitiation => "payment_initiation",
            DetailType::AccountInformation => "account_information",
        }
    }

    /// The type named `name`, if this OP knows it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.as_str() == name)
    }
}

/// One checked authorization detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizationDetail {
    /// `payment_initiation`.
    PaymentInitiation(PaymentInitiation),
    /// `account_information`.
    AccountInformation(AccountInformation),
}

impl AuthorizationDetail {
    /// Its type.
    pub fn detail_type(&self) -> DetailType {
        match self {
            AuthorizationDetail::PaymentInitiation(_) => DetailType::PaymentInitiation,
            AuthorizationDetail::AccountInformation(_) => DetailType::AccountInformation,
        }
    }

    /// What the consent page shows for it: (label, value) lines.
    pub fn consent_lines(&self) -> Vec<(&'static str, String)> {
        match self {
            AuthorizationDetail::PaymentInitiation(p) => p.consent_lines(),
            AuthorizationDetail::AccountInformation(a) => a.consent_lines(),
        }
    }
}

/// The checked `authorization_details` of a request and the JSON they came as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationDetails {
    details: Vec<AuthorizationDetail>,
    json: String,
}

impl AuthorizationDetails {
    /// The details, in request order.
    pub fn details(&self) -> &[AuthorizationDetail] {
        &self.details
    }

    /// The JSON array as asked (compact), what is stored and echoed.
    pub fn json(&self) -> &str {
        &self.json
    }

    /// The JSON array, owned.
    pub fn into_json(self) -> String {
        self.json
    }

    /// Re-reads details stored by [`AuthorizationDetails::json`]: they were
    /// checked when asked, and are checked again (no type restriction).
    pub fn from_stored(json: &str) -> Result<Self, RarError> {
        parse_details(json, DetailType::ALL)
    }

    /// Consent page lines for every detail.
    pub fn consent_lines(&self) -> Vec<(&'static str, String)> {
        self.details
            .iter()
            .flat_map(AuthorizationDetail::consent_lines)
            .collect()
    }
}

/// Why `authorization_details` were refused (for logs; on the wire every
/// reason is `invalid_authorization_details`, RFC 9396 §5).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RarError {
    /// Larger than [`MAX_JSON_BYTES`].
    #[error("authorization_details is longer than {MAX_JSON_BYTES} bytes")]
    TooLong,
    /// Not JSON at all.
    #[error("authorization_details is not valid JSON")]
    NotJson,
    /// RFC 9396 §2: the value is a JSON array.
    #[error("authorization_details must be a JSON array of objects (RFC 9396 §2)")]
    NotArray,
    /// An empty array asks for nothing.
    #[error("authorization_details must not be empty")]
    Empty,
    /// More than [`MAX_DETAILS`].
    #[error("at most {MAX_DETAILS} authorization details are accepted")]
    TooMany,
    /// RFC 9396 §2: each element is an object with a string `type`.
    #[error("authorization detail {0} is not an object with a string `type` (RFC 9396 §2)")]
    NoType(usize),
    /// RFC 9396 §5: a type this OP does not know.
    #[error("authorization details type `{0}` is not supported (RFC 9396 §5)")]
    UnknownType(String),
    /// RFC 9396 §5: a type the client is not allowed to use.
    #[error("authorization details type `{0}` is not allowed for this client (RFC 9396 §5)")]
    TypeNotAllowed(&'static str),
    /// RFC 9396 §5: a known type with a missing, unknown or malformed field.
    #[error("authorization detail {index} (`{detail_type}`): {reason}")]
    Invalid {
        /// Position in the array.
        index: usize,
        /// Its type.
        detail_type: &'static str,
        /// What is wrong.
        reason: String,
    },
}

impl From<RarError> for OAuthError {
    fn from(e: RarError) -> Self {
        OAuthError::new(ErrorCode::InvalidAuthorizationDetails, e.to_string())
    }
}

/// RFC 9396 §2 / §5: parses the `authorization_details` parameter, if
/// present, allowing only the `allowed` types (the client's).
pub fn parse(raw: Option<&str>, allowed: &[DetailType]) -> Result<Option<AuthorizationDetails>, OAuthError> {
    match raw {
        None => Ok(None),
        Some(raw) => Ok(Some(parse_details(raw, allowed)?)),
    }
}

/// The stored JSON as a value for a response; `None` for none, or for
/// stored text that is not JSON (never written by this OP).
pub fn stored_value(stored: Option<&str>) -> Option<Value> {
    stored.and_then(|json| serde_json::from_str(json).ok())
}

fn parse_details(raw: &str, allowed: &[DetailType]) -> Result<AuthorizationDetails, RarError> {
    if raw.len() > MAX_JSON_BYTES {
        return Err(RarError::TooLong);
    }
    let value: Value = serde_json::from_str(raw).map_err(|_| RarError::NotJson)?;
    let Value::Array(items) = &value else {
        return Err(RarError::NotArray);
    };
    if items.is_empty() {
        return Err(RarError::Empty);
    }
    if items.len() > MAX_DETAILS {
        return Err(RarError::TooMany);
    }
    let mut details = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let name = item
            .get("type")
            .and_then(Value::as_str)
            .ok_or(RarError::NoType(index))?;
        let detail_type =
            DetailType::from_name(name).ok_or_else(|| RarError::UnknownType(truncated(name)))?;
        if !allowed.contains(&detail_type) {
            return Err(RarError::TypeNotAllowed(detail_type.as_str()));
        }
        let invalid = |reason: String| RarError::Invalid {
            index,
            detail_type: detail_type.as_str(),
            reason,
        };
        details.push(match detail_type {
            DetailType::PaymentInitiation => {
                AuthorizationDetail::PaymentInitiation(PaymentInitiation::parse(item).map_err(invalid)?)
            }
            DetailType::AccountInformation => {
                AuthorizationDetail::AccountInformation(AccountInformation::parse(item).map_err(invalid)?)
            }
        });
    }
    Ok(AuthorizationDetails {
        details,
        json: value.to_string(),
    })
}

/// An unknown type name, cut short for the error description.
fn truncated(name: &str) -> String {
    name.chars()
        .take(64)
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .collect()
}
