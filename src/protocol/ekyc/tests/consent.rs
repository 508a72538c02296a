//! The consent summary (IDA 1.0 §5.6.3: the customer decides what is
//! released) and the discovery values (IDA 1.0 §7).

use crate::protocol::ekyc::consent_summary::summarize;
use crate::protocol::ekyc::discovery;
use crate::protocol::ekyc::request::parse;
use serde_json::json;

#[test]
fn summary_lists_claims_frameworks_evidence_age_and_purposes() {
    let request = parse(&json!({
        "id_token": {"email": {"purpose": "To send your statements"}, "sub": null},
        "userinfo": {"email": null, "verified_claims": [
            {"verification": {"trust_framework": {"values": ["uk_tfida", "eidas"]}, "assurance_level": {"value": "high"},
                              "time": {"max_age": 86_401}, "evidence": [{"type": {"value": "document"}}]},
             "claims": {"given_name": {"essential": true, "purpose": "To open your account"}, "birthdate": null,
                        "shoe_size": null}},
            {"verification": {"trust_framework": null}, "claims": null}]}}))
    .unwrap();
    let summary = summarize(&request);
    assert_eq!(summary.plain.len(), 1, "email once; sub is not a customer claim");
    assert_eq!(summary.plain[0].label, "Email address");
    let first = &summary.verified[0];
    assert_eq!(first.delivered_in, "userinfo");
    assert_eq!(
        first.trust_frameworks,
        vec![
            "UK digital identity and attributes trust framework",
            "eIDAS (EU electronic identification)"
        ]
    );
    assert_eq!(first.assurance_levels, vec!["high"]);
    assert_eq!(first.evidence, vec!["an identity document"]);
    assert_eq!(first.max_age_days, Some(2));
    let labels: Vec<&str> = first.claims.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, vec!["Date of birth", "Given name", "shoe_size"]);
    assert!(first.claims[1].essential);
    let second = &summary.verified[1];
    assert!(second.trust_frameworks.is_empty() && second.claims.is_empty());
    assert_eq!(
        summary.purposes(),
        vec!["To open your account", "To send your statements"]
    );
}

#[test]
fn discovery_advertises_the_ida_s7_members() {
    let m = discovery::metadata();
    assert_eq!(m["verified_claims_supported"], json!(true));
    assert_eq!(m["claims_parameter_supported"], json!(true));
    assert_eq!(
        m["trust_frameworks_supported"],
        json!(["uk_tfida", "uk_diatf", "eidas", "de_aml"])
    );
    assert_eq!(
        m["evidence_supported"],
        json!(["document", "electronic_record", "vouch", "electronic_signature"])
    );
    // Required when evidence_supported has document / electronic_record.
    assert!(
        m["documents_supported"]
            .as_array()
            .is_some_and(|a| a.contains(&json!("passport")))
    );
    assert!(
        m["electronic_records_supported"]
            .as_array()
            .is_some_and(|a| a.contains(&json!("bank_account")))
    );
    assert!(
        m["documents_check_methods_supported"]
            .as_array()
            .is_some_and(|a| a.contains(&json!("vcrypt")))
    );
    let in_verified = m["claims_in_verified_claims_supported"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for claim in [
        "given_name",
        "family_name",
        "birthdate",
        "address",
        "place_of_birth",
        "nationalities",
    ] {
        assert!(in_verified.contains(&json!(claim)), "{claim}");
    }
    assert!(!in_verified.contains(&json!("email")));
    assert!(discovery::claims_supported().contains(&"verified_claims"));
    for member in [
        "trust_frameworks_supported",
        "evidence_supported",
        "documents_supported",
        "electronic_records_supported",
        "claims_in_verified_claims_supported",
    ] {
        assert!(
            m[member].as_array().is_some_and(|a| !a.is_empty()),
            "{member}: at least one member"
        );
    }
}
