//! The token request's grant (RFC 6749 §3.2, §5.2): which grant types the
//! token endpoint serves and the parameters each one takes, parsed from the
//! form. Discovery (RFC 8414 §2 `grant_types_supported`) and registration
//! (RFC 7591 §2 `grant_types`) name the same list.

use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::form::Form;

/// A token request, by grant type, with its grant-specific parameters.
#[derive(Debug)]
pub enum TokenRequest {
    /// RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.5).
    AuthorizationCode {
        /// The code.
        code: String,
        /// The redirect URI of the authorization request.
        redirect_uri: String,
        /// The PKCE verifier.
        code_verifier: String,
    },
    /// RFC 6749 §6.
    RefreshToken {
        /// The refresh token.
        refresh_token: String,
        /// Scopes asked (RFC 6749 §6: within the grant's); `None`: the grant's.
        scope: Option<Vec<String>>,
    },
    /// RFC 6749 §4.4.2.
    ClientCredentials {
        /// Requested scopes (RFC 6749 §3.3); `None` means the default.
        scope: Option<Vec<String>>,
    },
    /// CIBA Core §10.1: the `auth_req_id` is read by the grant
    /// (`protocol::ciba::AuthReqId::from_token_form`).
    Ciba,
}

/// CIBA Core §10.1: the grant type of a token request that redeems an
/// `auth_req_id` (poll and ping modes). Served, and advertised, only where
/// `[ciba]` is enabled; so not in [`GRANT_TYPES`].
pub const CIBA_GRANT_TYPE: &str = "urn:openid:params:grant-type:ciba";

/// The grant types served (RFC 8414 §2 `grant_types_supported`).
pub const GRANT_TYPES: &[&str] = &["authorization_code", "refresh_token", "client_credentials"];

/// RFC 6749 §5.2: `unsupported_grant_type` unless `grant_type` is served;
/// checked before client authentication, as it always was.
pub fn check_grant_type(form: &Form) -> Result<(), OAuthError> {
    let grant_type = form.require("grant_type")?;
    if GRANT_TYPES.contains(&grant_type) || grant_type == CIBA_GRANT_TYPE {
        Ok(())
    } else {
        Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            format!("grant_type `{grant_type}` is not supported"),
        ))
    }
}

impl TokenRequest {
    /// Parses the grant of `form`; `unsupported_grant_type` for any other
    /// (RFC 6749 §5.2), `invalid_request` for a missing parameter.
    pub fn parse(form: &Form) -> Result<Self, OAuthError> {
        let owned = |name: &str| form.require(name).map(str::to_string);
        match form.require("grant_type")? {
            "authorization_code" => Ok(Self::AuthorizationCode {
                code: owned("code")?,
                redirect_uri: owned("redirect_uri")?,
                code_verifier: owned("code_verifier")?,
            }),
            "refresh_token" => Ok(Self::RefreshToken {
                refresh_token: owned("refresh_token")?,
                scope: form.get("scope").map(split_scope),
            }),
            "client_credentials" => Ok(Self::ClientCredentials {
                scope: form.get("scope").map(split_scope),
            }),
            CIBA_GRANT_TYPE => Ok(Self::Ciba),
            other => Err(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                format!("grant_type `{other}` is not supported"),
            )),
        }
    }
}

/// RFC 6749 §3.3: space-delimited, empty items ignored.
pub fn split_scope(scope: &str) -> Vec<String> {
    scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}
