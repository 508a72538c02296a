//! The grants of the token endpoint (RFC 6749 §3.2), one file each
//! (STYLE.md §1). The endpoint parses the form into a [`TokenRequest`]
//! (STYLE.md §3), authenticates the client and hands the request to its
//! grant; what every grant shares lives here: the sender constraint
//! (FAPI 2.0 §5.3.2.1) and the token response (RFC 6749 §5.1).

pub mod authorization_code;
pub mod client_credentials;
pub mod refresh_rotation;
pub mod refresh_token;

use crate::http::context::RequestContext;
use crate::http::endpoints::OpState;
use crate::model::Binding;
use crate::oauth::replay::OneTimeUses;
use crate::oauth::sender;
use crate::protocol::dpop::DpopProof;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::form::Form;
use bytes::Bytes;
use http::Request;

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
}

/// The grant types served (RFC 8414 §2 `grant_types_supported`).
pub const GRANT_TYPES: &[&str] = &["authorization_code", "refresh_token", "client_credentials"];

/// RFC 6749 §5.2: `unsupported_grant_type` unless `grant_type` is served;
/// checked before client authentication, as it always was.
pub fn check_grant_type(form: &Form) -> Result<(), OAuthError> {
    let grant_type = form.require("grant_type")?;
    if GRANT_TYPES.contains(&grant_type) {
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

/// The sender constraint of the tokens to issue (FAPI 2.0 §5.3.2.1): DPoP
/// if a proof came (RFC 9449 §5) — and it must, with the same key, when
/// `bound_jkt` is set (RFC 9449 §10.1) — else the client certificate
/// (RFC 8705 §3); neither is `invalid_request`. A client registered with
/// `dpop_bound_access_tokens` must send a proof (RFC 9449 §5.2). The
/// proof's `jti` joins `uses`, recorded with the tokens.
pub fn sender_binding(
    op: &OpState,
    request: &Request<Bytes>,
    context: &RequestContext,
    bound_jkt: Option<&str>,
    require_dpop: bool,
    uses: &mut OneTimeUses,
) -> Result<Binding, OAuthError> {
    let proof = token_dpop_proof(op, request, context, uses)?;
    binding_for(proof.as_ref(), bound_jkt, require_dpop, context)
}

/// The DPoP proof sent to the token endpoint, if any (RFC 9449 §4.3, `htu`
/// the token endpoint); its `jti` joins `uses`, recorded with the tokens.
pub fn token_dpop_proof(
    op: &OpState,
    request: &Request<Bytes>,
    context: &RequestContext,
    uses: &mut OneTimeUses,
) -> Result<Option<DpopProof>, OAuthError> {
    sender::dpop_proof_deferred(
        op,
        request,
        context,
        crate::http::router::paths::TOKEN,
        None,
        uses,
    )
}

/// [`sender_binding`] for a request whose DPoP proof (if any) was checked.
pub fn binding_for(
    proof: Option<&DpopProof>,
    bound_jkt: Option<&str>,
    require_dpop: bool,
    context: &RequestContext,
) -> Result<Binding, OAuthError> {
    match (proof, bound_jkt) {
        (Some(proof), Some(jkt)) if proof.jkt != jkt => Err(invalid_grant(
            "the DPoP key differs from the one bound at the authorization request (RFC 9449 §10.1)",
        )),
        (Some(proof), _) => Ok(Binding::Dpop(proof.jkt.clone())),
        (None, Some(_)) => Err(OAuthError::new(
            ErrorCode::InvalidDpopProof,
            "this code is bound to a DPoP key: send a DPoP proof (RFC 9449 §10.1)",
        )),
        (None, None) if require_dpop => Err(OAuthError::invalid_request(
            "this client registered dpop_bound_access_tokens: send a DPoP proof (RFC 9449 §5.2)",
        )),
        (None, None) => match &context.client_cert {
            Some(cert) => Ok(Binding::Mtls(cert.x5t_s256().to_string())),
            None => Err(OAuthError::invalid_request(
                "access tokens are sender-constrained: send a DPoP proof or use a client certificate (FAPI 2.0 §5.3.2.1)",
            )),
        },
    }
}

/// RFC 6749 §5.2 `invalid_grant`.
pub fn invalid_grant(description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidGrant, description)
}
