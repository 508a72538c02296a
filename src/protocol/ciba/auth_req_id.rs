//! The `auth_req_id` (CIBA Core §7.3): the client's handle on its request,
//! a bearer secret for the token endpoint (§10.1). It "MUST contain
//! sufficient entropy (a minimum of 128-bits while 160-bits is
//! recommended)"; the OP's are 256 random bits, base64url (as its other
//! secrets), and the store keeps only their SHA-256 (the record kind
//! `ciba_request` is keyed by hash). The format check here lets the token
//! endpoint refuse anything that cannot be one before touching the store.

use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::form::Form;

/// CIBA Core §7.3: at least 128 bits; 22 base64url characters carry 132.
pub const MIN_AUTH_REQ_ID_LEN: usize = 22;

/// Longest `auth_req_id` read (the OP issues 43 characters).
pub const MAX_AUTH_REQ_ID_LEN: usize = 128;

/// An `auth_req_id` of a plausible format (not yet looked up).
#[derive(Clone, PartialEq, Eq)]
pub struct AuthReqId(String);

impl AuthReqId {
    /// The id, for the store lookup (which hashes it).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// CIBA Core §10.1: the `auth_req_id` of a token request; missing is
    /// `invalid_request`, malformed is `invalid_grant` (RFC 6749 §5.2: no
    /// such grant).
    pub fn from_token_form(form: &Form) -> Result<Self, OAuthError> {
        Self::try_from(form.require("auth_req_id")?)
    }
}

impl std::fmt::Debug for AuthReqId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthReqId(…)")
    }
}

/// Whether `id` has the length and alphabet (base64url, RFC 4648 §5) of an
/// `auth_req_id` with at least 128 bits.
pub fn is_well_formed(id: &str) -> bool {
    (MIN_AUTH_REQ_ID_LEN..=MAX_AUTH_REQ_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl TryFrom<&str> for AuthReqId {
    type Error = OAuthError;

    fn try_from(id: &str) -> Result<Self, OAuthError> {
        if is_well_formed(id) {
            Ok(Self(id.to_string()))
        } else {
            Err(OAuthError::new(ErrorCode::InvalidGrant, "unknown auth_req_id"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CIBA Core §7.3: 128 bits at least; the OP's 256-bit secrets pass.
    #[test]
    fn at_least_128_bits_of_base64url_ciba_core_s7_3() {
        let issued = "q0s8VQ9b3oJm6b8u1m3tq0s8VQ9b3oJm6b8u1m3tq0s"; // 43 characters: 256 bits
        assert!(is_well_formed(issued));
        assert!(is_well_formed(&"A".repeat(22)));
        assert!(!is_well_formed(&"A".repeat(21)));
        assert!(is_well_formed(&"A".repeat(128)));
        assert!(!is_well_formed(&"A".repeat(129)));
        for bad in [
            "abc+def/ghi=jklmnopqrstu",
            "has space in the middle",
            "ümlaut-ümlaut-ümlaut-ü",
        ] {
            assert!(!is_well_formed(bad), "{bad}");
        }
    }

    /// CIBA Core §10.1, RFC 6749 §5.2: missing is `invalid_request`,
    /// malformed `invalid_grant`; the id never shows in `Debug`.
    #[test]
    fn the_token_request_parameter_ciba_core_s10_1() {
        let missing = Form::parse(b"grant_type=urn%3Aopenid%3Aparams%3Agrant-type%3Aciba").unwrap();
        assert_eq!(
            AuthReqId::from_token_form(&missing).unwrap_err().code,
            ErrorCode::InvalidRequest
        );
        let short = Form::parse(b"auth_req_id=abc").unwrap();
        assert_eq!(
            AuthReqId::from_token_form(&short).unwrap_err().code,
            ErrorCode::InvalidGrant
        );
        let id = "x".repeat(43);
        let good = Form::parse(format!("auth_req_id={id}").as_bytes()).unwrap();
        let parsed = AuthReqId::from_token_form(&good).unwrap();
        assert_eq!(parsed.as_str(), id);
        assert!(!format!("{parsed:?}").contains(&id));
    }
}
