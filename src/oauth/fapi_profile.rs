//! What a client's FAPI profile (`[fapi] profile`, or its own
//! `fapi_profile`) asks of its authorization requests at PAR.
//!
//! | rule | profile | source |
//! |---|---|---|
//! | `code id_token` only for FAPI 1.0 Advanced | FAPI 2.0 | FAPI 2.0 §5.3.2.2 (`code` only) |
//! | `code` only with JARM (`response_mode=jwt`) | FAPI 1.0 Adv | FAPI 1.0 Part 2 §5.2.2-2 |
//! | `code id_token` in the fragment | all | Multiple Response Types §3 |
//! | `code id_token` with `openid` and a `nonce` | all | OIDC Core §3.3.2.1, §3.3.2.11 |
//! | `nonce` with `openid`, else `state` | FAPI 1.0 Adv | FAPI 1.0 Part 1 §5.2.2.2-1, §5.2.2.3-1 |
//! | tokens bound to the client certificate, never DPoP (token endpoint) | FAPI 1.0 Adv | FAPI 1.0 Part 2 §5.2.2-5, RFC 8705 §3 |

use crate::config::FapiProfile;
use crate::oauth::caller::{Caller, DpopHeader};
use crate::protocol::authorization_params::AuthorizationParams;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::response_mode::ResponseMode;
use crate::protocol::response_type::ResponseType;

/// The response mode of a request of `response_type` by a client of `profile`.
pub fn response_mode(
    profile: FapiProfile,
    response_type: ResponseType,
    params: &AuthorizationParams,
) -> Result<ResponseMode, OAuthError> {
    if response_type == ResponseType::CodeIdToken && !profile.allows_hybrid() {
        return Err(OAuthError::new(
            ErrorCode::UnsupportedResponseType,
            "only response_type=code is allowed for this client (FAPI 2.0 §5.3.2.2)",
        ));
    }
    let mode = ResponseMode::for_response_type(response_type, params.get("response_mode"))?;
    if response_type == ResponseType::Code && profile.code_requires_jarm() && !mode.is_jwt() {
        return Err(OAuthError::invalid_request(
            "a FAPI 1.0 Advanced client sends response_type=code id_token, or code with response_mode=jwt (FAPI 1.0 Part 2 §5.2.2-2)",
        ));
    }
    Ok(mode)
}

/// `nonce` and `state` as the response type and profile require them.
pub fn check_nonce_and_state(
    profile: FapiProfile,
    response_type: ResponseType,
    scopes: &[String],
    nonce: Option<&str>,
    state: Option<&str>,
) -> Result<(), OAuthError> {
    let openid = scopes.iter().any(|s| s == "openid");
    if response_type == ResponseType::CodeIdToken {
        if !openid {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                "response_type=code id_token needs the openid scope (OIDC Core §3.3.2.1)",
            ));
        }
        if nonce.is_none() {
            return Err(OAuthError::invalid_request(
                "nonce is required with response_type=code id_token (OIDC Core §3.3.2.11)",
            ));
        }
    }
    if profile == FapiProfile::Fapi1Advanced {
        if openid && nonce.is_none() {
            return Err(OAuthError::invalid_request(
                "nonce is required with the openid scope (FAPI 1.0 Part 1 §5.2.2.2)",
            ));
        }
        if !openid && state.is_none() {
            return Err(OAuthError::invalid_request(
                "state is required without the openid scope (FAPI 1.0 Part 1 §5.2.2.3)",
            ));
        }
    }
    Ok(())
}

/// At the token endpoint: a FAPI 1.0 Advanced client's access tokens are
/// certificate-bound, so it calls over mTLS and sends no DPoP proof.
pub fn check_token_binding(profile: FapiProfile, caller: &Caller) -> Result<(), OAuthError> {
    if profile != FapiProfile::Fapi1Advanced {
        return Ok(());
    }
    if caller.dpop != DpopHeader::Absent {
        return Err(OAuthError::invalid_request(
            "a FAPI 1.0 Advanced client's tokens are bound to its certificate, not DPoP (FAPI 1.0 Part 2 §5.2.2-5)",
        ));
    }
    if caller.client_cert.is_none() {
        return Err(OAuthError::invalid_request(
            "a FAPI 1.0 Advanced client calls over mTLS: its tokens are certificate-bound (FAPI 1.0 Part 2 §5.2.2-5, RFC 8705 §3)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::form::Form;

    fn params(body: &[u8]) -> AuthorizationParams {
        AuthorizationParams::from_form(&Form::parse(body).unwrap())
    }

    #[test]
    fn hybrid_is_for_fapi1_clients_only_fapi2_s5_3_2_2() {
        let none = params(b"");
        for profile in [FapiProfile::Fapi2Security, FapiProfile::Fapi2MessageSigning] {
            let err = response_mode(profile, ResponseType::CodeIdToken, &none).unwrap_err();
            assert_eq!(err.code, ErrorCode::UnsupportedResponseType);
            assert_eq!(
                response_mode(profile, ResponseType::Code, &none).unwrap(),
                ResponseMode::Query
            );
        }
        assert_eq!(
            response_mode(FapiProfile::Fapi1Advanced, ResponseType::CodeIdToken, &none).unwrap(),
            ResponseMode::Fragment
        );
    }

    #[test]
    fn fapi1_code_needs_jarm_fapi1_part2_s5_2_2_2() {
        let plain = response_mode(FapiProfile::Fapi1Advanced, ResponseType::Code, &params(b"")).unwrap_err();
        assert_eq!(plain.code, ErrorCode::InvalidRequest);
        let jarm = params(b"response_mode=jwt");
        assert_eq!(
            response_mode(FapiProfile::Fapi1Advanced, ResponseType::Code, &jarm).unwrap(),
            ResponseMode::QueryJwt
        );
    }

    #[test]
    fn nonce_required_for_hybrid_and_fapi1_openid_oidc_core_s3_3_2_11() {
        let openid = vec!["openid".to_string()];
        let hybrid = ResponseType::CodeIdToken;
        for profile in [FapiProfile::Fapi1Advanced, FapiProfile::Fapi2Security] {
            assert!(check_nonce_and_state(profile, hybrid, &openid, None, Some("s")).is_err());
            assert!(check_nonce_and_state(profile, hybrid, &openid, Some("n"), None).is_ok());
            let no_openid = check_nonce_and_state(profile, hybrid, &[], Some("n"), Some("s")).unwrap_err();
            assert_eq!(no_openid.code, ErrorCode::InvalidScope);
        }
        let fapi1 = FapiProfile::Fapi1Advanced;
        assert!(check_nonce_and_state(fapi1, ResponseType::Code, &openid, None, Some("s")).is_err());
        assert!(check_nonce_and_state(fapi1, ResponseType::Code, &[], None, None).is_err());
        assert!(check_nonce_and_state(fapi1, ResponseType::Code, &[], None, Some("s")).is_ok());
        // FAPI 2.0 leaves nonce to the client with response_type=code.
        assert!(
            check_nonce_and_state(
                FapiProfile::Fapi2Security,
                ResponseType::Code,
                &openid,
                None,
                None
            )
            .is_ok()
        );
    }
}
