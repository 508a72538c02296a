//! How the authorization response reaches the client: plain query
//! parameters (RFC 6749 §4.1.2, the default for `code`), or one signed JWT
//! in the query (JARM, "JWT Secured Authorization Response Mode for OAuth
//! 2.0", §2.3).
//!
//! The JWT's claims (JARM §2.1, §2.2): `iss` (the issuer), `aud` (the
//! client_id), `exp` (short-lived, §4.1 recommends minutes), and the
//! response parameters themselves: `code` and `state`, or `error`,
//! `error_description` and `state`. It is signed by the caller.

use super::error::OAuthError;
use super::response_type::ResponseType;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Lifetime of a JARM response JWT (JARM §4.1: "short", e.g. 10 minutes).
pub const JARM_LIFETIME_SECS: u64 = 600;

/// The response modes for `response_type=code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseMode {
    /// RFC 6749 §4.1.2: parameters in the redirect URI's query.
    Query,
    /// JARM §2.3.1: `response=<JWT>` in the query. `jwt` means this for
    /// `code` (JARM §2.3.4).
    QueryJwt,
    /// OAuth 2.0 Multiple Response Types §5: parameters in the fragment,
    /// the default (and only) mode of the hybrid `code id_token`
    /// (`response_type::ResponseType::CodeIdToken`), whose response carries
    /// the ID token (OIDC Core §3.3.2.5). Appended last: stored pushed
    /// requests keep their variant numbers.
    Fragment,
}

/// `response_modes_supported` (RFC 8414 §2, JARM §3).
pub const SUPPORTED: [&str; 3] = ["query", "query.jwt", "jwt"];

impl ResponseMode {
    /// The `response_mode` parameter for `response_type=code`; absent is
    /// `query` (OAuth 2.0 Multiple Response Types §2.1: the default mode).
    pub fn parse(value: Option<&str>) -> Result<Self, OAuthError> {
        match value {
            None | Some("query") => Ok(Self::Query),
            // JARM §2.3.4: `jwt` is the default JWT mode of the response type.
            Some("jwt" | "query.jwt") => Ok(Self::QueryJwt),
            Some(other) => Err(OAuthError::invalid_request(format!(
                "response_mode `{other}` is not supported: use query, query.jwt or jwt (JARM §2.3)"
            ))),
        }
    }

    /// The `response_mode` for `response_type`: `code` as [`Self::parse`];
    /// `code id_token` only in the fragment (Multiple Response Types §3:
    /// the query "MUST NOT be used" when tokens are returned; JARM with the
    /// hybrid type is not offered).
    pub fn for_response_type(response_type: ResponseType, value: Option<&str>) -> Result<Self, OAuthError> {
        match response_type {
            ResponseType::Code => Self::parse(value),
            ResponseType::CodeIdToken => match value {
                None | Some("fragment") => Ok(Self::Fragment),
                Some(other) => Err(OAuthError::invalid_request(format!(
                    "response_mode `{other}` is not supported with code id_token: use fragment (OAuth 2.0 Multiple Response Types §3)"
                ))),
            },
        }
    }

    /// Whether the response is a JWT.
    pub fn is_jwt(self) -> bool {
        matches!(self, Self::QueryJwt)
    }
}

/// The claims of a JARM response (JARM §2.1 success, §2.2 error): `iss`,
/// `aud`, `exp` = `now` + [`JARM_LIFETIME_SECS`], then `params`.
pub fn jarm_claims(issuer: &str, client_id: &str, now: u64, params: &[(&str, &str)]) -> Map<String, Value> {
    let mut claims = Map::new();
    claims.insert("iss".into(), issuer.into());
    claims.insert("aud".into(), client_id.into());
    claims.insert("exp".into(), now.saturating_add(JARM_LIFETIME_SECS).into());
    for (name, value) in params {
        // The JWT's own `iss` says who answered (RFC 9207 §2.4 defers to it).
        if !matches!(*name, "iss" | "aud" | "exp") {
            claims.insert((*name).into(), (*value).into());
        }
    }
    claims
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::error::ErrorCode;

    #[test]
    fn jwt_means_query_jwt_for_code_jarm_s2_3_4() {
        assert_eq!(ResponseMode::parse(None).unwrap(), ResponseMode::Query);
        assert_eq!(ResponseMode::parse(Some("query")).unwrap(), ResponseMode::Query);
        assert_eq!(ResponseMode::parse(Some("jwt")).unwrap(), ResponseMode::QueryJwt);
        assert_eq!(
            ResponseMode::parse(Some("query.jwt")).unwrap(),
            ResponseMode::QueryJwt
        );
        assert!(ResponseMode::parse(Some("jwt")).unwrap().is_jwt());
    }

    #[test]
    fn hybrid_comes_back_in_the_fragment_only_multiple_response_types_s3() {
        let hybrid = ResponseType::CodeIdToken;
        assert_eq!(
            ResponseMode::for_response_type(hybrid, None).unwrap(),
            ResponseMode::Fragment
        );
        assert_eq!(
            ResponseMode::for_response_type(hybrid, Some("fragment")).unwrap(),
            ResponseMode::Fragment
        );
        for mode in ["query", "jwt", "query.jwt", "fragment.jwt", "form_post"] {
            assert!(
                ResponseMode::for_response_type(hybrid, Some(mode)).is_err(),
                "{mode}"
            );
        }
        assert_eq!(
            ResponseMode::for_response_type(ResponseType::Code, Some("jwt")).unwrap(),
            ResponseMode::QueryJwt
        );
        assert!(ResponseMode::for_response_type(ResponseType::Code, Some("fragment")).is_err());
    }

    #[test]
    fn other_modes_are_invalid_request() {
        for mode in ["fragment", "form_post", "fragment.jwt", "form_post.jwt", "JWT"] {
            let err = ResponseMode::parse(Some(mode)).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidRequest, "{mode}");
        }
    }

    #[test]
    fn success_and_error_claims_jarm_s2_1_s2_2() {
        let ok = jarm_claims(
            "https://as",
            "c1",
            100,
            &[("code", "x"), ("state", "s"), ("iss", "ignored")],
        );
        assert_eq!(ok["iss"], "https://as");
        assert_eq!(ok["aud"], "c1");
        assert_eq!(ok["exp"], 100 + JARM_LIFETIME_SECS);
        assert_eq!(ok["code"], "x");
        assert_eq!(ok["state"], "s");
        let err = jarm_claims(
            "https://as",
            "c1",
            100,
            &[("error", "access_denied"), ("error_description", "no")],
        );
        assert_eq!(err["error"], "access_denied");
        assert_eq!(err["error_description"], "no");
        assert!(!err.contains_key("code"));
    }
}
