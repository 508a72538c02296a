//! `response_type` (RFC 6749 §3.1.1, OAuth 2.0 Multiple Response Types
//! §3): `code`, or the hybrid `code id_token` of OIDC Core §3.3 that FAPI
//! 1.0 Part 2 §5.2.2-2 allows, whose ID token is a detached signature over
//! the code and the state (`c_hash`, `s_hash`). Values are space-separated
//! and their order does not matter (RFC 6749 §3.1.1).

use super::error::{ErrorCode, OAuthError};

/// The response types the OP implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseType {
    /// RFC 6749 §4.1: the authorization code alone.
    Code,
    /// OIDC Core §3.3: the code and an ID token from the authorization
    /// endpoint.
    CodeIdToken,
}

impl ResponseType {
    /// Parses `value`; anything else is `unsupported_response_type`
    /// (RFC 6749 §4.1.2.1).
    pub fn parse(value: &str) -> Result<Self, OAuthError> {
        let mut parts: Vec<&str> = value.split(' ').collect();
        parts.sort_unstable();
        match parts.as_slice() {
            ["code"] => Ok(Self::Code),
            ["code", "id_token"] => Ok(Self::CodeIdToken),
            _ => Err(OAuthError::new(
                ErrorCode::UnsupportedResponseType,
                "response_type must be `code` (or `code id_token` for a FAPI 1.0 Advanced client)",
            )),
        }
    }

    /// Its name in discovery's `response_types_supported`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::CodeIdToken => "code id_token",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_and_hybrid_in_any_order_rfc6749_s3_1_1() {
        assert_eq!(ResponseType::parse("code").unwrap(), ResponseType::Code);
        assert_eq!(
            ResponseType::parse("code id_token").unwrap(),
            ResponseType::CodeIdToken
        );
        assert_eq!(
            ResponseType::parse("id_token code").unwrap(),
            ResponseType::CodeIdToken
        );
    }

    #[test]
    fn others_are_unsupported_rfc6749_s4_1_2_1() {
        for value in [
            "token",
            "id_token",
            "code token",
            "code  id_token",
            "",
            "code id_token token",
        ] {
            let err = ResponseType::parse(value).unwrap_err();
            assert_eq!(err.code, ErrorCode::UnsupportedResponseType, "{value}");
        }
    }
}
