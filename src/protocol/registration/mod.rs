//! Dynamic client registration checks (RFC 7591, RFC 7592, UK OBIE DCR
//! 3.3), sans-IO with `now` passed in:
//!
//! - [`ssa`]: the software statement (RFC 7591 §2.3) signed by a trusted
//!   directory: signature, `iss`, `iat` freshness, `exp`, `jti`;
//! - [`profile`]: the directory's registration profile (generic RFC 7591,
//!   UK OBIE DCR 3.3, Open Finance Brasil DCR 1.0, CDR Register) reads the rest of the statement into a
//!   [`statement::SoftwareStatement`] (claim names, statuses, keys) and
//!   says what wins over the request;
//! - [`request`]: the registration request, JSON or a JWS signed with a key
//!   of the software's JWKS (UK OBIE DCR 3.3 "Register a client");
//! - [`metadata`]: the requested metadata checked against the statement
//!   (RFC 7591 §2.3: statement values win) and against the FAPI policy;
//! - [`redirect_uri`] and [`fields`]: what metadata members may hold;
//! - [`id_token_encryption`]: `id_token_encrypted_response_alg` / `_enc`;
//! - [`descriptive`]: the RFC 7591 §2 members kept and returned as sent
//!   (`contacts`, `client_uri`, `logo_uri`, ...);
//! - [`update`]: an RFC 7592 §2.2 update body (the response sent back
//!   unchanged is accepted) and the grant and response types answered;
//! - [`cert_binding`]: the mTLS transport certificate names the statement's
//!   software (RFC 8705 §2.1; UK: CN/OU, Brazil: UID/organizationIdentifier);
//! - [`roles`]: the scopes the UK directory roles allow by default;
//! - [`status`]: continuous trust, a directory's software status answer
//!   and what it means for a registered client (suspend, reinstate, keep);
//! - [`revocation`]: a directory's revoked transport certificates against
//!   the one a client registered with, combined with its status.
//!
//! Reasons collapse into the RFC 7591 §3.2.2 error codes through `From`.

pub mod cert_binding;
pub mod descriptive;
pub mod fields;
pub mod id_token_encryption;
pub mod metadata;
pub mod profile;
pub mod redirect_uri;
pub mod request;
pub mod revocation;
pub mod roles;
pub mod ssa;
pub mod statement;
pub mod status;
#[cfg(test)]
mod tests;
pub mod update;

use super::error::{ErrorCode, OAuthError};
use std::borrow::Cow;

/// Why a registration (or an RFC 7592 update) was refused. Descriptions
/// name fields and rules, never values from the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationError {
    /// RFC 7591 §3.2.2 `invalid_software_statement`.
    SoftwareStatement(Cow<'static, str>),
    /// RFC 7591 §3.2.2 `unapproved_software_statement`.
    Unapproved(Cow<'static, str>),
    /// RFC 7591 §3.2.2 `invalid_redirect_uri`.
    RedirectUri(Cow<'static, str>),
    /// RFC 7591 §3.2.2 `invalid_client_metadata`.
    Metadata(Cow<'static, str>),
    /// The request itself is malformed (RFC 6749 §5.2 `invalid_request`).
    Request(Cow<'static, str>),
}

impl RegistrationError {
    /// `invalid_software_statement` with `why`.
    pub fn statement(why: impl Into<Cow<'static, str>>) -> Self {
        Self::SoftwareStatement(why.into())
    }

    /// `invalid_client_metadata` with `why`.
    pub fn metadata(why: impl Into<Cow<'static, str>>) -> Self {
        Self::Metadata(why.into())
    }
}

impl From<RegistrationError> for OAuthError {
    fn from(e: RegistrationError) -> Self {
        let (code, why) = match e {
            RegistrationError::SoftwareStatement(w) => (ErrorCode::InvalidSoftwareStatement, w),
            RegistrationError::Unapproved(w) => (ErrorCode::UnapprovedSoftwareStatement, w),
            RegistrationError::RedirectUri(w) => (ErrorCode::InvalidRedirectUri, w),
            RegistrationError::Metadata(w) => (ErrorCode::InvalidClientMetadata, w),
            RegistrationError::Request(w) => (ErrorCode::InvalidRequest, w),
        };
        OAuthError::new(code, why)
    }
}
