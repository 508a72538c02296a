//! Malformed requests are `invalid_request` with a description naming the
//! member (OIDC Core §3.1.2.6, IDA 1.0 §5.6.6); `purpose` limits (ID4
//! §5.1); bounds on size, depth and counts.

use crate::protocol::ekyc::limits::{MAX_REQUEST_BYTES, MAX_REQUESTED_SETS};
use crate::protocol::ekyc::request::{parse, parse_text};
use crate::protocol::error::ErrorCode;
use serde_json::{Value, json};

fn refused(claims: Value, names: &str) {
    let err = parse(&claims).expect_err(&claims.to_string());
    assert_eq!(err.code, ErrorCode::InvalidRequest, "{claims}");
    let description = err.description.unwrap_or_default();
    assert!(description.contains(names), "{claims}: {description}");
}

fn vc(verification: Value, claims: Value) -> Value {
    json!({"userinfo": {"verified_claims": {"verification": verification, "claims": claims}}})
}

#[test]
fn purpose_of_3_to_300_characters_ida_id4_s5_1() {
    let with = |p: &str| {
        vc(
            json!({"trust_framework": null}),
            json!({"given_name": {"purpose": p}}),
        )
    };
    assert!(parse(&with("KYC")).is_ok());
    assert!(parse(&with(&"é".repeat(300))).is_ok(), "characters, not bytes");
    refused(
        with("ab"),
        "`userinfo.verified_claims.claims.given_name.purpose` must be 3 to 300 characters, not 2",
    );
    refused(with(&"x".repeat(301)), "not 301");
    // On plain claims and on verification elements too.
    refused(
        json!({"id_token": {"email": {"purpose": "no"}}}),
        "`id_token.email.purpose`",
    );
    refused(
        vc(json!({"trust_framework": {"purpose": ""}}), json!(null)),
        "`userinfo.verified_claims.verification.trust_framework.purpose`",
    );
}

#[test]
fn the_parameter_must_be_a_json_object_oidc_core_s5_5() {
    assert_eq!(
        parse_text("{not json").unwrap_err().code,
        ErrorCode::InvalidRequest
    );
    refused(json!([]), "must be a JSON object");
    refused(json!({"userinfo": []}), "`claims.userinfo` must be an object");
    refused(
        json!({"id_token": {"email": 1}}),
        "`id_token.email` must be null or an object",
    );
}

#[test]
fn verified_claims_shape_ida_s5_1_s5_5() {
    refused(
        json!({"userinfo": {"verified_claims": "yes"}}),
        "must be an object or an array",
    );
    refused(
        json!({"userinfo": {"verified_claims": []}}),
        "must be an object or an array",
    );
    refused(
        json!({"userinfo": {"verified_claims": [1]}}),
        "`userinfo.verified_claims[0]` must be an object",
    );
    refused(
        json!({"userinfo": {"verified_claims": {"claims": {"given_name": null}}}}),
        "must have `verification`",
    );
    refused(
        json!({"userinfo": {"verified_claims": {"verification": {"trust_framework": null}}}}),
        "must have `claims`",
    );
    refused(
        vc(json!({"trust_framework": null}), json!({})),
        "`userinfo.verified_claims.claims` must be null or an object naming claims",
    );
    refused(
        vc(json!({"trust_framework": null}), json!(["given_name"])),
        "`userinfo.verified_claims.claims`",
    );
    refused(
        vc(json!([]), json!(null)),
        "`userinfo.verified_claims.verification` must be an object",
    );
    refused(
        vc(json!({"time": null}), json!(null)),
        "must name `trust_framework`",
    );
}

#[test]
fn verification_elements_ida_s5_3_s5_4() {
    let tf = |v: Value| vc(v, json!(null));
    refused(
        tf(json!({"trust_framework": {"value": 1}})),
        "`userinfo.verified_claims.verification.trust_framework.value`",
    );
    refused(
        tf(json!({"trust_framework": {"values": []}})),
        "trust_framework.values",
    );
    refused(
        tf(json!({"trust_framework": null, "time": {"max_age": "1d"}})),
        "verification.time.max_age",
    );
    refused(
        tf(json!({"trust_framework": null, "evidence": {"type": {"value": "document"}}})),
        "verification.evidence` must be an array",
    );
    refused(
        tf(json!({"trust_framework": null, "evidence": []})),
        "must have 1 to",
    );
    refused(
        tf(json!({"trust_framework": null, "evidence": [{}]})),
        "`userinfo.verified_claims.verification.evidence[0].type` must be an object",
    );
    refused(
        tf(json!({"trust_framework": null, "evidence": [{"type": {"values": ["document"]}}]})),
        "must use `value`, not `values`",
    );
    refused(
        tf(json!({"trust_framework": null, "evidence": [{"type": {"value": "selfie"}}]})),
        "`selfie` is not an evidence type",
    );
    refused(
        tf(
            json!({"trust_framework": null, "evidence": [{"type": {"value": "document"}, "check_details": [{"time": null}]}]}),
        ),
        "`userinfo.verified_claims.verification.evidence[0].check_details[0]` must name `check_method`",
    );
    refused(
        tf(
            json!({"trust_framework": null, "evidence": [{"type": {"value": "document"}, "document_details": "passport"}]}),
        ),
        "evidence[0].document_details` must be null or an object",
    );
    refused(
        tf(json!({"trust_framework": null, "assurance_process": {"assurance_details": {}}})),
        "assurance_details` must be null or an array",
    );
}

#[test]
fn bounds_on_size_depth_and_counts() {
    assert!(parse_text(&" ".repeat(MAX_REQUEST_BYTES + 1)).is_err());
    let big = json!({"userinfo": {"email": {"purpose": "x".repeat(250)}, "name": {"values": vec!["y".repeat(250); 16]},
        "nickname": {"values": vec!["z".repeat(250); 16]}, "locale": {"values": vec!["w".repeat(250); 16]},
        "website": {"values": vec!["v".repeat(250); 16]}, "gender": {"values": vec!["u".repeat(250); 16]}}});
    refused(big, "longer than");
    let one = json!({"verification": {"trust_framework": null}, "claims": {"given_name": null}});
    refused(
        json!({"userinfo": {"verified_claims": vec![one; MAX_REQUESTED_SETS + 1]}}),
        "an array of 1 to 8",
    );
    let deep = json!({"userinfo": {"x": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": {"j": {"k": {"l": {"m": 1}}}}}}}}}}}}}}});
    refused(deep, "nested deeper");
    let many: serde_json::Map<String, Value> = (0..65).map(|i| (format!("c{i}"), Value::Null)).collect();
    refused(json!({"userinfo": many}), "more than 64 claims");
    refused(json!({"userinfo": {"": null}}), "claim name that is empty");
    let values = vec![json!("a"); 17];
    refused(
        vc(json!({"trust_framework": {"values": values}}), json!(null)),
        "1 to 16 entries",
    );
}

#[test]
fn the_deepest_element_the_schema_defines_is_within_the_depth_limit() {
    let deepest = vc(
        json!({"trust_framework": null, "assurance_process": {"assurance_details": [{"evidence_ref": [
            {"check_id": null, "evidence_metadata": {"evidence_classification": {"values": ["strength_4"]}}}]}]}}),
        json!({"given_name": null}),
    );
    assert!(parse(&deepest).is_ok());
}

#[test]
fn members_other_than_userinfo_and_id_token_are_ignored_oidc_core_s5_5() {
    let parsed = parse(&json!({"userinfo": null, "other": [1, 2]})).unwrap();
    assert!(!parsed.asks_verified_claims());
    assert!(parsed.userinfo.plain.is_empty());
}
