//! The stored form of a customer's verified claim sets: the JSON text of an
//! array of sets, exactly the specification's shape (Schema §5.2), written
//! by [`to_stored`] after [`super::validate::verified_claims`] accepted it
//! and read back by [`from_stored`]. JSON rather than the store's bincode
//! because the shape is the specification's own (optional members,
//! evidence tagged by `type`, open claim values), it goes on the wire as
//! JSON, and the specification versions it; a record envelope holds the
//! text as a string member.

use super::record::VerifiedClaims;
use super::validate::{FieldError, RecordError, join};

/// The stored form of `sets`.
pub fn to_stored(sets: &[VerifiedClaims]) -> String {
    // Serialising these types cannot fail: every map key is a string and
    // every value is a plain struct, string or `serde_json::Value`.
    serde_json::to_string(sets).unwrap_or_else(|_| "[]".to_string())
}

/// Reads the stored form back. It was checked on import, so only its
/// shape is checked again here (a record written by a newer schema, say).
pub fn from_stored(text: &str) -> Result<Vec<VerifiedClaims>, RecordError> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        RecordError(vec![FieldError {
            path: join("verified_claims", &e.path().to_string()),
            problem: e.into_inner().to_string(),
        }])
    })
}
