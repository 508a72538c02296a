//! The shape of the `verification` element, as data (STYLE.md §2): which
//! members each object has, which of them a request may constrain, and
//! which members a delivered object must carry to stay valid. Taken from
//! OpenID Identity Assurance Schema Definition 1.0 §5.4 and the request
//! JSON schema (`verified_claims_request.json`); request parsing
//! ([`super::verification_request`]) and the answer ([`super::project`])
//! both walk these tables.

use super::element::ElementKind;

/// What a member is.
#[derive(Debug)]
pub enum Shape {
    /// A leaf requested with an element request.
    Element(ElementKind),
    /// A nested object.
    Object(&'static Table),
    /// An array of objects, each requested through a filter entry
    /// (`check_details`, `assurance_details`, `evidence_ref`).
    Array(&'static Table),
    /// The `evidence` array: entries filtered by `type` (Schema §5.4.4).
    Evidence,
    /// `derived_claims`: end-user claims, requested like `claims`.
    DerivedClaims,
}

/// An object's members.
#[derive(Debug)]
pub struct Table {
    /// Members and their shapes.
    pub members: &'static [(&'static str, Shape)],
    /// Members a delivered object must carry (the response schema's
    /// `required`): delivered with it whenever the object is, so the answer
    /// stays valid (IDA 1.0 §5.6.1 allows a subset only if it "remains
    /// compliant with the verified_claims JSON schema").
    pub required: &'static [&'static str],
    /// Members a request's filter entry must name (the request schema's
    /// `required`).
    pub required_in_request: &'static [&'static str],
}

use ElementKind::{Constrainable as C, DateTime as D, Simple as S};
use Shape::Element as E;

const fn table(members: &'static [(&'static str, Shape)], required: &'static [&'static str]) -> Table {
    Table {
        members,
        required,
        required_in_request: &[],
    }
}

/// Schema §5.4.4.2 `check_details` entries (and the same for every type).
pub static CHECK_DETAILS: Table = Table {
    members: &[
        ("check_method", E(C)),
        ("organization", E(C)),
        ("check_id", E(C)),
        ("time", E(D)),
    ],
    required: &["check_method"],
    required_in_request: &["check_method"],
};

/// Schema §5.4.4.2 `document_details/issuer`.
pub static ISSUER: Table = table(
    &[
        ("name", E(S)),
        ("country_code", E(S)),
        ("jurisdiction", E(S)),
        // OIDC Core §5.1.1 address members.
        ("formatted", E(S)),
        ("street_address", E(S)),
        ("locality", E(S)),
        ("region", E(S)),
        ("postal_code", E(S)),
        ("country", E(S)),
    ],
    &[],
);

/// Schema §5.4.4.2 `document_details`.
pub static DOCUMENT_DETAILS: Table = table(
    &[
        ("type", E(C)),
        ("document_number", E(S)),
        ("serial_number", E(S)),
        ("date_of_issuance", E(D)),
        ("date_of_expiry", E(D)),
        ("issuer", Shape::Object(&ISSUER)),
    ],
    &["type"],
);

/// Schema §5.4.4.2 evidence of type `document`.
pub static DOCUMENT: Table = table(
    &[
        ("check_details", Shape::Array(&CHECK_DETAILS)),
        ("document_details", Shape::Object(&DOCUMENT_DETAILS)),
        ("derived_claims", Shape::DerivedClaims),
    ],
    &[],
);

/// Schema §5.4.4.3 `record/source`.
pub static SOURCE: Table = table(
    &[
        ("name", E(S)),
        ("country_code", E(S)),
        ("jurisdiction", E(S)),
        // OIDC Core §5.1.1 address members.
        ("formatted", E(S)),
        ("street_address", E(S)),
        ("locality", E(S)),
        ("region", E(S)),
        ("postal_code", E(S)),
        ("country", E(S)),
    ],
    &[],
);

/// Schema §5.4.4.3 `record`.
pub static RECORD: Table = table(
    &[
        ("type", E(C)),
        ("created_at", E(D)),
        ("date_of_expiry", E(D)),
        ("source", Shape::Object(&SOURCE)),
    ],
    &["type"],
);

/// Schema §5.4.4.3 evidence of type `electronic_record`.
pub static ELECTRONIC_RECORD: Table = table(
    &[
        ("check_details", Shape::Array(&CHECK_DETAILS)),
        ("record", Shape::Object(&RECORD)),
        ("derived_claims", Shape::DerivedClaims),
    ],
    &[],
);

/// Schema §5.4.4.4 `attestation/voucher`.
pub static VOUCHER: Table = table(
    &[
        ("name", E(S)),
        ("birthdate", E(D)),
        ("country_code", E(S)),
        ("occupation", E(S)),
        ("organization", E(S)),
        // OIDC Core §5.1.1 address members.
        ("formatted", E(S)),
        ("street_address", E(S)),
        ("locality", E(S)),
        ("region", E(S)),
        ("postal_code", E(S)),
        ("country", E(S)),
    ],
    &[],
);

/// Schema §5.4.4.4 `attestation`.
pub static ATTESTATION: Table = table(
    &[
        ("type", E(C)),
        ("reference_number", E(S)),
        ("date_of_issuance", E(D)),
        ("date_of_expiry", E(D)),
        ("voucher", Shape::Object(&VOUCHER)),
    ],
    &["type"],
);

/// Schema §5.4.4.4 evidence of type `vouch`.
pub static VOUCH: Table = table(
    &[
        ("check_details", Shape::Array(&CHECK_DETAILS)),
        ("attestation", Shape::Object(&ATTESTATION)),
        ("derived_claims", Shape::DerivedClaims),
    ],
    &[],
);

/// Schema §5.4.4.5 evidence of type `electronic_signature`.
pub static ELECTRONIC_SIGNATURE: Table = table(
    &[
        ("signature_type", E(C)),
        ("issuer", E(S)),
        ("serial_number", E(S)),
        ("created_at", E(D)),
        ("derived_claims", Shape::DerivedClaims),
    ],
    &["signature_type", "issuer", "serial_number"],
);

/// Schema §5.4.2 `assurance_details/evidence_ref/evidence_metadata`.
pub static EVIDENCE_METADATA: Table = table(&[("evidence_classification", E(C))], &[]);

/// Schema §5.4.2 `assurance_details/evidence_ref`.
pub static EVIDENCE_REF: Table = Table {
    members: &[
        ("check_id", E(C)),
        ("evidence_metadata", Shape::Object(&EVIDENCE_METADATA)),
    ],
    required: &["check_id"],
    required_in_request: &["check_id"],
};

/// Schema §5.4.2 `assurance_process/assurance_details`.
pub static ASSURANCE_DETAILS: Table = table(
    &[
        ("assurance_type", E(C)),
        ("assurance_classification", E(C)),
        ("evidence_ref", Shape::Array(&EVIDENCE_REF)),
    ],
    &[],
);

/// Schema §5.4.2 `assurance_process`.
pub static ASSURANCE_PROCESS: Table = table(
    &[
        ("policy", E(C)),
        ("procedure", E(C)),
        ("assurance_details", Shape::Array(&ASSURANCE_DETAILS)),
    ],
    &[],
);

/// Schema §5.4.2 `verification`.
pub static VERIFICATION: Table = Table {
    members: &[
        ("trust_framework", E(C)),
        ("assurance_level", E(C)),
        ("assurance_process", Shape::Object(&ASSURANCE_PROCESS)),
        ("time", E(D)),
        ("verification_process", E(S)),
        ("evidence", Shape::Evidence),
    ],
    required: &["trust_framework"],
    required_in_request: &["trust_framework"],
};

/// Tables are statics: the same table is the same place in the schema.
impl PartialEq for Table {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}
