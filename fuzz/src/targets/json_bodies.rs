//! JSON a client sends: RFC 9396 `authorization_details`, the OIDC
//! `claims` parameter (with OpenID Connect for Identity Assurance's
//! `verified_claims`), UK OBIE consent bodies.

use fiducia::consent::obie::{parse_account_access, parse_domestic_payment};
use fiducia::protocol::ekyc::request::parse_text;
use fiducia::protocol::rar::{self, DetailType};

/// `authorization_details` as the form parameter carries it.
pub fn rar(data: &[u8]) {
    let Some(text) = crate::text(data) else { return };
    if let Ok(Some(details)) = rar::parse(Some(text), DetailType::ALL) {
        std::hint::black_box(details.consent_lines());
    }
}

/// The `claims` parameter (OIDC Core §5.5).
pub fn claims(data: &[u8]) {
    if let Some(text) = crate::text(data) {
        let _ = parse_text(text);
    }
}

/// An account access consent and a domestic payment consent body.
pub fn obie_consent(data: &[u8]) {
    if let Ok(body) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = parse_account_access(&body);
        let _ = parse_domestic_payment(&body);
    }
}
