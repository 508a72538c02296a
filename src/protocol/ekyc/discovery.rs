//! What discovery says about identity assurance (OpenID Connect for
//! Identity Assurance 1.0 §7, OpenID Connect Discovery 1.0 §3), and the
//! identifiers an imported record may use: a record is refused unless its
//! trust framework, document type, check method and record type are listed
//! here ([`super::validate`]), so discovery never under-reports the data.
//! Identifiers are the eKYC-IDA working group's predefined values (IDA 1.0
//! §10 points to its identifiers page).

use super::record::EvidenceType;
use super::standard_claims::CLAIMS;
use serde_json::{Map, Value, json};

/// OIDC Discovery `claims_parameter_supported` and IDA 1.0 §7
/// `verified_claims_supported`.
pub const VERIFIED_CLAIMS_SUPPORTED: bool = true;

/// IDA 1.0 §7 `trust_frameworks_supported`: the UK digital identity and
/// attributes trust framework (`uk_tfida` on the identifiers page,
/// `uk_diatf` in the specification's examples; both accepted), eIDAS
/// notified eID schemes, the German anti-money laundering law.
pub const TRUST_FRAMEWORKS_SUPPORTED: &[&str] = &["uk_tfida", "uk_diatf", "eidas", "de_aml"];

/// The assurance levels a trust framework defines (empty: any).
pub fn assurance_levels(trust_framework: &str) -> &'static [&'static str] {
    match trust_framework {
        // eIDAS Regulation (EU) No 910/2014 Art. 8(2).
        "eidas" => &["low", "substantial", "high"],
        // UK GPG 45 identity profiles' confidence levels.
        "uk_tfida" | "uk_diatf" => &["low", "medium", "high", "very_high"],
        _ => &[],
    }
}

/// IDA 1.0 §7 `documents_supported`.
pub const DOCUMENTS_SUPPORTED: &[&str] = &["idcard", "passport", "driving_permit", "residence_permit"];

/// IDA 1.0 §7 `documents_check_methods_supported` (predefined check
/// methods: validation `vpip`, `vpiruv`, `vri`, `vdig`, `vcrypt`, `data`;
/// verification `pvp`, `pvr`, `bvp`, `bvr`; `kbv`; and the in-person,
/// supervised-remote and eID proofing `pipp`, `sripp`, `eid` that IDA 1.0
/// §7's example lists).
pub const DOCUMENTS_CHECK_METHODS_SUPPORTED: &[&str] = &[
    "vpip", "vpiruv", "vri", "vdig", "vcrypt", "data", "pvp", "pvr", "bvp", "bvr", "kbv", "pipp", "sripp",
    "eid",
];

/// Check methods an `electronic_record` may record (not advertised: IDA
/// 1.0 §7 defines no member for them).
pub const ELECTRONIC_RECORDS_CHECK_METHODS: &[&str] = &["data", "vcrypt", "kbv", "pvr", "bvr", "token"];

/// Check methods a `vouch` may record (not advertised either).
pub const VOUCH_CHECK_METHODS: &[&str] = &["vpip", "vdig", "vcrypt", "data", "pvp", "pvr", "bvp", "bvr"];

/// IDA 1.0 §7 `electronic_records_supported`.
pub const ELECTRONIC_RECORDS_SUPPORTED: &[&str] =
    &["bank_account", "utility_account", "population_register", "mno"];

/// Vouch attestation types a record may hold (Schema §5.4.4.4).
pub const ATTESTATIONS_SUPPORTED: &[&str] = &["written_attestation", "digital_attestation"];

/// IDA 1.0 §7 `evidence_supported`.
pub fn evidence_supported() -> Vec<&'static str> {
    EvidenceType::ALL.iter().map(|t| t.as_str()).collect()
}

/// IDA 1.0 §7 `claims_in_verified_claims_supported`.
pub fn claims_in_verified_claims_supported() -> Vec<&'static str> {
    CLAIMS.iter().filter(|c| c.verifiable).map(|c| c.name).collect()
}

/// The end-user claims answered from a customer record, and
/// `verified_claims`, for OIDC Discovery `claims_supported` (the OP adds
/// its own: `sub`, `iss`, `acr`, ...).
pub fn claims_supported() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = CLAIMS.iter().map(|c| c.name).collect();
    names.push("verified_claims");
    names
}

/// The members to add to the discovery document.
pub fn metadata() -> Map<String, Value> {
    let Value::Object(map) = json!({
        "claims_parameter_supported": true,
        "verified_claims_supported": VERIFIED_CLAIMS_SUPPORTED,
        "trust_frameworks_supported": TRUST_FRAMEWORKS_SUPPORTED,
        "evidence_supported": evidence_supported(),
        "documents_supported": DOCUMENTS_SUPPORTED,
        "documents_check_methods_supported": DOCUMENTS_CHECK_METHODS_SUPPORTED,
        "electronic_records_supported": ELECTRONIC_RECORDS_SUPPORTED,
        "claims_in_verified_claims_supported": claims_in_verified_claims_supported(),
    }) else {
        return Map::new();
    };
    map
}
