//! The end-user claims this OP answers from a customer record: OpenID
//! Connect Core §5.1 standard claims and the claims registered by OpenID
//! Connect for Identity Assurance Claims Registration 1.0 §3.1, each with
//! its JSON type (checked on import) and a label for the consent page.
//! Claims of the OP's own (`sub`, `acr`, `auth_time`, ...) are not here:
//! a `claims` request can never make the answer carry them from a record.

use super::dates;
use super::limits::{MAX_STORED_ARRAY, MAX_TEXT_CHARS};
use serde_json::Value;

/// A claim's JSON type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimKind {
    /// A string.
    Text,
    /// A boolean (`email_verified`, `phone_number_verified`).
    Bool,
    /// Seconds since the epoch (`updated_at`).
    Number,
    /// `birthdate`: `YYYY-MM-DD` or `YYYY` (OIDC Core §5.1).
    Date,
    /// OIDC Core §5.1.1 address object.
    Address,
    /// IDA Claims §3.1 `place_of_birth`: `country`, `region`, `locality`.
    PlaceOfBirth,
    /// IDA Claims §3.1 `nationalities`: array of country codes.
    Nationalities,
}

/// One claim: name, type, label, and whether it may appear in `verified_claims`.
#[derive(Debug, Clone, Copy)]
pub struct ClaimInfo {
    /// The claim name on the wire.
    pub name: &'static str,
    /// Its JSON type.
    pub kind: ClaimKind,
    /// How the consent page names it.
    pub label: &'static str,
    /// Listed in `claims_in_verified_claims_supported` (IDA 1.0 §7).
    pub verifiable: bool,
}

const fn claim(name: &'static str, kind: ClaimKind, label: &'static str, verifiable: bool) -> ClaimInfo {
    ClaimInfo {
        name,
        kind,
        label,
        verifiable,
    }
}

use ClaimKind::*;

/// Every claim answered from a customer record.
pub const CLAIMS: &[ClaimInfo] = &[
    claim("name", Text, "Full name", true),
    claim("given_name", Text, "Given name", true),
    claim("middle_name", Text, "Middle name", true),
    claim("family_name", Text, "Family name", true),
    claim("nickname", Text, "Nickname", false),
    claim("preferred_username", Text, "Preferred username", false),
    claim("profile", Text, "Profile page", false),
    claim("picture", Text, "Picture", false),
    claim("website", Text, "Website", false),
    claim("email", Text, "Email address", false),
    claim(
        "email_verified",
        Bool,
        "Whether the email address was verified",
        false,
    ),
    claim("gender", Text, "Gender", false),
    claim("birthdate", Date, "Date of birth", true),
    claim("zoneinfo", Text, "Time zone", false),
    claim("locale", Text, "Locale", false),
    claim("phone_number", Text, "Phone number", false),
    claim(
        "phone_number_verified",
        Bool,
        "Whether the phone number was verified",
        false,
    ),
    claim("address", Address, "Postal address", true),
    claim("updated_at", Number, "When the profile was last updated", false),
    claim("place_of_birth", PlaceOfBirth, "Place of birth", true),
    claim("nationalities", Nationalities, "Nationalities", true),
    claim("birth_family_name", Text, "Family name at birth", true),
    claim("birth_given_name", Text, "Given name at birth", true),
    claim("birth_middle_name", Text, "Middle name at birth", true),
    claim("salutation", Text, "Salutation", true),
    claim("title", Text, "Title", true),
    claim("msisdn", Text, "Mobile number (MSISDN)", false),
    claim("also_known_as", Text, "Also known as", true),
];

/// The claim named `name`, ignoring a language tag (`family_name#de`, OIDC
/// Core §5.2).
pub fn info(name: &str) -> Option<&'static ClaimInfo> {
    let base = name.split_once('#').map_or(name, |(base, _)| base);
    CLAIMS.iter().find(|c| c.name == base)
}

/// OIDC Core §5.1.1 address members.
pub const ADDRESS_MEMBERS: &[&str] = &[
    "formatted",
    "street_address",
    "locality",
    "region",
    "postal_code",
    "country",
];

const PLACE_OF_BIRTH_MEMBERS: &[&str] = &["country", "region", "locality"];

/// Why `value` is not a valid `kind`, or `None` when it is.
pub fn type_problem(kind: ClaimKind, value: &Value) -> Option<String> {
    match (kind, value) {
        (Text, Value::String(_)) | (Bool, Value::Bool(_)) => None,
        (Number, Value::Number(n)) if n.as_u64().is_some() => None,
        (Date, Value::String(s)) => {
            let year_only = s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit());
            (!year_only && dates::full_date(s).is_none())
                .then(|| "must be a date, YYYY-MM-DD or YYYY (OIDC Core §5.1)".to_string())
        }
        (Address, Value::Object(m)) => object_of_strings(m, ADDRESS_MEMBERS, "OIDC Core §5.1.1"),
        (PlaceOfBirth, Value::Object(m)) => object_of_strings(m, PLACE_OF_BIRTH_MEMBERS, "IDA Claims §3.1"),
        (Nationalities, Value::Array(items)) => {
            let ok = !items.is_empty()
                && items.len() <= MAX_STORED_ARRAY
                && items
                    .iter()
                    .all(|i| i.as_str().is_some_and(|c| (2..=3).contains(&c.len())));
            (!ok).then(|| {
                format!("must be 1 to {MAX_STORED_ARRAY} ISO 3166-1 country codes (IDA Claims §3.1)")
            })
        }
        (Text, _) => Some("must be a string".into()),
        (Bool, _) => Some("must be true or false".into()),
        (Number, _) => Some("must be a whole number of seconds".into()),
        (Date, _) => Some("must be a date string".into()),
        (Address | PlaceOfBirth, _) => Some("must be an object".into()),
        (Nationalities, _) => Some("must be an array of country codes".into()),
    }
}

fn object_of_strings(map: &serde_json::Map<String, Value>, members: &[&str], spec: &str) -> Option<String> {
    if map.is_empty() {
        return Some(format!("must not be empty ({spec})"));
    }
    for (name, value) in map {
        if !members.contains(&name.as_str()) {
            return Some(format!(
                "has unknown member `{name}` ({spec}: {})",
                members.join(", ")
            ));
        }
        if !value
            .as_str()
            .is_some_and(|s| !s.is_empty() && s.chars().count() <= MAX_TEXT_CHARS)
        {
            return Some(format!("member `{name}` must be a non-empty string"));
        }
    }
    None
}
