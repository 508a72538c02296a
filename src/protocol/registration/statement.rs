//! A verified software statement as a registration profile reads it
//! (`profile`), and why a statement is refused: shared by the
//! verification (`ssa`) and the profiles, below both.

use super::RegistrationError;
use crate::protocol::jose::JoseError;
use crate::protocol::jose::claims::{self, BadClaim};
use serde_json::{Map, Value};

/// Where the software's signature keys are (RFC 7591 §2 `jwks_uri` /
/// `jwks`): they verify a signed registration request, client assertions
/// and request objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SoftwareKeys {
    /// An https URL serving the JWKS.
    Uri(String),
    /// The JWKS by value, as JSON text (validated: at least one usable
    /// signature key, no private members).
    Jwks(String),
}

/// What every profile checks the same way: the directory's signature,
/// `iss`, `iat`, `exp`, `jti`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementCommon {
    /// The directory (`iss`).
    pub issuer: String,
    /// `iat`.
    pub issued_at: u64,
    /// `exp`, when given.
    pub expires_at: Option<u64>,
    /// `jti`.
    pub jti: String,
}

/// A verified software statement, read by its directory's profile
/// (`profile`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoftwareStatement {
    /// `iss`, `iat`, `exp`, `jti`.
    pub common: StatementCommon,
    /// `software_id`.
    pub software_id: String,
    /// `org_id` (empty when the profile allows none and none was given).
    pub org_id: String,
    /// `org_name`, when given.
    pub org_name: Option<String>,
    /// The client's name, when the statement gives one.
    pub client_name: Option<String>,
    /// The redirect URIs a registration may hold; `None`: the statement
    /// does not bound them.
    pub redirect_uris: Option<Vec<String>>,
    /// The software's roles (UK `software_roles`), possibly none.
    pub roles: Vec<String>,
    /// The scopes the statement allows (generic `scope`); `None`: the
    /// roles decide.
    pub scopes: Option<Vec<String>>,
    /// The software's keys, when the statement names them.
    pub keys: Option<SoftwareKeys>,
    /// Client metadata members of the statement that replace the
    /// request's (RFC 7591 §2.3).
    pub metadata: Map<String, Value>,
}

/// Why a statement did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SsaError {
    /// Signature, header or key selection.
    #[error("software statement signature: {0}")]
    Jose(JoseError),
    /// Only PS256 and ES256 are accepted from directories.
    #[error("software statements must be signed with PS256 or ES256")]
    Alg,
    /// A claim is missing or of the wrong type.
    #[error("software statement claim `{0}` is missing or malformed")]
    Claim(&'static str),
    /// `iss` is not the directory whose keys verified it.
    #[error("software statement `iss` is not the directory that signed it")]
    Issuer,
    /// `iat` too far in the future.
    #[error("software statement `iat` is in the future")]
    IssuedInFuture,
    /// `iat` older than the freshness window.
    #[error("software statement is too old (`iat` outside the freshness window)")]
    TooOld,
    /// `exp` passed.
    #[error("software statement has expired")]
    Expired,
    /// `software_status` or `org_status` not `Active`.
    #[error("software statement `{0}` is not Active")]
    NotActive(&'static str),
}

impl SsaError {
    /// The statement names a `kid` the cached directory keys lack: fetch
    /// them again once before giving up.
    pub fn is_unknown_kid(&self) -> bool {
        matches!(self, SsaError::Jose(JoseError::UnknownKid))
    }
}

impl From<BadClaim> for SsaError {
    fn from(e: BadClaim) -> Self {
        SsaError::Claim(e.0)
    }
}

impl From<SsaError> for RegistrationError {
    fn from(e: SsaError) -> Self {
        match e {
            SsaError::NotActive(_) => RegistrationError::Unapproved(e.to_string().into()),
            _ => RegistrationError::statement(e.to_string()),
        }
    }
}

/// A required non-empty string claim.
pub fn required(c: &Map<String, Value>, name: &'static str) -> Result<String, SsaError> {
    match claims::string(c, name)? {
        Some(v) if !v.is_empty() => Ok(v.to_string()),
        _ => Err(SsaError::Claim(name)),
    }
}

/// An optional string claim.
pub fn optional(c: &Map<String, Value>, name: &'static str) -> Result<Option<String>, SsaError> {
    Ok(claims::string(c, name)?.map(str::to_string))
}

/// A non-empty array of strings.
pub fn string_array(c: &Map<String, Value>, name: &'static str) -> Result<Vec<String>, SsaError> {
    let items = c
        .get(name)
        .and_then(Value::as_array)
        .ok_or(SsaError::Claim(name))?;
    let strings: Option<Vec<String>> = items.iter().map(|v| v.as_str().map(str::to_string)).collect();
    strings.filter(|s| !s.is_empty()).ok_or(SsaError::Claim(name))
}
