//! `private_key_jwt` (OIDC Core §9; RFC 7523 §2.2, §3; RFC 7521 §4.2, §5.2;
//! FAPI 2.0 §5.3.2.1).
//!
//! | rule | source | reason |
//! |---|---|---|
//! | `client_assertion_type` is jwt-bearer | RFC 7523 §2.2 | `AssertionType` |
//! | signed by a registered key, PS256/ES256/EdDSA | RFC 7523 §3 item 9, FAPI 2.0 §5.4.1 | `Jws(..)` |
//! | `typ` absent, `JWT` or `client-authentication+jwt` | RFC 8725 §3.11 | `Jws(TypMismatch)` |
//! | `iss` = `sub` = `client_id` | RFC 7523 §3 items 1, 2.B | `IssMismatch`, `SubMismatch` |
//! | `aud` identifies us | RFC 7523 §3 item 3, FAPI 2.0 §5.3.2.1 item 8 | `AudienceNotAccepted`, `AudienceNotString` |
//! | `exp` present and not passed | RFC 7523 §3 item 4 | `Expired` |
//! | `nbf`, `iat` at most 10 s ahead | RFC 7523 §3 items 5, 6; FAPI 2.0 §5.3.2.1 item 13 | `NotYetValid`, `IssuedInFuture` |
//! | lifetime bounded | RFC 7523 §3 item 6 ("unreasonably far in the past") | `LifetimeTooLong` |
//! | `jti` present | OIDC Core §9, RFC 7523 §3 item 7 | `MissingClaim("jti")` |
//!
//! Single use of `jti` is the caller's (the client's replay window), with the
//! returned `jti` and `exp`.

use super::ClientAuthReason;
use crate::protocol::jose::claims::{self, Audience};
use crate::protocol::jose::{ClientJwk, JoseError, MAX_FUTURE_SKEW_SECS, MAX_JTI_LEN, verify_jws};

/// `client_assertion_type` for JWT client assertions (RFC 7523 §2.2).
pub const JWT_BEARER_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// `typ` values an assertion may carry besides none: the generic `JWT`
/// (RFC 7519 §5.1) and the explicit type of draft-ietf-oauth-rfc7523bis. A
/// DPoP proof or request object (other `typ`) is never a client assertion.
const ASSERTION_TYPS: [&str; 2] = ["JWT", "client-authentication+jwt"];

/// A `client_assertion` whose `client_assertion_type` was jwt-bearer.
#[derive(Debug, Clone, Copy)]
pub struct ClientAssertion<'a> {
    jwt: &'a str,
}

impl<'a> ClientAssertion<'a> {
    /// RFC 7521 §4.2: the two form parameters, the type checked.
    pub fn parse(client_assertion_type: &str, client_assertion: &'a str) -> Result<Self, ClientAuthReason> {
        if client_assertion_type != JWT_BEARER_ASSERTION_TYPE {
            return Err(ClientAuthReason::AssertionType);
        }
        Ok(ClientAssertion {
            jwt: client_assertion,
        })
    }
}

/// Which `aud` values identify this server.
#[derive(Debug, Clone, Copy)]
pub enum AudiencePolicy<'a> {
    /// FAPI 2.0 §5.3.2.1 item 8: "shall only accept its issuer identifier
    /// value ... as a string in the `aud` claim". Closes the audience
    /// injection attack that led to draft-ietf-oauth-rfc7523bis; the FAPI 2.0
    /// profile must use this.
    IssuerOnly(&'a str),
    /// RFC 7523 §3 item 3 with RFC 9126 §2 and OIDC Core §9: any of these
    /// (the issuer, the token endpoint URL, the URL the assertion was sent
    /// to), as a string or inside an array. For FAPI 1.0 ecosystems.
    AnyOf(&'a [&'a str]),
}

/// What the caller needs from an accepted assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssertionClaims {
    /// `jti`: refuse it again until `exp` (RFC 7523 §3 item 7).
    pub jti: String,
    /// `exp`: how long to remember the `jti`.
    pub exp: u64,
    /// The client's key that signed it.
    pub key: ClientJwk,
}

/// Checks a `private_key_jwt` client assertion.
///
/// `max_lifetime_secs` bounds `exp - iat` (or `exp - now` without `iat`),
/// e.g. 60 to 300, so that a `jti` needs remembering only that long.
pub fn check_client_assertion(
    assertion: ClientAssertion<'_>,
    client_id: &str,
    client_keys: &[ClientJwk],
    audience: AudiencePolicy<'_>,
    now: u64,
    max_lifetime_secs: u64,
) -> Result<AssertionClaims, ClientAuthReason> {
    let verified = verify_jws(assertion.jwt, client_keys, None)?;
    if verified.header.typ.is_some() && !ASSERTION_TYPS.iter().any(|t| verified.header.typ_is(t)) {
        return Err(JoseError::TypMismatch.into());
    }
    let claims = &verified.claims;
    let required =
        |name: &'static str| claims::string(claims, name)?.ok_or(ClientAuthReason::MissingClaim(name));
    if required("iss")? != client_id {
        return Err(ClientAuthReason::IssMismatch);
    }
    if required("sub")? != client_id {
        return Err(ClientAuthReason::SubMismatch);
    }
    check_audience(claims::audience(claims)?, audience)?;

    let exp = claims::numeric_date(claims, "exp")?.ok_or(ClientAuthReason::MissingClaim("exp"))?;
    if exp <= now {
        return Err(ClientAuthReason::Expired);
    }
    let latest = now.saturating_add(MAX_FUTURE_SKEW_SECS);
    if claims::numeric_date(claims, "nbf")?.is_some_and(|nbf| nbf > latest) {
        return Err(ClientAuthReason::NotYetValid);
    }
    let iat = claims::numeric_date(claims, "iat")?;
    if iat.is_some_and(|iat| iat > latest) {
        return Err(ClientAuthReason::IssuedInFuture);
    }
    let issued = iat.map_or(now, |iat| iat.min(now));
    if exp - issued > max_lifetime_secs {
        return Err(ClientAuthReason::LifetimeTooLong);
    }

    let jti = required("jti")?;
    if jti.is_empty() || jti.len() > MAX_JTI_LEN {
        return Err(ClientAuthReason::InvalidClaim("jti"));
    }
    Ok(AssertionClaims {
        jti: jti.to_owned(),
        exp,
        key: verified.key,
    })
}

fn check_audience(aud: Option<Audience<'_>>, policy: AudiencePolicy<'_>) -> Result<(), ClientAuthReason> {
    let aud = aud.ok_or(ClientAuthReason::MissingClaim("aud"))?;
    let accepted = match policy {
        AudiencePolicy::IssuerOnly(issuer) => match aud {
            Audience::Single(value) => value == issuer,
            Audience::Multiple(ref values) if values.contains(&issuer) => {
                return Err(ClientAuthReason::AudienceNotString);
            }
            Audience::Multiple(_) => false,
        },
        AudiencePolicy::AnyOf(accepted) => accepted.iter().any(|ours| aud.contains(ours)),
    };
    if accepted {
        Ok(())
    } else {
        Err(ClientAuthReason::AudienceNotAccepted)
    }
}
