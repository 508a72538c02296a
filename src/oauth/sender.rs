//! DPoP proofs at the OP's own endpoints (RFC 9449 §4.3, §11.1), with the
//! `jti` replay window in the store, one per proof key.

use super::replay::OneTimeUses;
use crate::oauth::caller::{Caller, DpopHeader, ListenerKind};
use crate::oauth::op::OpState;
use crate::protocol::dpop::{DpopProof, DpopReason, DpopRequest, check_dpop_proof};
use crate::protocol::error::{ErrorCode, OAuthError};

/// The URL the client addressed, for `htu` (§4.3 item 9): the issuer's
/// URL, or the mTLS alias's when the request came to that listener.
pub fn request_url(op: &OpState, caller: &Caller, path: &str) -> String {
    match caller.listener {
        ListenerKind::MtlsAlias => op
            .config
            .mtls_endpoint_url(path)
            .unwrap_or_else(|| op.config.endpoint_url(path)),
        ListenerKind::Main | ListenerKind::ConfigApi => op.config.endpoint_url(path),
    }
}

/// The DPoP proof of the caller's request, checked, its `jti` recorded; `None` when
/// the request carries none. Two `DPoP` headers are refused (§4.3 item 1).
pub async fn dpop_proof(
    op: &OpState,
    caller: &Caller,
    path: &str,
    access_token: Option<&str>,
) -> Result<Option<DpopProof>, OAuthError> {
    let mut uses = OneTimeUses::default();
    let proof = dpop_proof_deferred(op, caller, path, access_token, &mut uses)?;
    uses.record(&op.services.repo, op.now()).await?;
    Ok(proof)
}

/// [`dpop_proof`], leaving the proof's `jti` in `uses` for the caller to
/// record with what the request issues.
pub fn dpop_proof_deferred(
    op: &OpState,
    caller: &Caller,
    path: &str,
    access_token: Option<&str>,
    uses: &mut OneTimeUses,
) -> Result<Option<DpopProof>, OAuthError> {
    let proof = match &caller.dpop {
        DpopHeader::Absent => return Ok(None),
        DpopHeader::One(proof) => proof.as_str(),
        DpopHeader::Repeated => {
            return Err(OAuthError::new(
                ErrorCode::InvalidDpopProof,
                "more than one DPoP header (RFC 9449 §4.3)",
            ));
        }
        DpopHeader::NotAscii => {
            return Err(OAuthError::new(
                ErrorCode::InvalidDpopProof,
                "the DPoP header is not ASCII",
            ));
        }
    };
    let url = request_url(op, caller, path);
    let now = op.now();
    let window = op.tokens().proof_max_age_secs;
    let check = |expected_nonce: Option<&str>| {
        check_dpop_proof(
            proof,
            DpopRequest {
                method: caller.method.as_str(),
                url: &url,
                access_token,
                expected_nonce,
            },
            now,
            window,
        )
    };
    let checked = match op.dpop_nonces() {
        None => check(None)?,
        // RFC 9449 §8: the current nonce, or the previous window's.
        Some(nonces) => match check(Some(&nonces.current(now))) {
            Err(DpopReason::NonceMismatch) => check(Some(&nonces.previous(now)))?,
            other => other?,
        },
    };
    // RFC 9449 §11.1: the replay window is kept per key (`jkt`), since only
    // the holder of a key can make its proofs: a `jti` another client's key
    // chose, by chance or on purpose, neither collides with this one nor
    // uses it up. A replay of this key's proof is still refused.
    uses.defer(
        &replay_namespace(&checked.jkt),
        &checked.jti,
        checked.iat + window + 60,
        OAuthError::new(
            ErrorCode::InvalidDpopProof,
            "DPoP proof jti already used (RFC 9449 §11.1)",
        ),
    );
    Ok(Some(checked))
}

/// The namespace of the `jti`s of proofs signed by the key `jkt` (RFC 7638
/// thumbprint): one replay window per key (RFC 9449 §11.1).
fn replay_namespace(jkt: &str) -> String {
    format!("dpop:{jkt}")
}

/// The nonce to send as `DPoP-Nonce` (RFC 9449 §8.1) with every response of
/// the endpoints that check proofs, when nonces are required.
pub fn current_nonce(op: &OpState) -> Option<String> {
    op.dpop_nonces().map(|nonces| nonces.current(op.now()))
}
