//! The grants of the token endpoint (RFC 6749 §3.2), one file each
//! (STYLE.md §1). The endpoint parses the form into a [`TokenRequest`]
//! (STYLE.md §3), authenticates the client and hands the request to its
//! grant; what every grant shares lives here: the sender constraint
//! (FAPI 2.0 §5.3.2.1) and the token response (RFC 6749 §5.1).

pub mod authorization_code;
pub mod ciba;
pub mod client_credentials;
pub mod refresh_rotation;
pub mod refresh_token;

use crate::model::Binding;
use crate::oauth::caller::Caller;
use crate::oauth::op::OpState;
use crate::oauth::replay::OneTimeUses;
use crate::oauth::sender;
use crate::protocol::dpop::DpopProof;
use crate::protocol::error::{ErrorCode, OAuthError};

pub use crate::protocol::token_request::{GRANT_TYPES, TokenRequest, check_grant_type, split_scope};

/// The sender constraint of the tokens to issue (FAPI 2.0 §5.3.2.1): DPoP
/// if a proof came (RFC 9449 §5) — and it must, with the same key, when
/// `bound_jkt` is set (RFC 9449 §10.1) — else the client certificate
/// (RFC 8705 §3); neither is `invalid_request`. A client registered with
/// `dpop_bound_access_tokens` must send a proof (RFC 9449 §5.2). The
/// proof's `jti` joins `uses`, recorded with the tokens.
pub fn sender_binding(
    op: &OpState,
    caller: &Caller,
    bound_jkt: Option<&str>,
    require_dpop: bool,
    uses: &mut OneTimeUses,
) -> Result<Binding, OAuthError> {
    let proof = token_dpop_proof(op, caller, uses)?;
    binding_for(proof.as_ref(), bound_jkt, require_dpop, caller)
}

/// The DPoP proof sent to the token endpoint, if any (RFC 9449 §4.3, `htu`
/// the token endpoint); its `jti` joins `uses`, recorded with the tokens.
pub fn token_dpop_proof(
    op: &OpState,
    caller: &Caller,
    uses: &mut OneTimeUses,
) -> Result<Option<DpopProof>, OAuthError> {
    sender::dpop_proof_deferred(op, caller, crate::protocol::paths::TOKEN, None, uses)
}

/// [`sender_binding`] for a request whose DPoP proof (if any) was checked.
pub fn binding_for(
    proof: Option<&DpopProof>,
    bound_jkt: Option<&str>,
    require_dpop: bool,
    caller: &Caller,
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
        (None, None) => match &caller.client_cert {
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
