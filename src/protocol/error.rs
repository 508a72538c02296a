//! The error table (STYLE.md §5): every error the OP puts on the wire, with
//! its HTTP status and whether it may be sent to a redirect URI. Fine-grained
//! reasons elsewhere collapse into these codes through `From`; only
//! `http::response` turns a code into an HTTP response.

use std::borrow::Cow;

/// An error code on the wire. Most are OAuth 2.0 / OIDC codes; a few
/// (`not_found`, `method_not_allowed`, `request_too_large`, ...) answer
/// requests that never reached an OAuth endpoint, in the same JSON shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// RFC 6749 §5.2 / §4.1.2.1.
    InvalidRequest,
    /// RFC 6749 §5.2.
    InvalidClient,
    /// RFC 6749 §5.2.
    InvalidGrant,
    /// RFC 6749 §5.2.
    UnauthorizedClient,
    /// RFC 6749 §5.2.
    UnsupportedGrantType,
    /// RFC 6749 §5.2.
    InvalidScope,
    /// RFC 6749 §4.1.2.1.
    AccessDenied,
    /// RFC 6749 §4.1.2.1: only `code` (FAPI 2.0 §5.3.2.2).
    UnsupportedResponseType,
    /// RFC 6750 §3.1.
    InsufficientScope,
    /// RFC 6749 §4.1.2.1.
    ServerError,
    /// RFC 6749 §4.1.2.1; also our answer when a back-end (signer, store) is overloaded.
    TemporarilyUnavailable,
    /// RFC 9101 §7 (JAR): the `request_uri` is unknown, expired or already used
    /// (RFC 9126 §4 makes PAR's `request_uri` single use and short-lived).
    InvalidRequestUri,
    /// RFC 9101 §7 (JAR): the request object is invalid (signature, claims).
    InvalidRequestObject,
    /// RFC 9396 §5: `authorization_details` of an unknown type, a type the
    /// client may not use, or a malformed detail.
    InvalidAuthorizationDetails,
    /// Grant Management for OAuth 2.0 §5.4: the `grant_id` of a `merge` or
    /// `replace` names no grant of this client (unknown, expired, revoked,
    /// another client's), or the customer who logged in is not the grant's.
    InvalidGrantId,
    /// RFC 9449 §7 / §5: the DPoP proof is invalid. At a resource the HTTP layer
    /// answers 401 with `WWW-Authenticate: DPoP error="invalid_dpop_proof"` (§7.1).
    InvalidDpopProof,
    /// RFC 9449 §8 / §9: the proof must carry the server's current `nonce`; the
    /// HTTP layer adds the `DPoP-Nonce` header (401 + `WWW-Authenticate` at a resource).
    UseDpopNonce,
    /// RFC 6750 §3.1: the access token is expired, revoked, malformed or bound
    /// to another key; the HTTP layer adds `WWW-Authenticate`.
    InvalidToken,
    /// RFC 7591 §3.2.2: the software statement is invalid (signature,
    /// claims, freshness, replayed `jti`).
    InvalidSoftwareStatement,
    /// RFC 7591 §3.2.2: the software statement is valid but not approved
    /// here (unknown directory, revoked software or organisation).
    UnapprovedSoftwareStatement,
    /// RFC 7591 §3.2.2: a redirect URI is not allowed.
    InvalidRedirectUri,
    /// RFC 7591 §3.2.2: a client metadata value is invalid or not allowed.
    InvalidClientMetadata,
    /// No such route.
    NotFound,
    /// The route exists, the method does not (RFC 9110 §15.5.6).
    MethodNotAllowed,
    /// Body larger than `server.max_body_bytes` (RFC 9110 §15.5.14).
    RequestTooLarge,
    /// Body not received within `server.body_read_timeout_ms` (RFC 9110 §15.5.9).
    RequestTimeout,
    /// The client exceeded its request rate (RFC 6585 §4).
    RateLimited,
    /// CIBA Core §13: the `login_hint_token` has expired.
    ExpiredLoginHintToken,
    /// CIBA Core §13: the hint names no user this OP knows.
    UnknownUserId,
    /// CIBA Core §13: the client registered `backchannel_user_code_parameter`
    /// and sent no `user_code`.
    MissingUserCode,
    /// CIBA Core §13: the `user_code` is wrong.
    InvalidUserCode,
    /// CIBA Core §13: the `binding_message` is invalid or unacceptable.
    InvalidBindingMessage,
    /// CIBA Core §11 (RFC 8628 §3.5): the customer has not decided yet.
    AuthorizationPending,
    /// CIBA Core §11: polled faster than the interval, which is now longer.
    SlowDown,
    /// CIBA Core §11: the `auth_req_id` has expired.
    ExpiredToken,
    /// CIBA Core §11: the customer denied the request, answered at the token
    /// endpoint, where every error is 400 (RFC 6749 §5.2); the same wire
    /// code as [`ErrorCode::AccessDenied`], whose 403 is §13's status at the
    /// backchannel authentication endpoint.
    AccessDeniedAtToken,
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct ErrorRow {
    /// The `error` member on the wire.
    pub code: &'static str,
    /// HTTP status when answered directly.
    pub status: u16,
    /// Whether the authorization endpoint may send it to the client's
    /// redirect URI (RFC 6749 §4.1.2.1) once client and URI are verified.
    pub may_redirect: bool,
}

impl ErrorCode {
    /// The table row for this code.
    pub const fn row(self) -> ErrorRow {
        use ErrorCode::*;
        let (code, status, may_redirect) = match self {
            InvalidRequest => ("invalid_request", 400, true),
            // RFC 6749 §5.2: 401 when the client authenticated through a header; the
            // endpoint decides, the table holds the common case.
            InvalidClient => ("invalid_client", 401, false),
            InvalidGrant => ("invalid_grant", 400, false),
            UnauthorizedClient => ("unauthorized_client", 400, true),
            UnsupportedGrantType => ("unsupported_grant_type", 400, false),
            InvalidScope => ("invalid_scope", 400, true),
            AccessDenied => ("access_denied", 403, true),
            UnsupportedResponseType => ("unsupported_response_type", 400, true),
            InsufficientScope => ("insufficient_scope", 403, false),
            ServerError => ("server_error", 500, true),
            TemporarilyUnavailable => ("temporarily_unavailable", 503, true),
            // Under PAR the redirect URI is only known from the pushed request that the
            // bad `request_uri` failed to name, so there is nowhere verified to redirect to.
            InvalidRequestUri => ("invalid_request_uri", 400, false),
            InvalidRequestObject => ("invalid_request_object", 400, true),
            // RFC 9396 §5: an authorization error response like invalid_scope.
            InvalidAuthorizationDetails => ("invalid_authorization_details", 400, true),
            // Grant Management §5.4: an authorization error response like invalid_scope.
            InvalidGrantId => ("invalid_grant_id", 400, true),
            InvalidDpopProof => ("invalid_dpop_proof", 400, false),
            UseDpopNonce => ("use_dpop_nonce", 400, false),
            InvalidToken => ("invalid_token", 401, false),
            // RFC 7591 §3.2.2: registration errors are 400.
            InvalidSoftwareStatement => ("invalid_software_statement", 400, false),
            UnapprovedSoftwareStatement => ("unapproved_software_statement", 400, false),
            InvalidRedirectUri => ("invalid_redirect_uri", 400, false),
            InvalidClientMetadata => ("invalid_client_metadata", 400, false),
            NotFound => ("not_found", 404, false),
            MethodNotAllowed => ("method_not_allowed", 405, false),
            RequestTooLarge => ("request_too_large", 413, false),
            RequestTimeout => ("request_timeout", 408, false),
            RateLimited => ("rate_limited", 429, false),
            // CIBA Core §13: the backchannel authentication endpoint's errors are 400
            // (but invalid_client 401 and access_denied 403); there is no redirect.
            ExpiredLoginHintToken => ("expired_login_hint_token", 400, false),
            UnknownUserId => ("unknown_user_id", 400, false),
            MissingUserCode => ("missing_user_code", 400, false),
            InvalidUserCode => ("invalid_user_code", 400, false),
            InvalidBindingMessage => ("invalid_binding_message", 400, false),
            // CIBA Core §11: token endpoint errors, 400 like every other (RFC 6749 §5.2).
            AuthorizationPending => ("authorization_pending", 400, false),
            SlowDown => ("slow_down", 400, false),
            ExpiredToken => ("expired_token", 400, false),
            AccessDeniedAtToken => ("access_denied", 400, false),
        };
        ErrorRow {
            code,
            status,
            may_redirect,
        }
    }

    /// The `error` member on the wire.
    pub const fn as_str(self) -> &'static str {
        self.row().code
    }
}

/// An error as it goes on the wire: a code and an optional human-readable
/// `error_description` (RFC 6749 §5.2: ASCII, no secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    /// The code from the table.
    pub code: ErrorCode,
    /// What went wrong, for the developer reading the response.
    pub description: Option<Cow<'static, str>>,
}

impl OAuthError {
    /// An error with a description.
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            description: Some(description.into()),
        }
    }

    /// An error without a description.
    pub fn bare(code: ErrorCode) -> Self {
        Self {
            code,
            description: None,
        }
    }

    /// `invalid_request` with a description.
    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.description {
            Some(d) => write!(f, "{}: {d}", self.code.as_str()),
            None => f.write_str(self.code.as_str()),
        }
    }
}

impl std::error::Error for OAuthError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_endpoint_errors_are_400_except_invalid_client_rfc6749_s5_2() {
        for code in [
            ErrorCode::InvalidRequest,
            ErrorCode::InvalidGrant,
            ErrorCode::UnauthorizedClient,
            ErrorCode::UnsupportedGrantType,
            ErrorCode::InvalidScope,
        ] {
            assert_eq!(code.row().status, 400, "{code:?}");
        }
        assert_eq!(ErrorCode::InvalidClient.row().status, 401);
        assert!(!ErrorCode::InvalidClient.row().may_redirect);
    }

    #[test]
    fn dpop_and_jar_codes_rfc9449_s7_s8_rfc9101_s7_rfc6750_s3_1() {
        let row = |c: ErrorCode| (c.row().code, c.row().status);
        assert_eq!(row(ErrorCode::InvalidDpopProof), ("invalid_dpop_proof", 400));
        assert_eq!(row(ErrorCode::UseDpopNonce), ("use_dpop_nonce", 400));
        assert_eq!(row(ErrorCode::InvalidRequestUri), ("invalid_request_uri", 400));
        assert_eq!(
            row(ErrorCode::InvalidRequestObject),
            ("invalid_request_object", 400)
        );
        assert_eq!(row(ErrorCode::InvalidToken), ("invalid_token", 401));
        assert!(!ErrorCode::InvalidDpopProof.row().may_redirect);
        assert!(!ErrorCode::InvalidRequestUri.row().may_redirect);
    }

    #[test]
    fn invalid_authorization_details_is_400_rfc9396_s5() {
        let row = ErrorCode::InvalidAuthorizationDetails.row();
        assert_eq!((row.code, row.status), ("invalid_authorization_details", 400));
    }

    #[test]
    fn invalid_grant_id_is_400_and_redirectable_grant_management_s5_4() {
        let row = ErrorCode::InvalidGrantId.row();
        assert_eq!(
            (row.code, row.status, row.may_redirect),
            ("invalid_grant_id", 400, true)
        );
    }

    #[test]
    fn registration_errors_are_400_rfc7591_s3_2_2() {
        for (code, wire) in [
            (ErrorCode::InvalidSoftwareStatement, "invalid_software_statement"),
            (
                ErrorCode::UnapprovedSoftwareStatement,
                "unapproved_software_statement",
            ),
            (ErrorCode::InvalidRedirectUri, "invalid_redirect_uri"),
            (ErrorCode::InvalidClientMetadata, "invalid_client_metadata"),
        ] {
            assert_eq!((code.row().code, code.row().status), (wire, 400));
        }
    }

    #[test]
    fn ciba_authentication_errors_are_400_but_access_denied_ciba_core_s13() {
        for (code, wire) in [
            (ErrorCode::InvalidRequest, "invalid_request"),
            (ErrorCode::InvalidScope, "invalid_scope"),
            (ErrorCode::ExpiredLoginHintToken, "expired_login_hint_token"),
            (ErrorCode::UnknownUserId, "unknown_user_id"),
            (ErrorCode::UnauthorizedClient, "unauthorized_client"),
            (ErrorCode::MissingUserCode, "missing_user_code"),
            (ErrorCode::InvalidUserCode, "invalid_user_code"),
            (ErrorCode::InvalidBindingMessage, "invalid_binding_message"),
        ] {
            assert_eq!((code.row().code, code.row().status), (wire, 400));
        }
        assert_eq!(ErrorCode::InvalidClient.row().status, 401);
        assert_eq!(
            (
                ErrorCode::AccessDenied.row().code,
                ErrorCode::AccessDenied.row().status
            ),
            ("access_denied", 403)
        );
    }

    #[test]
    fn ciba_token_errors_are_400_ciba_core_s11_rfc6749_s5_2() {
        for (code, wire) in [
            (ErrorCode::AuthorizationPending, "authorization_pending"),
            (ErrorCode::SlowDown, "slow_down"),
            (ErrorCode::ExpiredToken, "expired_token"),
            (ErrorCode::AccessDeniedAtToken, "access_denied"),
        ] {
            assert_eq!((code.row().code, code.row().status), (wire, 400));
            assert!(!code.row().may_redirect);
        }
    }

    #[test]
    fn display_joins_code_and_description() {
        let err = OAuthError::invalid_request("duplicate parameter `scope`");
        assert_eq!(err.to_string(), "invalid_request: duplicate parameter `scope`");
    }
}
