//! Filters that match and that do not (IDA 1.0 §5.3, §5.4, §5.6), arrays of
//! sets, plain claims (OIDC Core §5.5.1), and what is never delivered.

use super::fixture::{ask, ask_parsed, userinfo};
use crate::protocol::ekyc::request;
use serde_json::json;

fn set(verification: serde_json::Value, claims: serde_json::Value) -> serde_json::Value {
    json!({"userinfo": {"verified_claims": {"verification": verification, "claims": claims}}})
}

#[test]
fn trust_framework_value_selects_one_set_ida_s5_4_1() {
    let delivered = userinfo(set(
        json!({"trust_framework": {"value": "eidas"}}),
        json!({"place_of_birth": null}),
    ));
    let expected = json!({"verified_claims": {"verification": {"trust_framework": "eidas"},
        "claims": {"place_of_birth": {"country": "GB", "locality": "York"}}}});
    assert_eq!(delivered, expected);
}

#[test]
fn assurance_level_filter_matches_and_does_not_ida_s5_4_1() {
    let level = |l: &str| {
        set(
            json!({"trust_framework": null, "assurance_level": {"value": l}}),
            json!({"given_name": null}),
        )
    };
    assert_eq!(
        userinfo(level("medium")),
        json!({"verified_claims": {"verification": {"trust_framework": "uk_tfida", "assurance_level": "medium"},
            "claims": {"given_name": "Alice"}}})
    );
    assert_eq!(userinfo(level("very_high")), json!({}));
}

#[test]
fn a_set_without_the_claims_asked_is_omitted_ida_s5_6_2() {
    // Only the UK set has an address.
    let delivered = userinfo(set(json!({"trust_framework": null}), json!({"address": null})));
    assert_eq!(
        delivered["verified_claims"]["verification"]["trust_framework"],
        "uk_tfida"
    );
    // Nobody has a salutation: no verified_claims at all.
    assert_eq!(
        userinfo(set(json!({"trust_framework": null}), json!({"salutation": null}))),
        json!({})
    );
}

#[test]
fn claims_null_asks_verification_only_schema_s5_3() {
    let delivered = userinfo(set(json!({"trust_framework": {"value": "de_aml"}}), json!(null)));
    assert_eq!(
        delivered,
        json!({"verified_claims": {"verification": {"trust_framework": "de_aml"}, "claims": {}}})
    );
}

#[test]
fn claim_value_filters_omit_the_claim_not_the_set_ida_s5_6_4() {
    let delivered = userinfo(set(
        json!({"trust_framework": {"value": "uk_tfida"}}),
        json!({"given_name": {"value": "Bob"}, "family_name": null}),
    ));
    assert_eq!(
        delivered,
        json!({"verified_claims": {"verification": {"trust_framework": "uk_tfida"}, "claims": {"family_name": "Archer"}}})
    );
}

#[test]
fn evidence_filters_are_ored_and_select_entries_ida_s5_3() {
    // Record or vouch: the UK set gives its bank record, the German its vouch.
    let delivered = userinfo(set(
        json!({"trust_framework": null, "evidence": [
            {"type": {"value": "electronic_record"}, "record": {"type": null, "source": {"name": null}}},
            {"type": {"value": "vouch"}, "attestation": {"type": null, "voucher": {"occupation": null}}}]}),
        json!({"family_name": null}),
    ));
    let expected = json!({"verified_claims": [
        {"verification": {"trust_framework": "uk_tfida", "evidence": [{"type": "electronic_record",
            "record": {"type": "bank_account", "source": {"name": "Fiducia Bank"}}}]},
         "claims": {"family_name": "Archer"}},
        {"verification": {"trust_framework": "de_aml", "evidence": [{"type": "vouch",
            "attestation": {"type": "written_attestation", "voucher": {"occupation": "notary"}}}]},
         "claims": {"family_name": "Archer"}},
    ]});
    assert_eq!(delivered, expected);
}

#[test]
fn check_details_filter_keeps_matching_checks_only_ida_s5_3() {
    let delivered = userinfo(set(
        json!({"trust_framework": null, "evidence": [{"type": {"value": "document"},
            "check_details": [{"check_method": {"values": ["bvr", "pvr"]}, "check_id": null}]}]}),
        json!({"given_name": null}),
    ));
    let expected = json!({"verified_claims": {"verification": {"trust_framework": "uk_tfida", "evidence": [
        {"type": "document", "check_details": [{"check_method": "bvr", "check_id": "chk-2"}]}]},
        "claims": {"given_name": "Alice"}}});
    assert_eq!(delivered, expected);
}

#[test]
fn document_expiry_max_age_and_document_type_filters_ida_s5_4_2() {
    // Issued within 6 years of 2025-01-01: the UK passport (2020), not the German card (2017).
    let delivered = userinfo(set(
        json!({"trust_framework": null, "evidence": [{"type": {"value": "document"},
            "document_details": {"type": null, "date_of_issuance": {"max_age": 6 * 366 * 86_400 - 400 * 86_400}}}]}),
        json!({"given_name": null}),
    ));
    assert_eq!(
        delivered["verified_claims"]["verification"]["trust_framework"],
        "uk_tfida"
    );
    assert_eq!(
        delivered["verified_claims"]["verification"]["evidence"],
        json!([{"type": "document", "document_details": {"type": "passport", "date_of_issuance": "2020-03-02"}}])
    );
    let driving = userinfo(set(
        json!({"trust_framework": null, "evidence": [{"type": {"value": "document"},
            "document_details": {"type": {"value": "driving_permit"}}}]}),
        json!({"given_name": null}),
    ));
    assert_eq!(driving, json!({}));
}

#[test]
fn max_age_depends_on_now_ida_s5_4_2() {
    let parsed = request::parse(&set(
        json!({"trust_framework": {"value": "uk_tfida"}, "time": {"max_age": 86_400}}),
        json!({"given_name": null}),
    ))
    .unwrap();
    // Verified 2024-06-01T10:00:00Z = 1717236000.
    let fresh = ask_parsed(&parsed, 1_717_236_000 + 86_400).0;
    assert!(fresh.contains_key("verified_claims"));
    let stale = ask_parsed(&parsed, 1_717_236_000 + 86_401).0;
    assert!(stale.is_empty());
}

#[test]
fn assurance_details_null_is_delivered_whole_ida_s5_3() {
    let delivered = userinfo(set(
        json!({"trust_framework": null, "assurance_process": {"policy": null, "assurance_details": null}}),
        json!({"given_name": null}),
    ));
    assert_eq!(
        delivered["verified_claims"][0]["verification"]["assurance_process"],
        json!({"policy": "gpg45", "assurance_details": [{"assurance_type": "evidence_validation",
            "assurance_classification": "score_3",
            "evidence_ref": [{"check_id": "chk-1", "evidence_metadata": {"evidence_classification": "strength_4"}}]}]})
    );
    // Sets without an assurance process are still delivered, without it.
    assert_eq!(delivered["verified_claims"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        delivered["verified_claims"][1]["verification"],
        json!({"trust_framework": "eidas"})
    );
}

#[test]
fn derived_claims_follow_the_claims_asked_schema_s5_4_4_2() {
    let delivered = userinfo(set(
        json!({"trust_framework": {"value": "de_aml"}, "evidence": [{"type": {"value": "document"}, "derived_claims": null}]}),
        json!({"family_name": null}),
    ));
    assert_eq!(
        delivered["verified_claims"]["verification"]["evidence"],
        json!([{"type": "document", "derived_claims": {"family_name": "Archer"}}])
    );
}

#[test]
fn an_array_with_one_match_each_gives_every_match_in_request_order_ida_s5_5() {
    let delivered = userinfo(json!({"userinfo": {"verified_claims": [
        {"verification": {"trust_framework": {"value": "de_aml"}}, "claims": {"nationalities": null}},
        {"verification": {"trust_framework": {"value": "uk_tfida"}}, "claims": {"address": null}},
        {"verification": {"trust_framework": {"value": "gold"}}, "claims": {"given_name": null}}]}}));
    let expected = json!({"verified_claims": [
        {"verification": {"trust_framework": "de_aml"}, "claims": {"nationalities": ["GBR", "DEU"]}},
        {"verification": {"trust_framework": "uk_tfida"}, "claims": {"address":
            {"street_address": "1 Mill Lane", "locality": "Leeds", "postal_code": "LS1 4AP", "country": "GB"}}},
    ]});
    assert_eq!(delivered, expected);
}

#[test]
fn id_token_and_userinfo_carry_different_sets_as_requested_oidc_core_s5_5() {
    let (userinfo, id_token) = ask(json!({
        "userinfo": {"verified_claims": {"verification": {"trust_framework": {"value": "eidas"}}, "claims": {"birthdate": null}}},
        "id_token": {"verified_claims": {"verification": {"trust_framework": {"value": "uk_tfida"}}, "claims": {"address": null}}}}));
    assert_eq!(
        userinfo["verified_claims"]["verification"]["trust_framework"],
        "eidas"
    );
    assert_eq!(
        userinfo["verified_claims"]["claims"],
        json!({"birthdate": "1990-04-12"})
    );
    assert_eq!(
        id_token["verified_claims"]["verification"]["trust_framework"],
        "uk_tfida"
    );
    assert!(id_token["verified_claims"]["claims"].get("birthdate").is_none());
}

#[test]
fn plain_claims_only_standard_ones_the_customer_has_oidc_core_s5_5() {
    let (userinfo, _) = ask(json!({"userinfo": {
        "email": {"essential": true}, "email_verified": null, "family_name": {"value": "Archer"},
        "given_name": {"values": ["Bob"]}, "phone_number": null, "sub": null, "acr": {"values": ["x"]},
        "openbanking_intent_id": {"value": "pdc-1"}}}));
    let expected = json!({"email": "alice@example.com", "email_verified": true, "family_name": "Archer"});
    assert_eq!(serde_json::Value::Object(userinfo), expected);
}

#[test]
fn unsupported_claims_are_never_in_verified_claims_ida_s7() {
    // email is a standard claim but not in claims_in_verified_claims_supported.
    let delivered = userinfo(set(
        json!({"trust_framework": null}),
        json!({"email": null, "given_name": null}),
    ));
    for s in delivered["verified_claims"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        assert_eq!(s["claims"], json!({"given_name": "Alice"}));
    }
}

#[test]
fn members_not_asked_and_unknown_members_are_not_delivered_ida_s5_2() {
    let delivered = userinfo(set(
        json!({"trust_framework": {"value": "uk_tfida"}, "attachments": null, "unknown": {"value": "x"}}),
        json!({"given_name": null}),
    ));
    assert_eq!(
        delivered,
        json!({"verified_claims": {"verification": {"trust_framework": "uk_tfida"}, "claims": {"given_name": "Alice"}}})
    );
}
