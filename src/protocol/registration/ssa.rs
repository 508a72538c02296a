//! The software statement assertion (SSA, RFC 7591 §2.3): a JWS signed by a
//! trusted directory, naming the software, its organisation, redirect URIs,
//! roles or scopes and keys.
//!
//! Rules (RFC 7591 §2.3, §3.1.1; UK OBIE DCR 3.3 "SSA"; FAPI 2.0 §5.4.1):
//! - the JWS verifies with a key of the directory's JWKS, PS256 or ES256
//!   only, the key pinning the algorithm (`alg: none` and HMAC never parse);
//! - `iss` is the directory's issuer;
//! - `iat` is present, not more than [`MAX_FUTURE_SKEW_SECS`] ahead and at
//!   most `max_age_secs` old; `exp`, if present, is in the future;
//! - `jti` is present (single use is the caller's, in the store);
//! - the rest (claim names, statuses) is the directory's profile's
//!   (`profile`): `software_status` / `org_status` other than `Active`
//!   are unapproved.

use super::RegistrationError;
use super::profile::{RegistrationProfile, SoftwareKeys, read_statement};
use crate::protocol::jose::claims::{self, BadClaim};
use crate::protocol::jose::{
    ClientJwk, JoseError, MAX_FUTURE_SKEW_SECS, MAX_JTI_LEN, UnverifiedJws, verify_jws,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fiducia_hsm::JoseAlg;
use serde_json::{Map, Value};

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

/// The unverified `iss` of a statement, to pick the directory whose keys
/// must verify it. The header is parsed first, so `alg: none` and other
/// refused headers fail here already (RFC 8725 §3.1).
pub fn peek_issuer(compact: &str) -> Result<String, SsaError> {
    let jws = UnverifiedJws::parse(compact).map_err(SsaError::Jose)?;
    if !matches!(jws.header().alg, JoseAlg::Ps256 | JoseAlg::Es256) {
        return Err(SsaError::Alg);
    }
    let payload = compact.split('.').nth(1).ok_or(SsaError::Claim("iss"))?;
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| SsaError::Claim("iss"))?;
    let claims: Map<String, Value> = serde_json::from_slice(&bytes).map_err(|_| SsaError::Claim("iss"))?;
    Ok(claims::string(&claims, "iss")?
        .ok_or(SsaError::Claim("iss"))?
        .to_string())
}

/// Verifies `compact` with `keys`, the JWKS of directory `issuer`, at
/// `now`, and reads it under the directory's `profile`.
pub fn verify_software_statement(
    compact: &str,
    keys: &[ClientJwk],
    issuer: &str,
    profile: RegistrationProfile,
    max_age_secs: u64,
    now: u64,
) -> Result<SoftwareStatement, SsaError> {
    if !matches!(
        UnverifiedJws::parse(compact)
            .map_err(SsaError::Jose)?
            .header()
            .alg,
        JoseAlg::Ps256 | JoseAlg::Es256
    ) {
        return Err(SsaError::Alg);
    }
    let verified = verify_jws(compact, keys, None).map_err(SsaError::Jose)?;
    let c = &verified.claims;
    if claims::string(c, "iss")? != Some(issuer) {
        return Err(SsaError::Issuer);
    }
    let issued_at = claims::numeric_date(c, "iat")?.ok_or(SsaError::Claim("iat"))?;
    if issued_at > now + MAX_FUTURE_SKEW_SECS {
        return Err(SsaError::IssuedInFuture);
    }
    if now.saturating_sub(issued_at) > max_age_secs {
        return Err(SsaError::TooOld);
    }
    let expires_at = claims::numeric_date(c, "exp")?;
    if expires_at.is_some_and(|exp| exp <= now) {
        return Err(SsaError::Expired);
    }
    let jti = required(c, "jti")?;
    if jti.len() > MAX_JTI_LEN {
        return Err(SsaError::Claim("jti"));
    }
    let common = StatementCommon {
        issuer: issuer.to_string(),
        issued_at,
        expires_at,
        jti,
    };
    read_statement(profile, c, common)
}

/// A required non-empty string claim.
pub(super) fn required(c: &Map<String, Value>, name: &'static str) -> Result<String, SsaError> {
    match claims::string(c, name)? {
        Some(v) if !v.is_empty() => Ok(v.to_string()),
        _ => Err(SsaError::Claim(name)),
    }
}

/// An optional string claim.
pub(super) fn optional(c: &Map<String, Value>, name: &'static str) -> Result<Option<String>, SsaError> {
    Ok(claims::string(c, name)?.map(str::to_string))
}

/// A non-empty array of strings.
pub(super) fn string_array(c: &Map<String, Value>, name: &'static str) -> Result<Vec<String>, SsaError> {
    let items = c
        .get(name)
        .and_then(Value::as_array)
        .ok_or(SsaError::Claim(name))?;
    let strings: Option<Vec<String>> = items.iter().map(|v| v.as_str().map(str::to_string)).collect();
    strings.filter(|s| !s.is_empty()).ok_or(SsaError::Claim(name))
}
