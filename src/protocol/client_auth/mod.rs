//! Client authentication checks for the FAPI 2.0 methods (FAPI 2.0
//! §5.3.2.1 item 6): `private_key_jwt` ([`check_client_assertion`]),
//! `tls_client_auth` ([`check_tls_client_auth`], [`subject_dn_matches`]) and
//! `self_signed_tls_client_auth` ([`check_self_signed_tls_client_auth`]);
//! which client a request claims to be ([`claimed_client_id`]: `client_id`,
//! or the assertion's `sub`, RFC 7521 §4.2).
//!
//! Sans-IO: the caller brings the client's registration (keys, registered
//! subject), the TLS client certificate, `now`, and keeps the `jti` replay
//! window. Every failure is a [`ClientAuthReason`] for logs and metrics and
//! `invalid_client` on the wire (RFC 6749 §5.2; RFC 7521 §4.2.1; RFC 8705 §2).
//! A [`ClientAuthReason::Jws`] with [`JoseError::UnknownKid`] tells the caller
//! to refetch the client's `jwks_uri` once and retry.

mod assertion;
mod dn;
mod identify;
mod method;
mod self_signed;
mod tls;

#[cfg(test)]
mod tests;

pub use assertion::{
    AssertionClaims, AudiencePolicy, ClientAssertion, JWT_BEARER_ASSERTION_TYPE, check_client_assertion,
};
pub use dn::{DistinguishedName, DnError, subject_dn_matches};
pub use identify::claimed_client_id;
pub use method::TokenEndpointAuthMethod;
pub use self_signed::{SelfSignedMatch, check_self_signed_tls_client_auth};
pub use tls::{TlsClientAuthSubject, TlsSubjectError, check_tls_client_auth};

use super::error::{ErrorCode, OAuthError};
use super::jose::JoseError;
use super::jose::claims::BadClaim;

/// Why a client failed to authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ClientAuthReason {
    /// `client_assertion_type` is not jwt-bearer (RFC 7523 §2.2).
    #[error("unsupported client_assertion_type")]
    AssertionType,
    /// The assertion's JWS (signature, algorithm, key, header; RFC 7523 §3 item 9).
    #[error("client assertion: {0}")]
    Jws(JoseError),
    /// A required claim is absent (RFC 7523 §3).
    #[error("client assertion has no `{0}` claim")]
    MissingClaim(&'static str),
    /// A claim has the wrong JSON type or an impossible value.
    #[error("client assertion has an invalid `{0}` claim")]
    InvalidClaim(&'static str),
    /// Neither `client_id` nor a `client_assertion` names the client
    /// (RFC 6749 §2.3, RFC 7521 §4.2).
    #[error("client_id is required without a client_assertion (RFC 7521 §4.2)")]
    MissingClientId,
    /// `client_id` names another client than the assertion (RFC 7521 §4.2).
    #[error("client_id is not the client the client_assertion identifies (RFC 7521 §4.2)")]
    ClientIdMismatch,
    /// `iss` is not the client_id (RFC 7523 §3 item 1).
    #[error("client assertion `iss` is not the client_id")]
    IssMismatch,
    /// `sub` is not the client_id (RFC 7523 §3 item 2.B).
    #[error("client assertion `sub` is not the client_id")]
    SubMismatch,
    /// `aud` does not identify this server (RFC 7523 §3 item 3).
    #[error("client assertion `aud` does not identify this server")]
    AudienceNotAccepted,
    /// `aud` is an array holding the issuer, where FAPI 2.0 §5.3.2.1 item 8
    /// accepts the issuer only as a string.
    #[error("client assertion `aud` must be the issuer as a string, not an array (FAPI 2.0 §5.3.2.1)")]
    AudienceNotString,
    /// `exp` has passed (RFC 7523 §3 item 4).
    #[error("client assertion has expired")]
    Expired,
    /// `nbf` is too far in the future (RFC 7523 §3 item 5, FAPI 2.0 §5.3.2.1 item 13).
    #[error("client assertion is not yet valid")]
    NotYetValid,
    /// `iat` is too far in the future (RFC 7523 §3 item 6, FAPI 2.0 §5.3.2.1 item 13).
    #[error("client assertion `iat` is in the future")]
    IssuedInFuture,
    /// `exp` is further from `iat` (or now) than allowed (RFC 7523 §3 item 6).
    #[error("client assertion lifetime is too long")]
    LifetimeTooLong,
    /// No client certificate with a mutual-TLS method (RFC 8705 §2).
    #[error("no client certificate")]
    NoClientCertificate,
    /// The client certificate cannot be parsed.
    #[error("unreadable client certificate")]
    CertificateUnreadable,
    /// The certificate does not carry the registered subject DN or SAN (RFC 8705 §2.1).
    #[error("client certificate does not match the registered subject")]
    SubjectMismatch,
    /// The certificate is not one of the client's registered ones (RFC 8705 §2.2).
    #[error("client certificate is not registered for this client")]
    CertificateNotRegistered,
}

impl From<JoseError> for ClientAuthReason {
    fn from(e: JoseError) -> Self {
        ClientAuthReason::Jws(e)
    }
}

impl From<BadClaim> for ClientAuthReason {
    fn from(BadClaim(name): BadClaim) -> Self {
        ClientAuthReason::InvalidClaim(name)
    }
}

/// Always `invalid_client` (RFC 6749 §5.2).
impl From<ClientAuthReason> for OAuthError {
    fn from(reason: ClientAuthReason) -> Self {
        OAuthError::new(ErrorCode::InvalidClient, reason.to_string())
    }
}
