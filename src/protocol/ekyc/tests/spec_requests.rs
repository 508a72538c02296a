//! Every request example in OpenID Connect for Identity Assurance 1.0's
//! request sections (§5.1-§5.5, §6, Annex "Example requests" and "Example
//! requests and responses"; the `examples/request/*.json` files of the
//! eKYC-IDA repository), answered for the fixture customer and compared
//! whole, so every member delivered and every member withheld is checked.

use super::fixture::{ask, userinfo};
use serde_json::json;

fn names_only() -> serde_json::Value {
    json!({"given_name": "Alice", "family_name": "Archer", "birthdate": "1990-04-12"})
}

/// §5.1 `claims.json` and Annex `userinfo.json` (the same request): every
/// set holds the three names, so all three are delivered, each with only
/// `trust_framework` in `verification`, as an array (several matched).
#[test]
fn claims_json_and_userinfo_json_ida_s5_1() {
    let request = json!({"userinfo": {"verified_claims": {
        "verification": {"trust_framework": null},
        "claims": {"given_name": null, "family_name": null, "birthdate": null}}}});
    let expected = json!({"verified_claims": [
        {"verification": {"trust_framework": "uk_tfida"}, "claims": names_only()},
        {"verification": {"trust_framework": "eidas"}, "claims": names_only()},
        {"verification": {"trust_framework": "de_aml"}, "claims": names_only()},
    ]});
    assert_eq!(userinfo(request), expected);
}

/// §5.1 `essential.json`: `essential` changes nothing in what is delivered
/// (§5.6.1: "independent from the use of `essential`").
#[test]
fn essential_json_ida_s5_1() {
    let request = json!({"userinfo": {"verified_claims": {
        "verification": {"trust_framework": null},
        "claims": {"given_name": {"essential": true}, "family_name": {"essential": true}, "birthdate": null}}}});
    let delivered = userinfo(request);
    let sets = delivered["verified_claims"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(sets.len(), 3);
    for set in sets {
        assert_eq!(set["claims"], names_only());
        assert_eq!(set["verification"].as_object().map(|v| v.len()), Some(1));
    }
}

/// §5.2 `verification.json`: `trust_framework` and `time`.
#[test]
fn verification_json_ida_s5_2() {
    let request = json!({"userinfo": {"verified_claims": {
        "verification": {"trust_framework": null, "time": null},
        "claims": {"given_name": null, "family_name": null, "birthdate": null}}}});
    let expected = json!({"verified_claims": [
        {"verification": {"trust_framework": "uk_tfida", "time": "2024-06-01T10:00:00Z"}, "claims": names_only()},
        {"verification": {"trust_framework": "eidas", "time": "2023-02-01T08:00:00Z"}, "claims": names_only()},
        {"verification": {"trust_framework": "de_aml", "time": "2019-05-20T12:00:00Z"}, "claims": names_only()},
    ]});
    assert_eq!(userinfo(request), expected);
}

/// §5.2 and Annex "Verification of claims by a document"
/// (`verification_deeper.json`): document evidence checked by `pipp`, its
/// `check_method` and document `type`. Only the German set has it; the
/// UK passport (vcrypt, bvr) and the eIDAS signature do not match, so
/// those sets are omitted, and the one set is an object.
#[test]
fn verification_deeper_json_ida_s5_2() {
    let request = json!({"userinfo": {"verified_claims": {
        "verification": {"trust_framework": null, "time": null, "evidence": [{
            "type": {"value": "document"},
            "check_details": [{"check_method": {"value": "pipp"}}],
            "document_details": {"type": null}}]},
        "claims": {"given_name": null, "family_name": null, "birthdate": null}}}});
    let expected = json!({"verified_claims": {
        "verification": {
            "trust_framework": "de_aml",
            "time": "2019-05-20T12:00:00Z",
            "evidence": [{"type": "document", "check_details": [{"check_method": "pipp"}],
                          "document_details": {"type": "idcard"}}]},
        "claims": names_only()}});
    assert_eq!(userinfo(request), expected);
}

/// §5.2 `verification_document.json`: document details and issuer members
/// asked; every check of a document is delivered (`check_method: null`),
/// the bank-account record is not (not asked), the issuer's
/// `country_code` is not (not asked). The eIDAS set has no document.
#[test]
fn verification_document_json_ida_s5_2() {
    let request = json!({"userinfo": {"verified_claims": {
        "verification": {"trust_framework": null, "time": null, "evidence": [{
            "type": {"value": "document"},
            "check_details": [{"check_method": null}],
            "document_details": {"type": null, "issuer": {"country": null, "name": null},
                                 "document_number": null, "date_of_issuance": null}}]},
        "claims": {"given_name": null, "family_name": null, "birthdate": null}}}});
    let expected = json!({"verified_claims": [
        {"verification": {
            "trust_framework": "uk_tfida",
            "time": "2024-06-01T10:00:00Z",
            "evidence": [{"type": "document",
                "check_details": [{"check_method": "vcrypt"}, {"check_method": "bvr"}],
                "document_details": {"type": "passport", "document_number": "533401372",
                    "date_of_issuance": "2020-03-02",
                    "issuer": {"name": "HM Passport Office", "country": "GB"}}}]},
         "claims": names_only()},
        {"verification": {
            "trust_framework": "de_aml",
            "time": "2019-05-20T12:00:00Z",
            "evidence": [{"type": "document",
                "check_details": [{"check_method": "pipp"}],
                "document_details": {"type": "idcard", "document_number": "T22000129",
                    "date_of_issuance": "2017-01-10",
                    "issuer": {"name": "Stadt Augsburg", "country": "DE"}}}]},
         "claims": names_only()},
    ]});
    assert_eq!(userinfo(request), expected);
}

/// §5.4.1 `verification_claims_different_trust_frameworks.json`: `gold` or
/// `silver`; this customer has neither, so no `verified_claims` at all and
/// no error (§5.6.4).
#[test]
fn different_trust_frameworks_json_match_nothing_ida_s5_4_1() {
    let request = json!({"userinfo": {"verified_claims": {
        "verification": {"trust_framework": {"values": ["gold", "silver"]}},
        "claims": {"given_name": null, "family_name": null}}}});
    assert_eq!(userinfo(request), json!({}));
}

/// §5.4.1 `verification_aml.json`: `de_aml`, in person (`pipp`), an ID
/// card or passport. The German set matches; only `trust_framework` and
/// the filtered evidence are delivered.
#[test]
fn verification_aml_json_ida_s5_4_1() {
    let request = json!({"userinfo": {"verified_claims": {
        "verification": {"trust_framework": {"value": "de_aml"}, "evidence": [{
            "type": {"value": "document"},
            "check_details": [{"check_method": {"value": "pipp"}}],
            "document_details": {"type": {"values": ["idcard", "passport"]}}}]},
        "claims": {"given_name": null, "family_name": null, "birthdate": null}}}});
    let expected = json!({"verified_claims": {
        "verification": {"trust_framework": "de_aml", "evidence": [{"type": "document",
            "check_details": [{"check_method": "pipp"}], "document_details": {"type": "idcard"}}]},
        "claims": names_only()}});
    assert_eq!(userinfo(request), expected);
}

/// §5.4.2 `verification_max_age.json`: `jp_aml` within ~2 years. No
/// Japanese set, so nothing; the same request for `de_aml` (verified
/// 2019-05-20, more than 2 years before 2025-01-01) is also omitted, and
/// for `uk_tfida` (2024-06-01) delivered.
#[test]
fn verification_max_age_json_ida_s5_4_2() {
    let request = |tf: &str| {
        json!({"userinfo": {"verified_claims": {
            "verification": {"trust_framework": {"value": tf}, "time": {"max_age": 63113852}},
            "claims": {"given_name": null, "family_name": null, "birthdate": null}}}})
    };
    assert_eq!(userinfo(request("jp_aml")), json!({}));
    assert_eq!(userinfo(request("de_aml")), json!({}));
    let expected = json!({"verified_claims": {
        "verification": {"trust_framework": "uk_tfida", "time": "2024-06-01T10:00:00Z"},
        "claims": names_only()}});
    assert_eq!(userinfo(request("uk_tfida")), expected);
}

/// §5.5 `verification_claims_by_trust_frameworks.json`: an array; eIDAS
/// `high` for the names (the customer's eIDAS set is `substantial`: no),
/// eIDAS `high` or `substantial` for the birthdate (yes). The answer is an
/// array because the request was.
#[test]
fn verification_claims_by_trust_frameworks_json_ida_s5_5() {
    let request = json!({"userinfo": {"verified_claims": [
        {"verification": {"trust_framework": {"value": "eidas"}, "assurance_level": {"value": "high"}},
         "claims": {"given_name": null, "family_name": null}},
        {"verification": {"trust_framework": {"value": "eidas"}, "assurance_level": {"values": ["high", "substantial"]}},
         "claims": {"birthdate": null}}]}});
    let expected = json!({"verified_claims": [
        {"verification": {"trust_framework": "eidas", "assurance_level": "substantial"},
         "claims": {"birthdate": "1990-04-12"}}]});
    assert_eq!(userinfo(request), expected);
}

/// §5.5 `verification_claims_by_trust_frameworks_same_claims.json` and
/// Annex `verification_claims_trust_frameworks_evidence.json`: `gold` with
/// a document, `silver`/`bronze` with an electronic record or a vouch.
/// None of this customer's frameworks: nothing delivered.
#[test]
fn gold_silver_bronze_examples_match_nothing_ida_s5_5_annex() {
    for second in ["electronic_record", "vouch"] {
        let request = json!({"userinfo": {"verified_claims": [
            {"verification": {"trust_framework": {"value": "gold"}, "evidence": [{"type": {"value": "document"}}]},
             "claims": {"given_name": null, "family_name": null}},
            {"verification": {"trust_framework": {"values": ["silver", "bronze"]}, "evidence": [{"type": {"value": second}}]},
             "claims": {"given_name": null, "family_name": null}}]}});
        assert_eq!(userinfo(request), json!({}), "{second}");
    }
}

/// §6 (`simple_id_token.json`): a plain `given_name` and a verified
/// `family_name` in the ID token; nothing in userinfo.
#[test]
fn simple_id_token_json_ida_s6() {
    let request = json!({"id_token": {"given_name": null, "verified_claims": {
        "verification": {"trust_framework": null}, "claims": {"family_name": null}}}});
    let (userinfo, id_token) = ask(request);
    assert!(userinfo.is_empty());
    let expected = json!({"given_name": "Alice", "verified_claims": [
        {"verification": {"trust_framework": "uk_tfida"}, "claims": {"family_name": "Archer"}},
        {"verification": {"trust_framework": "eidas"}, "claims": {"family_name": "Archer"}},
        {"verification": {"trust_framework": "de_aml"}, "claims": {"family_name": "Archer"}},
    ]});
    assert_eq!(serde_json::Value::Object(id_token), expected);
}

/// Annex "Verification of claims by trust framework and check method"
/// (`verification_spid_document_biometric.json`): SPID with `bvr`. The UK
/// passport was checked by `bvr` but under `uk_tfida`: nothing.
#[test]
fn spid_document_biometric_json_matches_nothing_annex() {
    let request = json!({"userinfo": {"verified_claims": {
        "verification": {"trust_framework": {"value": "it_spid"}, "time": null, "evidence": [{
            "type": {"value": "document"}, "check_details": [{"check_method": {"value": "bvr"}}],
            "document_details": {"type": null, "issuer": {"country": null, "name": null},
                                 "document_number": null, "date_of_issuance": null}}]},
        "claims": {"given_name": null, "family_name": null, "birthdate": null}}}});
    assert_eq!(userinfo(request), json!({}));
}

/// Annex "Verification of claims by electronic signature"
/// (`verification_electronic_signature.json`): `issuer`, `serial_number`,
/// `created_at` asked; `signature_type` comes too, because the schema
/// requires it of delivered signature evidence (§5.6.1, §5.6.5).
#[test]
fn verification_electronic_signature_json_annex() {
    let request = json!({"userinfo": {"verified_claims": {
        "verification": {"trust_framework": null, "time": null, "evidence": [{
            "type": {"value": "electronic_signature"}, "issuer": null, "serial_number": null, "created_at": null}]},
        "claims": {"given_name": null, "family_name": null, "birthdate": null}}}});
    let expected = json!({"verified_claims": {
        "verification": {"trust_framework": "eidas", "time": "2023-02-01T08:00:00Z", "evidence": [{
            "type": "electronic_signature", "signature_type": "qes_eidas", "issuer": "Example QTSP",
            "serial_number": "00aa11", "created_at": "2023-02-01T07:59:00Z"}]},
        "claims": names_only()}});
    assert_eq!(userinfo(request), expected);
}

/// Annex "verified claims in ID Tokens" (`id_token.json`): plain `email`,
/// `preferred_username`, `picture` (the customer has no picture: omitted)
/// and a verified set with document evidence and its details.
#[test]
fn id_token_json_annex() {
    let request = json!({"id_token": {"email": null, "preferred_username": null, "picture": null,
        "verified_claims": {
            "verification": {"trust_framework": null, "time": null, "verification_process": null,
                "evidence": [{"type": {"value": "document"},
                    "check_details": [{"check_method": null, "time": null}],
                    "document_details": {"type": null, "issuer": {"name": null, "country": null},
                        "document_number": null, "date_of_issuance": null, "date_of_expiry": null}}]},
            "claims": {"given_name": null, "family_name": null, "birthdate": null}}}});
    let (userinfo, id_token) = ask(request);
    assert!(userinfo.is_empty());
    let expected = json!({
    "email": "alice@example.com",
    "preferred_username": "alice",
    "verified_claims": [
        {"verification": {"trust_framework": "uk_tfida", "time": "2024-06-01T10:00:00Z",
            "verification_process": "uk-7f3a",
            "evidence": [{"type": "document",
                "check_details": [{"check_method": "vcrypt", "time": "2024-06-01T09:58:00Z"},
                                  {"check_method": "bvr", "time": "2024-06-01T09:59:00Z"}],
                "document_details": {"type": "passport", "document_number": "533401372",
                    "date_of_issuance": "2020-03-02", "date_of_expiry": "2030-03-01",
                    "issuer": {"name": "HM Passport Office", "country": "GB"}}}]},
         "claims": names_only()},
        {"verification": {"trust_framework": "de_aml", "time": "2019-05-20T12:00:00Z",
            "verification_process": "de-0042",
            "evidence": [{"type": "document",
                "check_details": [{"check_method": "pipp", "time": "2019-05-20T11:50:00Z"}],
                "document_details": {"type": "idcard", "document_number": "T22000129",
                    "date_of_issuance": "2017-01-10", "date_of_expiry": "2027-01-09",
                    "issuer": {"name": "Stadt Augsburg", "country": "DE"}}}]},
         "claims": names_only()},
    ]});
    assert_eq!(serde_json::Value::Object(id_token), expected);
}
