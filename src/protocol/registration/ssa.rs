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

use super::profile::{RegistrationProfile, read_statement};
use super::statement::required;
pub use super::statement::{SoftwareStatement, SsaError, StatementCommon};
use crate::protocol::jose::claims;
use crate::protocol::jose::{ClientJwk, MAX_FUTURE_SKEW_SECS, MAX_JTI_LEN, UnverifiedJws, verify_jws};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fiducia_hsm::JoseAlg;
use serde_json::{Map, Value};

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
