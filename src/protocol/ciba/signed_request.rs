//! Signed authentication requests (CIBA Core §7.1.1; FAPI CIBA §5.2.2):
//! the request parameters as the claims of a JWT in the `request` form
//! parameter, signed by the client.
//!
//! | rule | source | reason |
//! |---|---|---|
//! | beside `request`, only client authentication parameters | §7.1.1 | `OuterParameter` |
//! | asymmetric signature by a key of the client: PS256, ES256 or EdDSA, never `none` or HMAC | §7.1.1, RFC 8725 §3.1 | `Jws(..)` |
//! | the `alg` the client registered, when it did | §4 `backchannel_authentication_request_signing_alg` | `RegisteredAlg` |
//! | `typ`, when present, not another kind of JWT | RFC 8725 §3.11 | `Jws(TypMismatch)` |
//! | `iss` is the client_id; `client_id`, when present, too | §7.1.1 | `IssMismatch`, `ClientIdMismatch` |
//! | `aud` contains the OP's issuer | §7.1.1 | `AudienceMismatch` |
//! | `exp`, `iat`, `nbf`, `jti` present | §7.1.1 | `MissingClaim` |
//! | `exp` not passed | §7.1.1, RFC 7519 §4.1.4 | `Expired` |
//! | `nbf`, `iat` not ahead beyond the skew | RFC 7519 §4.1.5, FAPI 2.0 §5.3.2.1 | `NotYetValid`, `IssuedInTheFuture` |
//! | `exp` at most 60 minutes after `nbf` | FAPI CIBA §5.2.2 | `LifetimeTooLong` |
//! | `jti` at most 256 characters (single use is the caller's, until `exp`) | §7.1.1, RFC 7519 §4.1.7 | `InvalidClaim("jti")` |
//! | no `request` or `request_uri` inside | §7.1.1 | `Nested` |
//!
//! Every reason is `invalid_request` on the wire (CIBA Core §13 names no
//! other code for a bad request). An unknown `kid`
//! ([`JoseError::UnknownKid`]) tells the caller to refetch a `jwks_uri`
//! client's keys once.

use crate::protocol::authorization_params::AuthorizationParams;
use crate::protocol::error::OAuthError;
use crate::protocol::form::Form;
use crate::protocol::jose::claims::{self, BadClaim};
use crate::protocol::jose::{ClientJwk, JoseError, MAX_FUTURE_SKEW_SECS, MAX_JTI_LEN, verify_jws};
use fiducia_hsm::JoseAlg;

/// FAPI CIBA §5.2.2: `exp` at most 60 minutes after `nbf`.
pub const MAX_SIGNED_REQUEST_LIFETIME_SECS: u64 = 60 * 60;

/// `typ` values a signed authentication request may carry: none is
/// defined by CIBA Core, so a plain JWT or a request object's (RFC 9101
/// §10.8) type; any other names another kind of JWT (RFC 8725 §3.11).
const ACCEPTED_TYPS: [&str; 2] = ["JWT", "oauth-authz-req+jwt"];

/// Form parameters allowed beside `request`: client authentication
/// (RFC 7521 §4.2, RFC 8705 §2: `client_id`) and the request itself.
const OUTER_PARAMETERS: [&str; 4] = [
    "client_id",
    "client_assertion",
    "client_assertion_type",
    "request",
];

/// Why a signed authentication request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignedRequestReason {
    /// Signature, algorithm, key or header.
    #[error("{0}")]
    Jws(JoseError),
    /// Signed with another algorithm than the registered one.
    #[error("`alg` is not the registered backchannel_authentication_request_signing_alg (CIBA Core §4)")]
    RegisteredAlg,
    /// A required claim is absent.
    #[error("no `{0}` claim (CIBA Core §7.1.1)")]
    MissingClaim(&'static str),
    /// A claim has the wrong JSON type or an impossible value.
    #[error("invalid `{0}` claim")]
    InvalidClaim(&'static str),
    /// `iss` is not the client_id.
    #[error("`iss` is not the client_id (CIBA Core §7.1.1)")]
    IssMismatch,
    /// A `client_id` claim names another client.
    #[error("`client_id` is not the authenticated client")]
    ClientIdMismatch,
    /// `aud` does not contain the issuer.
    #[error("`aud` must contain the OP's issuer identifier (CIBA Core §7.1.1)")]
    AudienceMismatch,
    /// `exp` has passed.
    #[error("the signed request has expired")]
    Expired,
    /// `nbf` is in the future beyond the skew.
    #[error("the signed request is not yet valid (`nbf`)")]
    NotYetValid,
    /// `iat` is in the future beyond the skew.
    #[error("`iat` is in the future")]
    IssuedInTheFuture,
    /// `exp` is more than 60 minutes after `nbf`.
    #[error("`exp` is more than 60 minutes after `nbf` (FAPI CIBA §5.2.2)")]
    LifetimeTooLong,
    /// `request` or `request_uri` inside.
    #[error("a signed request must not contain `request` or `request_uri`")]
    Nested,
    /// An authentication request parameter beside the JWT.
    #[error("`{0}` must be inside the signed request, not beside it (CIBA Core §7.1.1)")]
    OuterParameter(String),
    /// The client must sign its requests and sent an unsigned one.
    #[error(
        "this client must send a signed authentication request (`request`, CIBA Core §7.1.1, FAPI CIBA §5.2.2)"
    )]
    Unsigned,
    /// Its `jti` was seen before (the caller's replay check).
    #[error("this signed request was already used (`jti`)")]
    Replayed,
}

impl From<JoseError> for SignedRequestReason {
    fn from(e: JoseError) -> Self {
        Self::Jws(e)
    }
}

impl From<BadClaim> for SignedRequestReason {
    fn from(e: BadClaim) -> Self {
        Self::InvalidClaim(e.0)
    }
}

impl From<SignedRequestReason> for OAuthError {
    fn from(reason: SignedRequestReason) -> Self {
        OAuthError::invalid_request(format!("signed authentication request: {reason}"))
    }
}

/// An accepted signed authentication request.
#[derive(Debug, Clone)]
pub struct VerifiedSignedRequest {
    /// Its claims: the request parameters, and only them (§7.1.1).
    pub params: AuthorizationParams,
    /// `jti`: the caller refuses it again until `exp`.
    pub jti: String,
    /// `exp`: how long to remember the `jti`.
    pub exp: u64,
}

/// Where a request's parameters come from.
#[derive(Debug, Clone)]
pub enum RequestSource<'a> {
    /// A signed request (`request`), to check with [`check_signed_request`].
    Signed(&'a str),
    /// The form itself.
    Unsigned(AuthorizationParams),
}

/// CIBA Core §7.1.1: a request with `request` is signed, and then nothing
/// but client authentication may travel beside it; FAPI CIBA §5.2.2 and a
/// registered `backchannel_authentication_request_signing_alg` (§4) make
/// the signed form the only one accepted (`signed_required`).
pub fn request_source(form: &Form, signed_required: bool) -> Result<RequestSource<'_>, SignedRequestReason> {
    match form.get("request") {
        Some(jwt) => {
            if let Some((name, _)) = form.iter().find(|(name, _)| !OUTER_PARAMETERS.contains(name)) {
                return Err(SignedRequestReason::OuterParameter(truncated(name)));
            }
            Ok(RequestSource::Signed(jwt))
        }
        None if signed_required => Err(SignedRequestReason::Unsigned),
        None => Ok(RequestSource::Unsigned(AuthorizationParams::from_form(form))),
    }
}

/// Checks `jwt`, a signed authentication request of the authenticated
/// `client_id` whose keys are `client_keys` and whose registered algorithm
/// (if any) is `registered_alg`, for the OP `issuer`, at `now`.
pub fn check_signed_request(
    jwt: &str,
    client_id: &str,
    client_keys: &[ClientJwk],
    registered_alg: Option<JoseAlg>,
    issuer: &str,
    now: u64,
) -> Result<VerifiedSignedRequest, SignedRequestReason> {
    let verified = verify_jws(jwt, client_keys, None)?;
    if verified.header.typ.is_some() && !ACCEPTED_TYPS.iter().any(|t| verified.header.typ_is(t)) {
        return Err(JoseError::TypMismatch.into());
    }
    if registered_alg.is_some_and(|alg| alg != verified.header.alg) {
        return Err(SignedRequestReason::RegisteredAlg);
    }
    let claims = &verified.claims;
    let required =
        |name: &'static str| claims::string(claims, name)?.ok_or(SignedRequestReason::MissingClaim(name));
    let date = |name: &'static str| {
        claims::numeric_date(claims, name)?.ok_or(SignedRequestReason::MissingClaim(name))
    };
    if required("iss")? != client_id {
        return Err(SignedRequestReason::IssMismatch);
    }
    if claims::string(claims, "client_id")?.is_some_and(|inside| inside != client_id) {
        return Err(SignedRequestReason::ClientIdMismatch);
    }
    match claims::audience(claims)? {
        None => return Err(SignedRequestReason::MissingClaim("aud")),
        Some(aud) if aud.contains(issuer) => {}
        Some(_) => return Err(SignedRequestReason::AudienceMismatch),
    }
    if claims.contains_key("request") || claims.contains_key("request_uri") {
        return Err(SignedRequestReason::Nested);
    }
    let (exp, iat, nbf) = (date("exp")?, date("iat")?, date("nbf")?);
    if exp <= now {
        return Err(SignedRequestReason::Expired);
    }
    if nbf > now.saturating_add(MAX_FUTURE_SKEW_SECS) {
        return Err(SignedRequestReason::NotYetValid);
    }
    if iat > now.saturating_add(MAX_FUTURE_SKEW_SECS) {
        return Err(SignedRequestReason::IssuedInTheFuture);
    }
    // With `exp` in the future, this also keeps `nbf` within the last hour.
    if exp.saturating_sub(nbf) > MAX_SIGNED_REQUEST_LIFETIME_SECS {
        return Err(SignedRequestReason::LifetimeTooLong);
    }
    let jti = required("jti")?;
    if jti.is_empty() || jti.len() > MAX_JTI_LEN {
        return Err(SignedRequestReason::InvalidClaim("jti"));
    }
    let jti = jti.to_owned();
    Ok(VerifiedSignedRequest {
        params: AuthorizationParams::from_request_object(verified.claims),
        jti,
        exp,
    })
}

/// A parameter name cut short for an error description.
fn truncated(name: &str) -> String {
    name.chars().take(64).filter(|c| c.is_ascii_graphic()).collect()
}

#[cfg(test)]
mod tests;
