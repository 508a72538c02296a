//! Criterion benchmark of building a filtered `verified_claims` answer
//! (OpenID Connect for Identity Assurance 1.0 §5.5, §5.6) for a customer
//! with two verified claim sets: the per-response CPU the userinfo and
//! token endpoints add (target: at most 0.02 ms). Parsing the `claims`
//! parameter is measured apart (it happens once, at PAR).
//!
//! ```text
//! cargo bench -p fiducia-bench --bench ekyc
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use fiducia::protocol::ekyc::{CustomerClaims, PreparedSets, answer, request, validate};
use serde_json::{Value, json};
use std::hint::black_box;

const NOW: u64 = 1_735_689_600;

fn customer() -> (serde_json::Map<String, Value>, PreparedSets) {
    let sets = json!([
        {"verification": {"trust_framework": "uk_tfida", "assurance_level": "medium",
            "time": "2024-06-01T10:00:00Z", "verification_process": "uk-7f3a",
            "evidence": [
                {"type": "document",
                 "check_details": [{"check_method": "vcrypt", "check_id": "c1", "time": "2024-06-01T09:58:00Z"},
                                   {"check_method": "bvr", "check_id": "c2", "time": "2024-06-01T09:59:00Z"}],
                 "document_details": {"type": "passport", "document_number": "533401372",
                    "date_of_issuance": "2020-03-02", "date_of_expiry": "2030-03-01",
                    "issuer": {"name": "HM Passport Office", "country_code": "GBR"}}},
                {"type": "electronic_record", "check_details": [{"check_method": "data"}],
                 "record": {"type": "bank_account", "source": {"name": "Fiducia Bank"}}}]},
         "claims": {"given_name": "Alice", "family_name": "Archer", "birthdate": "1990-04-12",
                    "address": {"street_address": "1 Mill Lane", "locality": "Leeds", "country": "GB"}}},
        {"verification": {"trust_framework": "eidas", "assurance_level": "substantial",
            "time": "2023-02-01T08:00:00Z",
            "evidence": [{"type": "electronic_signature", "signature_type": "qes_eidas",
                          "issuer": "Example QTSP", "serial_number": "00aa11"}]},
         "claims": {"given_name": "Alice", "family_name": "Archer", "birthdate": "1990-04-12"}}
    ]);
    let sets = validate::verified_claims(&sets).expect("valid sets");
    let Value::Object(standard) = json!({"email": "alice@example.com", "given_name": "Alice"}) else {
        unreachable!()
    };
    (standard, PreparedSets::new(&sets))
}

fn claims_request() -> Value {
    json!({"userinfo": {"email": null, "verified_claims": [
        {"verification": {"trust_framework": {"values": ["uk_tfida", "eidas"]}, "time": {"max_age": 63_113_852},
            "evidence": [{"type": {"value": "document"}, "check_details": [{"check_method": null}],
                          "document_details": {"type": null, "issuer": {"name": null}}}]},
         "claims": {"given_name": null, "family_name": null, "birthdate": {"purpose": "To open your account"}}},
        {"verification": {"trust_framework": {"value": "eidas"}, "assurance_level": null},
         "claims": {"birthdate": null}}]}})
}

fn ekyc(c: &mut Criterion) {
    let (standard, sets) = customer();
    let parsed = request::parse(&claims_request()).unwrap();
    let customer = CustomerClaims {
        standard: &standard,
        verified: &sets,
    };
    assert!(answer(&parsed.userinfo, customer, NOW).contains_key("verified_claims"));
    c.bench_function("ekyc/answer", |b| {
        b.iter(|| answer(black_box(&parsed.userinfo), customer, NOW))
    });
    let text = claims_request().to_string();
    c.bench_function("ekyc/parse_claims", |b| {
        b.iter(|| request::parse_text(black_box(&text)).unwrap())
    });
}

criterion_group!(benches, ekyc);
criterion_main!(benches);
