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

/// A Config API customer body (`POST /customers`, `PUT
/// /customers/{username}`): the import line's checks behind the API's own
/// rules, as a create and as a replace of a stored customer.
pub fn customer_body(data: &[u8]) {
    use fiducia::config::LoginConfig;
    use fiducia::login::customers::body;
    use fiducia::login::user::UserRecord;
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let config = LoginConfig::default();
    let _ = body::parse(&value, None, &config);
    let current = UserRecord {
        account_id: "acc-carol-1".into(),
        username: "carol".into(),
        password_hash: String::new(),
        name: "Carol".into(),
        given_name: None,
        family_name: None,
        email: "carol@example.com".into(),
        email_verified: false,
        phone_number: None,
        phone_number_verified: false,
        birthdate: None,
        updated_at: 1,
        claims: None,
        verified_claims: None,
        accounts: Vec::new(),
        disabled: false,
        totp: None,
    };
    if let Err(problems) = body::parse(&value, Some(&current), &config) {
        std::hint::black_box(problems.len());
    }
}
