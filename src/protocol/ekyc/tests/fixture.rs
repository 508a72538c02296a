//! One customer with three verified claim sets, built through the import
//! check ([`crate::protocol::ekyc::validate::verified_claims`]):
//! - UK (`uk_tfida`, `medium`): a passport (checks `vcrypt` + `bvr`) and a
//!   bank account record; given name, family name, birthdate, address.
//! - eIDAS (`eidas`, `substantial`): a qualified electronic signature;
//!   given name, family name, birthdate, place of birth.
//! - German AML (`de_aml`): an ID card checked in person (`pipp`) and a
//!   written vouch; given name, family name, birthdate, nationalities.

use crate::protocol::ekyc::record::VerifiedClaims;
use crate::protocol::ekyc::request::{self, ClaimsRequest};
use crate::protocol::ekyc::{CustomerClaims, PreparedSets, answer, validate};
use serde_json::{Map, Value, json};

/// 2025-01-01T00:00:00Z.
pub const NOW: u64 = 1_735_689_600;

pub fn sets_json() -> Value {
    json!([
        {
            "verification": {
                "trust_framework": "uk_tfida",
                "assurance_level": "medium",
                "assurance_process": {
                    "policy": "gpg45",
                    "procedure": "m1b",
                    "assurance_details": [
                        {"assurance_type": "evidence_validation", "assurance_classification": "score_3",
                         "evidence_ref": [{"check_id": "chk-1", "evidence_metadata": {"evidence_classification": "strength_4"}}]}
                    ]
                },
                "time": "2024-06-01T10:00:00Z",
                "verification_process": "uk-7f3a",
                "evidence": [
                    {
                        "type": "document",
                        "check_details": [
                            {"check_method": "vcrypt", "organization": "HM Passport Office", "check_id": "chk-1", "time": "2024-06-01T09:58:00Z"},
                            {"check_method": "bvr", "check_id": "chk-2", "time": "2024-06-01T09:59:00Z"}
                        ],
                        "document_details": {
                            "type": "passport",
                            "document_number": "533401372",
                            "date_of_issuance": "2020-03-02",
                            "date_of_expiry": "2030-03-01",
                            "issuer": {"name": "HM Passport Office", "country_code": "GBR", "country": "GB"}
                        }
                    },
                    {
                        "type": "electronic_record",
                        "check_details": [{"check_method": "data", "time": "2024-06-01T09:57:00Z"}],
                        "record": {"type": "bank_account", "created_at": "2015-07-01T00:00:00Z",
                                   "source": {"name": "Fiducia Bank", "country_code": "GBR"}}
                    }
                ]
            },
            "claims": {
                "given_name": "Alice",
                "family_name": "Archer",
                "birthdate": "1990-04-12",
                "address": {"street_address": "1 Mill Lane", "locality": "Leeds", "postal_code": "LS1 4AP", "country": "GB"}
            }
        },
        {
            "verification": {
                "trust_framework": "eidas",
                "assurance_level": "substantial",
                "time": "2023-02-01T08:00:00Z",
                "evidence": [
                    {"type": "electronic_signature", "signature_type": "qes_eidas", "issuer": "Example QTSP",
                     "serial_number": "00aa11", "created_at": "2023-02-01T07:59:00Z"}
                ]
            },
            "claims": {
                "given_name": "Alice",
                "family_name": "Archer",
                "birthdate": "1990-04-12",
                "place_of_birth": {"country": "GB", "locality": "York"}
            }
        },
        {
            "verification": {
                "trust_framework": "de_aml",
                "time": "2019-05-20T12:00:00Z",
                "verification_process": "de-0042",
                "evidence": [
                    {
                        "type": "document",
                        "check_details": [{"check_method": "pipp", "organization": "Deutsche Post", "time": "2019-05-20T11:50:00Z"}],
                        "document_details": {
                            "type": "idcard",
                            "document_number": "T22000129",
                            "date_of_issuance": "2017-01-10",
                            "date_of_expiry": "2027-01-09",
                            "issuer": {"name": "Stadt Augsburg", "country": "DE"}
                        },
                        "derived_claims": {"given_name": "Alice", "family_name": "Archer"}
                    },
                    {
                        "type": "vouch",
                        "attestation": {"type": "written_attestation", "reference_number": "v-9",
                                        "date_of_issuance": "2019-05-18",
                                        "voucher": {"name": "Dr. B. Braun", "occupation": "notary", "country": "DE"}}
                    }
                ]
            },
            "claims": {
                "given_name": "Alice",
                "family_name": "Archer",
                "birthdate": "1990-04-12",
                "nationalities": ["GBR", "DEU"]
            }
        }
    ])
}

pub fn sets() -> Vec<VerifiedClaims> {
    match validate::verified_claims(&sets_json()) {
        Ok(sets) => sets,
        Err(e) => panic!("fixture is not a valid record: {e}"),
    }
}

pub fn standard() -> Map<String, Value> {
    let Value::Object(map) = json!({
        "given_name": "Alice",
        "family_name": "Archer",
        "email": "alice@example.com",
        "email_verified": true,
        "preferred_username": "alice",
        "birthdate": "1990-04-12"
    }) else {
        unreachable!()
    };
    map
}

/// Parses `claims` and answers both members for the fixture customer.
pub fn ask(claims: Value) -> (Map<String, Value>, Map<String, Value>) {
    let parsed: ClaimsRequest = match request::parse(&claims) {
        Ok(p) => p,
        Err(e) => panic!("request refused: {e}"),
    };
    ask_parsed(&parsed, NOW)
}

pub fn ask_parsed(parsed: &ClaimsRequest, now: u64) -> (Map<String, Value>, Map<String, Value>) {
    let sets = PreparedSets::new(&sets());
    let standard = standard();
    let customer = CustomerClaims {
        standard: &standard,
        verified: &sets,
    };
    (
        answer(&parsed.userinfo, customer, now),
        answer(&parsed.id_token, customer, now),
    )
}

/// The userinfo answer as a JSON value.
pub fn userinfo(claims: Value) -> Value {
    Value::Object(ask(claims).0)
}
