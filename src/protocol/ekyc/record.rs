//! A customer's verified claim set (OpenID Identity Assurance Schema
//! Definition 1.0 §5): `verification` (trust framework, assurance level and
//! process, time, process reference, evidence of the four types §5.4.4
//! defines) and the verified `claims`, as serde types whose JSON is exactly
//! the spec's shape.
//!
//! The stored form is JSON text ([`super::stored`]).
//!
//! Unknown members are refused on import (`deny_unknown_fields`), so a
//! typo cannot silently drop data. `attachments` (a separate specification,
//! OpenID Connect for Identity Assurance Attachments) are not kept: this OP
//! describes evidence, it does not hold copies of documents.

use super::shape::{self, Table};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One verified claim set (Schema §5.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifiedClaims {
    /// How the claims were verified (Schema §5.4).
    pub verification: Verification,
    /// The verified end-user claims (Schema §5.3); may be empty.
    pub claims: Map<String, Value>,
}

/// Schema §5.4.2 `verification`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verification {
    /// The trust framework governing the verification.
    pub trust_framework: String,
    /// The assurance level within the trust framework.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assurance_level: Option<String>,
    /// The assurance process followed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assurance_process: Option<AssuranceProcess>,
    /// When the verification was completed, RFC 3339 `date-time`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// Reference to the verification process, for audits and disputes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_process: Option<String>,
    /// The evidence used; at least one entry when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Vec<Evidence>>,
}

/// Schema §5.4.2 `assurance_process`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssuranceProcess {
    /// The standard or policy followed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// The procedure of the policy followed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub procedure: Option<String>,
    /// How the evidence complies with the policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assurance_details: Option<Vec<AssuranceDetail>>,
}

/// Schema §5.4.2 `assurance_details` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssuranceDetail {
    /// Which part of the process the evidence fulfils.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assurance_type: Option<String>,
    /// How the evidence was classified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assurance_classification: Option<String>,
    /// The checks referred to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_ref: Option<Vec<EvidenceRef>>,
}

/// Schema §5.4.2 `evidence_ref` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceRef {
    /// A `check_id` of some evidence's `check_details`.
    pub check_id: String,
    /// Metadata the assurance process needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_metadata: Option<EvidenceMetadata>,
}

/// Schema §5.4.2 `evidence_metadata`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceMetadata {
    /// How the checks are classified by the assurance process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_classification: Option<String>,
}

/// Schema §5.4.4 evidence, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Evidence {
    /// §5.4.4.2: a physical or electronic document.
    Document(DocumentEvidence),
    /// §5.4.4.3: data from an authoritative electronic source.
    ElectronicRecord(RecordEvidence),
    /// §5.4.4.4: an attestation by a recognised person.
    Vouch(VouchEvidence),
    /// §5.4.4.5: an electronic signature linked to the customer.
    ElectronicSignature(SignatureEvidence),
}

/// The four evidence types (Schema §5.4.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceType {
    /// `document`.
    Document,
    /// `electronic_record`.
    ElectronicRecord,
    /// `vouch`.
    Vouch,
    /// `electronic_signature`.
    ElectronicSignature,
}

impl EvidenceType {
    /// Every type, for discovery (IDA 1.0 §7 `evidence_supported`).
    pub const ALL: &'static [EvidenceType] = &[
        EvidenceType::Document,
        EvidenceType::ElectronicRecord,
        EvidenceType::Vouch,
        EvidenceType::ElectronicSignature,
    ];

    /// The `type` value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            EvidenceType::Document => "document",
            EvidenceType::ElectronicRecord => "electronic_record",
            EvidenceType::Vouch => "vouch",
            EvidenceType::ElectronicSignature => "electronic_signature",
        }
    }

    /// The type named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.as_str() == name)
    }

    /// The members evidence of this type has.
    pub fn table(self) -> &'static Table {
        match self {
            EvidenceType::Document => &shape::DOCUMENT,
            EvidenceType::ElectronicRecord => &shape::ELECTRONIC_RECORD,
            EvidenceType::Vouch => &shape::VOUCH,
            EvidenceType::ElectronicSignature => &shape::ELECTRONIC_SIGNATURE,
        }
    }
}

impl Evidence {
    /// This evidence's type.
    pub fn kind(&self) -> EvidenceType {
        match self {
            Evidence::Document(_) => EvidenceType::Document,
            Evidence::ElectronicRecord(_) => EvidenceType::ElectronicRecord,
            Evidence::Vouch(_) => EvidenceType::Vouch,
            Evidence::ElectronicSignature(_) => EvidenceType::ElectronicSignature,
        }
    }

    /// Its `check_details`, for the types that have them.
    pub fn check_details(&self) -> &[CheckDetail] {
        match self {
            Evidence::Document(e) => e.check_details.as_deref(),
            Evidence::ElectronicRecord(e) => e.check_details.as_deref(),
            Evidence::Vouch(e) => e.check_details.as_deref(),
            Evidence::ElectronicSignature(_) => None,
        }
        .unwrap_or_default()
    }

    /// Its `derived_claims`, if any.
    pub fn derived_claims(&self) -> Option<&Map<String, Value>> {
        match self {
            Evidence::Document(e) => e.derived_claims.as_ref(),
            Evidence::ElectronicRecord(e) => e.derived_claims.as_ref(),
            Evidence::Vouch(e) => e.derived_claims.as_ref(),
            Evidence::ElectronicSignature(e) => e.derived_claims.as_ref(),
        }
    }
}

/// Schema §5.4.4.2 `check_details` entry (the same for every type).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckDetail {
    /// The check done (predefined values: `vpip`, `vcrypt`, `bvr`, ...).
    pub check_method: String,
    /// Who did the check, when not the OP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// The check's reference, for `evidence_ref` and audits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_id: Option<String>,
    /// When the check was completed, RFC 3339 `date-time`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
}

/// Schema §5.4.4.2 evidence of type `document`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentEvidence {
    /// The checks done on the document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_details: Option<Vec<CheckDetail>>,
    /// The document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_details: Option<DocumentDetails>,
    /// Claims derived from the document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_claims: Option<Map<String, Value>>,
}

/// Schema §5.4.4.2 `document_details`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentDetails {
    /// The document type (`passport`, `idcard`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// The number of this document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_number: Option<String>,
    /// The serial number of the blank document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    /// RFC 3339 `full-date`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_issuance: Option<String>,
    /// RFC 3339 `full-date`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_expiry: Option<String>,
    /// Who issued it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<Place>,
}

/// An issuer or source (Schema §5.4.4.2 `issuer`, §5.4.4.3 `source`): a
/// name, the OIDC Core §5.1.1 address members, country code, jurisdiction.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Place {
    /// Designation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// ISO 3166-1 alpha-3 (or ICAO) code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    /// Region(s) it has jurisdiction over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jurisdiction: Option<String>,
    /// OIDC Core §5.1.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    /// OIDC Core §5.1.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    /// OIDC Core §5.1.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    /// OIDC Core §5.1.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// OIDC Core §5.1.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// OIDC Core §5.1.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// Schema §5.4.4.3 evidence of type `electronic_record`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordEvidence {
    /// The checks done on the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_details: Option<Vec<CheckDetail>>,
    /// The record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<Record>,
    /// Claims derived from the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_claims: Option<Map<String, Value>>,
}

/// Schema §5.4.4.3 `record`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// The record type (`bank_account`, `population_register`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// RFC 3339 `date-time`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// RFC 3339 `full-date`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_expiry: Option<String>,
    /// Where the record comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Place>,
}

/// Schema §5.4.4.4 evidence of type `vouch`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VouchEvidence {
    /// The checks done on the vouch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_details: Option<Vec<CheckDetail>>,
    /// The attestation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<Attestation>,
    /// Claims derived from the vouch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_claims: Option<Map<String, Value>>,
}

/// Schema §5.4.4.4 `attestation`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attestation {
    /// The vouch type (`written_attestation`, `digital_attestation`).
    #[serde(rename = "type")]
    pub kind: String,
    /// Reference of the vouch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_number: Option<String>,
    /// RFC 3339 `full-date`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_issuance: Option<String>,
    /// RFC 3339 `full-date`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_expiry: Option<String>,
    /// Who vouched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voucher: Option<Voucher>,
}

/// Schema §5.4.4.4 `voucher`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Voucher {
    /// Name of the person vouching.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// RFC 3339 `full-date`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthdate: Option<String>,
    /// ISO 3166-1 alpha-3 (or ICAO) code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    /// Occupation or authority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occupation: Option<String>,
    /// Organisation represented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// OIDC Core §5.1.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    /// OIDC Core §5.1.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    /// OIDC Core §5.1.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    /// OIDC Core §5.1.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// OIDC Core §5.1.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// OIDC Core §5.1.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// Schema §5.4.4.5 evidence of type `electronic_signature`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureEvidence {
    /// The signature type (e.g. `qes_eidas`).
    pub signature_type: String,
    /// The CA that issued the signer's certificate.
    pub issuer: String,
    /// The certificate's serial number.
    pub serial_number: String,
    /// RFC 3339 `date-time`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Claims derived from the signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_claims: Option<Map<String, Value>>,
}
