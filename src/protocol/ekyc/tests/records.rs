//! Import checks on a customer's verified claim sets (Schema §5 and this
//! OP's rules), per-field errors with JSON paths, and the stored form.

use super::fixture::{sets, sets_json};
use crate::protocol::ekyc::record::{Evidence, EvidenceType};
use crate::protocol::ekyc::stored::{from_stored, to_stored};
use crate::protocol::ekyc::validate::{self, FieldError};
use serde_json::{Value, json};

fn errors(value: Value) -> Vec<FieldError> {
    match validate::verified_claims(&value) {
        Ok(_) => panic!("accepted: {value}"),
        Err(e) => e.0,
    }
}

fn has(errors: &[FieldError], path: &str, problem: &str) -> bool {
    errors
        .iter()
        .any(|e| e.path == path && e.problem.contains(problem))
}

fn minimal() -> Value {
    json!({"verification": {"trust_framework": "eidas"}, "claims": {"given_name": "Alice"}})
}

#[test]
fn the_fixture_has_every_evidence_type_and_round_trips_schema_s5_4_4() {
    let sets = sets();
    let kinds: Vec<EvidenceType> = sets
        .iter()
        .flat_map(|s| s.verification.evidence.iter().flatten().map(Evidence::kind))
        .collect();
    for kind in EvidenceType::ALL {
        assert!(kinds.contains(kind), "{kind:?}");
    }
    let stored = to_stored(&sets);
    assert_eq!(from_stored(&stored).unwrap(), sets);
    // The stored JSON is the spec's shape, member for member.
    assert_eq!(serde_json::from_str::<Value>(&stored).unwrap(), sets_json());
}

#[test]
fn one_set_or_an_array_schema_s5_2() {
    assert_eq!(validate::verified_claims(&minimal()).unwrap().len(), 1);
    assert_eq!(
        validate::verified_claims(&json!([minimal(), minimal()]))
            .unwrap()
            .len(),
        2
    );
    assert!(has(&errors(json!([])), "verified_claims", "an array of 1 to 8"));
    assert!(has(&errors(json!("x")), "verified_claims", "must be an object"));
}

#[test]
fn required_members_and_types_name_their_path_schema_s5_4() {
    let e = errors(json!({"claims": {}}));
    assert!(
        has(&e, "verified_claims[0]", "missing field `verification`"),
        "{e:?}"
    );
    let e = errors(json!({"verification": {}, "claims": {}}));
    assert!(
        has(
            &e,
            "verified_claims[0].verification",
            "missing field `trust_framework`"
        ),
        "{e:?}"
    );
    let e = errors(json!({"verification": {"trust_framework": 5}, "claims": {}}));
    assert!(
        has(
            &e,
            "verified_claims[0].verification.trust_framework",
            "invalid type"
        ),
        "{e:?}"
    );
    let e = errors(
        json!({"verification": {"trust_framework": "eidas", "evidence": [{"type": "document",
        "document_details": {"document_number": "1"}}]}, "claims": {}}),
    );
    assert!(
        e.iter()
            .any(|e| e.path.starts_with("verified_claims[0].verification.evidence")
                && e.problem.contains("missing field `type`")),
        "{e:?}"
    );
    let e = errors(
        json!({"verification": {"trust_framework": "eidas", "evidence": [{"type": "electronic_signature",
        "issuer": "CA"}]}, "claims": {}}),
    );
    assert!(e.iter().any(|e| e.problem.contains("signature_type")), "{e:?}");
    let e = errors(
        json!({"verification": {"trust_framework": "eidas", "evidence": [{"type": "selfie"}]}, "claims": {}}),
    );
    assert!(
        e.iter().any(|e| e.problem.contains("unknown variant `selfie`")),
        "{e:?}"
    );
    let e = errors(json!({"verification": {"trust_framework": "eidas", "tyme": "x"}, "claims": {}}));
    assert!(
        e.iter().any(|e| e.problem.contains("unknown field `tyme`")),
        "{e:?}"
    );
}

#[test]
fn our_rules_dates_identifiers_claims_and_bounds() {
    let v = "verified_claims[0].verification";
    // Attachments are refused by name (the set then fails to read at all).
    let e = errors(json!({"verification": {"trust_framework": "eidas", "evidence": [
        {"type": "document", "attachments": [{"desc": "scan"}]}]}, "claims": {}}));
    assert!(
        has(
            &e,
            &format!("{v}.evidence[0].attachments"),
            "attachments are not kept"
        ),
        "{e:?}"
    );

    // The same without attachments: every other rule reports its own path.
    let mut set = json!({
        "verification": {
            "trust_framework": "gold",
            "time": "2021-04-09T14:12Z",
            "evidence": [
                {"type": "document", "check_details": [{"check_method": "magic", "time": "yesterday"}],
                 "document_details": {"type": "library_card", "date_of_expiry": "2030-02-30"}},
                {"type": "electronic_record", "record": {"type": "gym", "created_at": "2020-01-01"}},
                {"type": "vouch", "check_details": [], "attestation": {"type": "written_attestation"}}
            ],
            "assurance_process": {"assurance_details": [{"evidence_ref": [{"check_id": "nope"}]}]}
        },
        "claims": {"given_name": "", "email": "a@b", "birthdate": "12/04/1990", "favourite_colour": "red",
                   "address": {"planet": "Earth"}, "nationalities": ["GBR", 5]}
    });
    let e = errors(set.clone());
    for (path, problem) in [
        (format!("{v}.trust_framework"), "`gold` is not one of"),
        (format!("{v}.time"), "not an RFC 3339 date-time"),
        (
            format!("{v}.evidence[0].check_details[0].check_method"),
            "`magic` is not one of",
        ),
        (
            format!("{v}.evidence[0].check_details[0].time"),
            "not an RFC 3339 date-time",
        ),
        (format!("{v}.evidence[0].document_details.type"), "`library_card`"),
        (
            format!("{v}.evidence[0].document_details.date_of_expiry"),
            "full-date",
        ),
        (format!("{v}.evidence[1].record.type"), "`gym`"),
        (format!("{v}.evidence[1].record.created_at"), "date-time"),
        (format!("{v}.evidence[2].check_details"), "at least one entry"),
        (
            format!("{v}.assurance_process.assurance_details[0].evidence_ref[0].check_id"),
            "no check_id",
        ),
        (
            "verified_claims[0].claims.given_name".to_string(),
            "must not be empty",
        ),
        (
            "verified_claims[0].claims.email".to_string(),
            "claims_in_verified_claims_supported",
        ),
        (
            "verified_claims[0].claims.birthdate".to_string(),
            "must be a date",
        ),
        (
            "verified_claims[0].claims.favourite_colour".to_string(),
            "not a claim this OP knows",
        ),
        (
            "verified_claims[0].claims.address".to_string(),
            "unknown member `planet`",
        ),
        (
            "verified_claims[0].claims.nationalities".to_string(),
            "country codes",
        ),
    ] {
        assert!(has(&e, &path, problem), "{path}: {problem}\n{e:#?}");
    }
    // Time stamps in UTC (IDA 1.0 §8).
    let e = errors(
        json!({"verification": {"trust_framework": "eidas", "time": "2024-01-01T10:00:00+02:00"}, "claims": {}}),
    );
    assert!(has(&e, &format!("{v}.time"), "must be in UTC"));
    // eIDAS levels (Regulation 910/2014 Art. 8).
    set["verification"] = json!({"trust_framework": "eidas", "assurance_level": "ultra"});
    set["claims"] = json!({});
    assert!(has(
        &errors(set),
        &format!("{v}.assurance_level"),
        "`ultra` is not a level of `eidas`"
    ));
}

#[test]
fn derived_claims_must_be_backed_by_claims_schema_s5_4_4_2() {
    let e = errors(
        json!({"verification": {"trust_framework": "de_aml", "evidence": [{"type": "document",
        "derived_claims": {"birthdate": "1990-04-12"}}]}, "claims": {"given_name": "A"}}),
    );
    assert!(has(
        &e,
        "verified_claims[0].verification.evidence[0].derived_claims.birthdate",
        "no corresponding claim"
    ));
    let e = errors(
        json!({"verification": {"trust_framework": "de_aml", "evidence": [{"type": "document",
        "derived_claims": {}}]}, "claims": {}}),
    );
    assert!(has(
        &e,
        "verified_claims[0].verification.evidence[0].derived_claims",
        "must not be empty"
    ));
}

#[test]
fn sizes_are_bounded() {
    let long = "x".repeat(257);
    let e = errors(
        json!({"verification": {"trust_framework": "eidas", "verification_process": long}, "claims": {}}),
    );
    assert!(has(
        &e,
        "verified_claims[0].verification.verification_process",
        "longer than 256"
    ));
    let e = errors(json!(vec![minimal(); 9]));
    assert!(has(&e, "verified_claims", "1 to 8"));
    let e = errors(json!({"verification": {"trust_framework": "eidas", "evidence":
        vec![json!({"type": "electronic_signature", "signature_type": "q", "issuer": "i", "serial_number": "s"}); 9]},
        "claims": {}}));
    assert!(has(&e, "verified_claims[0].verification.evidence", "1 to 8"));
    assert!(validate::verified_claims_text(&"[".repeat(40_000)).is_err());
}

#[test]
fn standard_claims_of_a_record_oidc_core_s5_1() {
    let ok = json!({"email": "a@example.com", "email_verified": true, "updated_at": 1, "address": {"country": "GB"}});
    assert!(validate::standard_claims(ok.as_object().unwrap()).is_ok());
    let bad = json!({"email_verified": "yes", "sub": "x", "updated_at": -1});
    let e = validate::standard_claims(bad.as_object().unwrap()).unwrap_err().0;
    assert!(has(&e, "claims.email_verified", "true or false"));
    assert!(has(&e, "claims.sub", "not a claim this OP knows"));
    assert!(has(&e, "claims.updated_at", "whole number"));
}
