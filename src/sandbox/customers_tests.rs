//! The sandbox's customers (`config/sandbox.toml`) carry verified claims
//! that pass the Identity Assurance validator and use only what discovery
//! announces (IDA 1.0 §7): alice under the UK framework with a passport and
//! a bank account record, bob under eIDAS with an identity card.

use crate::protocol::ekyc::record::EvidenceType;
use crate::protocol::ekyc::{discovery, validate};

#[test]
fn alice_and_bob_have_realistic_verified_claims_ida_s7() {
    let raw = crate::config::load_from_str(super::layout::SANDBOX_TOML, Vec::new()).unwrap();
    let seeds = &raw.login.seed_users;
    let sets = |name: &str| {
        let seed = seeds.iter().find(|s| s.username == name).unwrap();
        validate::verified_claims(seed.verified_claims.as_ref().unwrap()).unwrap()
    };
    let alice = sets("alice");
    let v = &alice[0].verification;
    assert_eq!(
        (v.trust_framework.as_str(), v.assurance_level.as_deref()),
        ("uk_tfida", Some("medium"))
    );
    let types: Vec<EvidenceType> = v.evidence.iter().flatten().map(|e| e.kind()).collect();
    assert_eq!(types, [EvidenceType::Document, EvidenceType::ElectronicRecord]);
    assert!(alice[0].claims.contains_key("address") && alice[0].claims.contains_key("place_of_birth"));
    let bob = sets("bob");
    let v = &bob[0].verification;
    assert_eq!(
        (v.trust_framework.as_str(), v.assurance_level.as_deref()),
        ("eidas", Some("high"))
    );
    assert!(discovery::TRUST_FRAMEWORKS_SUPPORTED.contains(&"eidas"));
    for seed in seeds {
        let claims = seed.claims.as_ref().unwrap();
        validate::standard_claims(claims).unwrap();
    }
}
