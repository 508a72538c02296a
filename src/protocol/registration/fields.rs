//! Typed reads of client metadata members (RFC 7591 §2): a member of the
//! wrong JSON type is `invalid_client_metadata`, never ignored.

use super::RegistrationError;
use fiducia_hsm::JoseAlg;
use serde_json::{Map, Value};

pub fn strings(
    request: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<Vec<String>>, RegistrationError> {
    match request.get(name) {
        None => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(|| RegistrationError::metadata(format!("{name} must be an array of strings"))),
        Some(_) => Err(RegistrationError::metadata(format!(
            "{name} must be an array of strings"
        ))),
    }
}

pub fn boolean(request: &Map<String, Value>, name: &'static str) -> Result<Option<bool>, RegistrationError> {
    match request.get(name) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(RegistrationError::metadata(format!("{name} must be a boolean"))),
    }
}

/// An algorithm among PS256, ES256, EdDSA (FAPI 2.0 §5.4.1).
pub fn alg(request: &Map<String, Value>, name: &'static str) -> Result<Option<JoseAlg>, RegistrationError> {
    request
        .get(name)
        .map(|v| {
            serde_json::from_value(v.clone()).map_err(|_| {
                RegistrationError::metadata(format!("{name} must be PS256, ES256 or EdDSA (FAPI 2.0 §5.4.1)"))
            })
        })
        .transpose()
}

/// An algorithm the OP signs with: its one signing key's, `signing_alg`.
pub fn own_alg(
    request: &Map<String, Value>,
    name: &'static str,
    signing_alg: JoseAlg,
) -> Result<JoseAlg, RegistrationError> {
    match alg(request, name)? {
        None => Ok(signing_alg),
        Some(a) if a == signing_alg => Ok(a),
        Some(_) => Err(RegistrationError::metadata(format!(
            "{name} must be {signing_alg}, the OP's signing algorithm"
        ))),
    }
}
