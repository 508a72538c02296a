//! `client_notification_token` (CIBA Core §7.1): the bearer token the OP
//! sends to a ping or push client's notification endpoint (§10.2, §10.3),
//! so the client knows the call is about its request. Required from ping
//! and push clients; at most 1024 characters with the syntax of an RFC
//! 6750 §2.1 Bearer credential (`b64token`), since it goes into an
//! `Authorization` header.

use crate::protocol::error::OAuthError;

/// CIBA Core §7.1: "MUST NOT exceed 1024 characters".
pub const MAX_NOTIFICATION_TOKEN_LEN: usize = 1024;

/// A client's notification token. Its `Debug` does not show it: it is
/// a credential of the client's endpoint.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientNotificationToken(String);

impl ClientNotificationToken {
    /// The token, for the `Authorization: Bearer` header.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The token, owned (the stored request keeps it).
    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Debug for ClientNotificationToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientNotificationToken(…)")
    }
}

/// RFC 6750 §2.1: `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~"
/// / "+" / "/" ) *"="`.
pub fn is_b64token(value: &str) -> bool {
    let body = value.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/'))
}

impl TryFrom<&str> for ClientNotificationToken {
    type Error = OAuthError;

    /// CIBA Core §7.1: `invalid_request` when too long or not a Bearer credential.
    fn try_from(value: &str) -> Result<Self, OAuthError> {
        if value.len() > MAX_NOTIFICATION_TOKEN_LEN {
            return Err(OAuthError::invalid_request(
                "client_notification_token is longer than 1024 characters (CIBA Core §7.1)",
            ));
        }
        if !is_b64token(value) {
            return Err(OAuthError::invalid_request(
                "client_notification_token must have the syntax of a Bearer token (CIBA Core §7.1, RFC 6750 §2.1)",
            ));
        }
        Ok(Self(value.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::error::ErrorCode;

    /// CIBA Core §7.1: 1024 characters are accepted, 1025 are not.
    #[test]
    fn at_most_1024_characters_ciba_core_s7_1() {
        assert!(ClientNotificationToken::try_from("a".repeat(1024).as_str()).is_ok());
        let err = ClientNotificationToken::try_from("a".repeat(1025).as_str()).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidRequest);
    }

    /// RFC 6750 §2.1 (CIBA Core §7.1): the b64token characters, `=` only at the end.
    #[test]
    fn bearer_token_syntax_rfc6750_s2_1() {
        for good in ["8d67dc78-7faa-4d41-aabd-67707b374255", "abc+/~._-", "YWJj==", "x"] {
            let token = ClientNotificationToken::try_from(good).unwrap();
            assert_eq!(token.as_str(), good);
            assert!(!format!("{token:?}").contains(good));
        }
        for bad in ["with space", "a=b", "==", "new\nline", "quote\"", "ünï"] {
            assert!(ClientNotificationToken::try_from(bad).is_err(), "{bad:?}");
        }
    }
}
