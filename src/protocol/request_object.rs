//! Signed request objects at PAR (RFC 9101 "JAR"; RFC 9126 §3; FAPI 2.0
//! Message Signing §5.3.1; FAPI 1.0 Advanced §5.2.2).
//!
//! | rule | source | reason |
//! |---|---|---|
//! | signed by a key of the client's JWKS, PS256/ES256/EdDSA, never `none` | RFC 9101 §6.2, RFC 8725 §3.1, FAPI 2.0 §5.4.1 | `Jws(..)` |
//! | `typ`, when present, is `oauth-authz-req+jwt` | RFC 9101 §10.8, RFC 8725 §3.11 | `Jws(TypMismatch)` |
//! | `iss` is the client_id | RFC 9101 §6.2 (RFC 7519 §4.1.1) | `IssMismatch` |
//! | `aud` is the issuer (a string, or an array holding it) | RFC 9101 §6.2, FAPI 2.0 MS §5.3.1, FAPI 1.0 Adv §5.2.2-15 | `AudienceMismatch` |
//! | `client_id` inside equals the authenticated client | RFC 9101 §5, FAPI 2.0 MS §5.3.1 | `ClientIdMismatch` |
//! | `exp` present, not passed, at most 60 min after `nbf` | FAPI 2.0 MS §5.3.1, FAPI 1.0 Adv §5.2.2-13 | `Expired`, `LifetimeTooLong` |
//! | `nbf` present, not ahead (10 s skew), at most 60 min old | FAPI 2.0 MS §5.3.1, FAPI 1.0 Adv §5.2.2-17 | `NotYetValid`, `NbfTooOld` |
//! | `jti` present (single use is the caller's, in the replay store) | RFC 7519 §4.1.7 | `MissingClaim("jti")`, `Replayed` |
//! | no `request` or `request_uri` inside | RFC 9101 §4 | `Nested` |
//! | a parameter also sent beside it has the same value | RFC 9101 §6.3 | `OuterParameterMismatch` |
//! | PS256 or ES256 for a FAPI 1.0 Advanced client (checked by the caller) | FAPI 1.0 Part 2 §8.6 | `ProfileAlg` |
//!
//! Every reason is `invalid_request_object` on the wire (RFC 9101 §7). An
//! unknown `kid` ([`JoseError::UnknownKid`]) tells the caller to refetch a
//! `jwks_uri` client's keys once, as for client assertions.

use super::authorization_params::AuthorizationParams;
use super::error::{ErrorCode, OAuthError};
use super::form::Form;
use super::jose::claims::{self, BadClaim};
use super::jose::{ClientJwk, JoseError, MAX_FUTURE_SKEW_SECS, MAX_JTI_LEN, verify_jws};

/// RFC 9101 §10.8: the media type of a request object (`typ` header).
pub const REQUEST_OBJECT_TYP: &str = "oauth-authz-req+jwt";

/// FAPI 2.0 Message Signing §5.3.1: `exp` at most 60 minutes after `nbf`.
pub const MAX_LIFETIME_SECS: u64 = 60 * 60;

/// FAPI 2.0 Message Signing §5.3.1: `nbf` at most 60 minutes in the past.
pub const MAX_NBF_AGE_SECS: u64 = 60 * 60;

/// Why a request object was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestObjectReason {
    /// Signature, algorithm, key or header (RFC 9101 §6.2).
    #[error("{0}")]
    Jws(JoseError),
    /// A required claim is absent.
    #[error("no `{0}` claim")]
    MissingClaim(&'static str),
    /// A claim has the wrong JSON type or an impossible value.
    #[error("invalid `{0}` claim")]
    InvalidClaim(&'static str),
    /// `iss` is not the client_id.
    #[error("`iss` is not the client_id (RFC 9101 §6.2)")]
    IssMismatch,
    /// `aud` does not name the issuer.
    #[error("`aud` must be the issuer identifier (FAPI 2.0 Message Signing §5.3.1)")]
    AudienceMismatch,
    /// The `client_id` inside differs from the authenticated client's.
    #[error("`client_id` differs from the client_id of the request (RFC 9101 §5)")]
    ClientIdMismatch,
    /// `exp` has passed.
    #[error("the request object has expired")]
    Expired,
    /// `nbf` is in the future (beyond the allowed skew).
    #[error("the request object is not yet valid (`nbf`)")]
    NotYetValid,
    /// `nbf` is more than 60 minutes in the past.
    #[error("`nbf` is more than 60 minutes in the past (FAPI 2.0 Message Signing §5.3.1)")]
    NbfTooOld,
    /// `exp` is more than 60 minutes after `nbf`.
    #[error("`exp` is more than 60 minutes after `nbf` (FAPI 2.0 Message Signing §5.3.1)")]
    LifetimeTooLong,
    /// `request` or `request_uri` inside the object.
    #[error("a request object must not contain `request` or `request_uri` (RFC 9101 §4)")]
    Nested,
    /// Its `jti` was seen before (single use, kept until `exp`).
    #[error("this request object was already used (`jti`)")]
    Replayed,
    /// A parameter sent beside the object with another value than inside it.
    #[error("`{0}` beside the request object differs from its value inside (RFC 9101 §6.3)")]
    OuterParameterMismatch(String),
    /// Signed with another algorithm than the client registered as its
    /// `request_object_signing_alg` (OIDC Registration §2).
    #[error("`alg` is not the registered request_object_signing_alg (OIDC Registration §2)")]
    RegisteredAlg,
    /// Signed with an algorithm the client's FAPI profile forbids (FAPI 1.0
    /// Part 2 §8.6: PS256 or ES256 only).
    #[error("`alg` is not allowed for this client's FAPI profile: use PS256 or ES256 (FAPI 1.0 Part 2 §8.6)")]
    ProfileAlg,
}

impl From<JoseError> for RequestObjectReason {
    fn from(e: JoseError) -> Self {
        Self::Jws(e)
    }
}

impl From<BadClaim> for RequestObjectReason {
    fn from(e: BadClaim) -> Self {
        Self::InvalidClaim(e.0)
    }
}

impl From<RequestObjectReason> for OAuthError {
    fn from(reason: RequestObjectReason) -> Self {
        OAuthError::new(
            ErrorCode::InvalidRequestObject,
            format!("request object: {reason}"),
        )
    }
}

/// An accepted request object.
#[derive(Debug, Clone)]
pub struct VerifiedRequestObject {
    /// Its members: the authorization parameters (RFC 9101 §6.3).
    pub params: AuthorizationParams,
    /// `jti`: refuse it again until `exp`.
    pub jti: String,
    /// `exp`: how long to remember the `jti`.
    pub exp: u64,
}

/// Checks `jwt`, a request object sent by the authenticated `client_id`
/// whose registered keys are `client_keys`, at `now`.
pub fn check_request_object(
    jwt: &str,
    client_id: &str,
    client_keys: &[ClientJwk],
    issuer: &str,
    now: u64,
) -> Result<VerifiedRequestObject, RequestObjectReason> {
    let verified = verify_jws(jwt, client_keys, None)?;
    // RFC 9101 §10.8: explicit typing, so no other JWT passes for a request object.
    if verified.header.typ.is_some() && !verified.header.typ_is(REQUEST_OBJECT_TYP) {
        return Err(JoseError::TypMismatch.into());
    }
    let claims = &verified.claims;
    let required =
        |name: &'static str| claims::string(claims, name)?.ok_or(RequestObjectReason::MissingClaim(name));
    if required("iss")? != client_id {
        return Err(RequestObjectReason::IssMismatch);
    }
    match claims::audience(claims)? {
        None => return Err(RequestObjectReason::MissingClaim("aud")),
        Some(aud) if aud.contains(issuer) => {}
        Some(_) => return Err(RequestObjectReason::AudienceMismatch),
    }
    if required("client_id")? != client_id {
        return Err(RequestObjectReason::ClientIdMismatch);
    }
    if claims.contains_key("request") || claims.contains_key("request_uri") {
        return Err(RequestObjectReason::Nested);
    }

    let exp = claims::numeric_date(claims, "exp")?.ok_or(RequestObjectReason::MissingClaim("exp"))?;
    let nbf = claims::numeric_date(claims, "nbf")?.ok_or(RequestObjectReason::MissingClaim("nbf"))?;
    if exp <= now {
        return Err(RequestObjectReason::Expired);
    }
    if nbf > now.saturating_add(MAX_FUTURE_SKEW_SECS) {
        return Err(RequestObjectReason::NotYetValid);
    }
    if now.saturating_sub(nbf) > MAX_NBF_AGE_SECS {
        return Err(RequestObjectReason::NbfTooOld);
    }
    if exp.saturating_sub(nbf) > MAX_LIFETIME_SECS {
        return Err(RequestObjectReason::LifetimeTooLong);
    }
    let jti = required("jti")?;
    if jti.is_empty() || jti.len() > MAX_JTI_LEN {
        return Err(RequestObjectReason::InvalidClaim("jti"));
    }
    let jti = jti.to_owned();
    Ok(VerifiedRequestObject {
        params: AuthorizationParams::from_request_object(verified.claims),
        jti,
        exp,
    })
}

/// Form parameters that travel beside a request object at PAR: client
/// authentication (RFC 9126 §2.1) and the object itself.
const OUTER_PARAMETERS: [&str; 4] = [
    "client_id",
    "client_assertion",
    "client_assertion_type",
    "request",
];

/// RFC 9101 §6.3: only the object's parameters are used; one sent beside it
/// as well must carry the same value, so that a client (or whoever altered
/// its request) cannot believe another value was used. Parameters only
/// beside the object are ignored.
pub fn check_outer_parameters(form: &Form, object: &AuthorizationParams) -> Result<(), RequestObjectReason> {
    for (name, value) in form.iter() {
        if OUTER_PARAMETERS.contains(&name) {
            continue;
        }
        if object.get(name).is_some_and(|inside| inside != value) {
            return Err(RequestObjectReason::OuterParameterMismatch(name.to_string()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
