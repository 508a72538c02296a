//! One import line: the record format and its errors with JSON paths.

use super::*;
use serde_json::json;

fn config() -> LoginConfig {
    LoginConfig::default()
}

/// A verified claim set as the Identity Assurance schema has it (Schema
/// §5.2-§5.4): UK framework, a passport checked by its chip.
pub(crate) fn uk_passport_set() -> Value {
    json!({
        "verification": {
            "trust_framework": "uk_tfida",
            "assurance_level": "medium",
            "time": "2024-06-01T10:00:00Z",
            "evidence": [{
                "type": "document",
                "check_details": [{"check_method": "vcrypt", "time": "2024-06-01T09:58:00Z"}],
                "document_details": {
                    "type": "passport",
                    "document_number": "533401372",
                    "date_of_issuance": "2020-03-02",
                    "date_of_expiry": "2030-03-01",
                    "issuer": {"name": "HM Passport Office", "country": "GB"}
                }
            }]
        },
        "claims": {"given_name": "Carol", "family_name": "Jones", "birthdate": "1985-02-11"}
    })
}

pub(crate) fn carol() -> Value {
    json!({
        "username": " Carol ",
        "sub": "acc-carol-1",
        "password": "correct horse battery",
        "name": "Carol Jones",
        "given_name": "Carol",
        "family_name": "Jones",
        "email": "carol@example.com",
        "email_verified": true,
        "phone_number": "+441632960001",
        "birthdate": "1985-02-11",
        "address": {"street_address": "2 Mill Lane", "locality": "Leeds", "postal_code": "LS1 4AP", "country": "GB"},
        "nationalities": ["GBR"],
        "locale": "en-GB",
        "verified_claims": uk_passport_set(),
        "accounts": [{"identification": "GB29NWBK60161331926819", "currency": "GBP", "name": "Current account"}]
    })
}

fn with(mut line: Value, member: &str, value: Value) -> String {
    match value {
        Value::Null => line.as_object_mut().unwrap().remove(member),
        value => line.as_object_mut().unwrap().insert(member.into(), value),
    };
    line.to_string()
}

fn paths(text: &str) -> Vec<String> {
    parse(text, &config())
        .unwrap_err()
        .into_iter()
        .map(|e| e.path)
        .collect()
}

#[test]
fn a_full_line_parses_into_the_record_oidc_core_s5_1() {
    let record = parse(&carol().to_string(), &config()).unwrap();
    let user = &record.user;
    assert_eq!(user.username, "carol");
    assert_eq!(user.account_id, "acc-carol-1");
    assert_eq!(
        record.credential,
        Credential::Password("correct horse battery".into())
    );
    assert_eq!(record.disabled, None);
    assert_eq!(user.name, "Carol Jones");
    assert_eq!(user.given_name.as_deref(), Some("Carol"));
    assert!(user.email_verified);
    assert!(!user.phone_number_verified);
    assert_eq!(user.birthdate.as_deref(), Some("1985-02-11"));
    // Claims without a field of their own go into `claims`.
    let claims: Value = serde_json::from_str(user.claims.as_deref().unwrap()).unwrap();
    assert_eq!(claims["address"]["locality"], "Leeds");
    assert_eq!(claims["nationalities"], json!(["GBR"]));
    assert_eq!(claims["locale"], "en-GB");
    assert!(claims.get("name").is_none());
    // One set given as an object is stored as an array of one (Schema §5.2).
    let sets = crate::protocol::ekyc::from_stored(user.verified_claims.as_deref().unwrap()).unwrap();
    assert_eq!(sets.len(), 1);
    assert_eq!(user.accounts[0].scheme_name, "UK.OBIE.IBAN");
}

#[test]
fn every_problem_is_reported_with_its_json_path() {
    let mut line = carol();
    line["email"] = json!("not-an-address");
    line["verified_claims"]["verification"]["trust_framework"] = json!("moon_kyc");
    line["verified_claims"]["verification"]["evidence"][0]["document_details"]["type"] =
        json!("library_card");
    line["address"] = json!({"country": 44});
    line["accounts"][0]["currency"] = json!("pounds");
    line["shoe_size"] = json!(44);
    let found = paths(&line.to_string());
    for expected in [
        "email",
        "verified_claims[0].verification.trust_framework",
        "verified_claims[0].verification.evidence[0].document_details.type",
        "address",
        "accounts[0].currency",
        "shoe_size",
    ] {
        assert!(found.iter().any(|p| p == expected), "{expected} not in {found:?}");
    }
}

#[test]
fn required_members_and_types() {
    assert_eq!(paths(&with(carol(), "username", Value::Null)), ["username"]);
    assert_eq!(paths(&with(carol(), "sub", json!("has space"))), ["sub"]);
    assert_eq!(paths(&with(carol(), "name", Value::Null)), ["name"]);
    assert_eq!(paths(&with(carol(), "disabled", json!("yes"))), ["disabled"]);
    assert_eq!(
        paths(&with(carol(), "birthdate", json!("11/02/1985"))),
        ["birthdate"]
    );
    assert_eq!(paths(&with(carol(), "updated_at", json!(5))), ["updated_at"]);
    assert_eq!(paths("[1, 2]"), ["$"]);
    assert_eq!(paths("{\"username\": "), ["$"]);
    assert_eq!(paths(&"x".repeat(MAX_LINE_BYTES + 1)), ["$"]);
    // An array of sets: the path names the set.
    let mut two = carol();
    let mut bad = uk_passport_set();
    bad["verification"]["time"] = json!("yesterday");
    two["verified_claims"] = json!([uk_passport_set(), bad]);
    assert_eq!(paths(&two.to_string()), ["verified_claims[1].verification.time"]);
}

#[test]
fn password_or_hash_not_both_and_hashes_are_checked() {
    let phc =
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$7mSwhRm3Cbp1S4c0O4s5PGwpjYrT+SvuVzk5f8v9k3E";
    let both = with(carol(), "password_hash", json!(phc));
    assert_eq!(paths(&both), ["password_hash"]);
    let hashed = with(
        with(carol(), "password", Value::Null).parse().unwrap(),
        "password_hash",
        json!(phc),
    );
    let record = parse(&hashed, &config()).unwrap();
    assert_eq!(record.credential, Credential::Hash(phc.into()));
    let weak = phc.replace("m=19456,t=2", "m=64,t=1");
    let weak = with(
        with(carol(), "password", Value::Null).parse().unwrap(),
        "password_hash",
        json!(weak),
    );
    assert_eq!(paths(&weak), ["password_hash"]);
    let neither = with(carol(), "password", Value::Null);
    assert_eq!(parse(&neither, &config()).unwrap().credential, Credential::Keep);
    assert_eq!(paths(&with(carol(), "password", json!(""))), ["password"]);
}

#[test]
fn the_credential_never_shows_in_debug() {
    let record = parse(&carol().to_string(), &config()).unwrap();
    assert!(!format!("{record:?}").contains("correct horse"));
}
