//! Field checks shared by the detail types: bounded free text, account
//! references (IBAN, ISO 13616, or a scheme and an identification), and
//! the common fields `locations` and `actions` (RFC 9396 §2.2).

use super::MAX_ARRAY_ITEMS;
use serde::Deserialize;

/// Longest name or reference (ISO 20022 `Max140Text`).
pub const MAX_TEXT_CHARS: usize = 140;

/// Longest account identification of a non-IBAN scheme.
pub const MAX_IDENTIFICATION_CHARS: usize = 64;

/// Longest `locations` entry.
pub const MAX_LOCATION_BYTES: usize = 512;

/// Free text for a person to read: 1 to [`MAX_TEXT_CHARS`] characters, no
/// control characters.
pub fn bounded_text(field: &str, value: &str, max_chars: usize) -> Result<String, String> {
    let chars = value.chars().count();
    if chars == 0 || value.trim().is_empty() {
        return Err(format!("`{field}` must not be empty"));
    }
    if chars > max_chars {
        return Err(format!("`{field}` is longer than {max_chars} characters"));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("`{field}` contains control characters"));
    }
    Ok(value.to_string())
}

/// An account as a payment or an account-access consent names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountRef {
    /// ISO 13616 IBAN, checked (country, check digits, mod 97).
    Iban(String),
    /// Another identification scheme (e.g. `UK.OBIE.SortCodeAccountNumber`).
    Scheme {
        /// `schemeName`.
        scheme_name: String,
        /// `identification`.
        identification: String,
    },
}

/// The JSON form of an account reference: `{"iban": ...}` or
/// `{"schemeName": ..., "identification": ...}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AccountWire {
    iban: Option<String>,
    scheme_name: Option<String>,
    identification: Option<String>,
}

impl AccountRef {
    /// Checks `wire` as the account in `field`.
    pub fn parse(field: &str, wire: AccountWire) -> Result<Self, String> {
        match (wire.iban, wire.scheme_name, wire.identification) {
            (Some(iban), None, None) => {
                if is_valid_iban(&iban) {
                    Ok(AccountRef::Iban(iban))
                } else {
                    Err(format!("`{field}.iban` is not a valid IBAN (ISO 13616)"))
                }
            }
            (None, Some(scheme), Some(identification)) => Ok(AccountRef::Scheme {
                scheme_name: bounded_text(&format!("{field}.schemeName"), &scheme, 64)?,
                identification: bounded_text(
                    &format!("{field}.identification"),
                    &identification,
                    MAX_IDENTIFICATION_CHARS,
                )?,
            }),
            _ => Err(format!(
                "`{field}` must have either `iban` or both `schemeName` and `identification`"
            )),
        }
    }

    /// How the consent page shows it.
    pub fn display(&self) -> String {
        match self {
            AccountRef::Iban(iban) => iban.clone(),
            AccountRef::Scheme {
                scheme_name,
                identification,
            } => format!("{identification} ({scheme_name})"),
        }
    }
}

/// ISO 13616: two capital letters, two check digits, 11 to 30 capital
/// letters or digits (15 to 34 in all), and mod 97 of the rearranged
/// number is 1. No spaces (the electronic format).
pub fn is_valid_iban(iban: &str) -> bool {
    let bytes = iban.as_bytes();
    if !(15..=34).contains(&bytes.len())
        || !bytes[..2].iter().all(u8::is_ascii_uppercase)
        || !bytes[2..4].iter().all(u8::is_ascii_digit)
        || !bytes[4..]
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return false;
    }
    let mut remainder: u32 = 0;
    for &b in bytes[4..].iter().chain(&bytes[..4]) {
        let value = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            u32::from(b - b'A') + 10
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

/// RFC 9396 §2.2 `locations`: absolute https URIs of the resources.
pub fn locations(values: Option<Vec<String>>) -> Result<Vec<String>, String> {
    let values = values.unwrap_or_default();
    if values.len() > MAX_ARRAY_ITEMS {
        return Err(format!("`locations` has more than {MAX_ARRAY_ITEMS} entries"));
    }
    for location in &values {
        if location.len() > MAX_LOCATION_BYTES
            || !location.starts_with("https://")
            || location.len() <= "https://".len()
            || location.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err("`locations` entries must be https URIs".into());
        }
    }
    Ok(values)
}

/// RFC 9396 §2.2 `actions`: each one of `known`, at most
/// [`MAX_ARRAY_ITEMS`], no repeats.
pub fn actions<A: Copy + PartialEq>(
    values: Option<Vec<String>>,
    known: &[(&str, A)],
) -> Result<Vec<A>, String> {
    let values = values.unwrap_or_default();
    if values.len() > MAX_ARRAY_ITEMS {
        return Err(format!("`actions` has more than {MAX_ARRAY_ITEMS} entries"));
    }
    let mut parsed = Vec::with_capacity(values.len());
    for value in &values {
        let action = known
            .iter()
            .find(|(name, _)| name == value)
            .map(|(_, a)| *a)
            .ok_or_else(|| {
                let names: Vec<&str> = known.iter().map(|(n, _)| *n).collect();
                format!("`actions` may hold only {}", names.join(", "))
            })?;
        if parsed.contains(&action) {
            return Err("`actions` repeats an action".into());
        }
        parsed.push(action);
    }
    Ok(parsed)
}
