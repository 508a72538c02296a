//! DPoP proofs at the OP's own endpoints (RFC 9449 §4.3, §11.1), with the
//! `jti` replay window in the store, one per proof key.

use super::replay::OneTimeUses;
use crate::http::context::{ListenerKind, RequestContext};
use crate::http::endpoints::OpState;
use crate::protocol::dpop::{DpopProof, DpopReason, DpopRequest, check_dpop_proof};
use crate::protocol::error::{ErrorCode, OAuthError};
use bytes::Bytes;
use http::Request;

/// The `DPoP` request header.
pub const DPOP: &str = "dpop";

/// The URL the client addressed, for `htu` (§4.3 item 9): the issuer's
/// URL, or the mTLS alias's when the request came to that listener.
pub fn request_url(op: &OpState, context: &RequestContext, path: &str) -> String {
    match context.listener {
        ListenerKind::MtlsAlias => op
            .config
            .mtls_endpoint_url(path)
            .unwrap_or_else(|| op.config.endpoint_url(path)),
        ListenerKind::Main => op.config.endpoint_url(path),
    }
}

/// The DPoP proof of `request`, checked, its `jti` recorded; `None` when
/// the request carries none. Two `DPoP` headers are refused (§4.3 item 1).
pub async fn dpop_proof(
    op: &OpState,
    request: &Request<Bytes>,
    context: &RequestContext,
    path: &str,
    access_token: Option<&str>,
) -> Result<Option<DpopProof>, OAuthError> {
    let mut uses = OneTimeUses::default();
    let proof = dpop_proof_deferred(op, request, context, path, access_token, &mut uses)?;
    uses.record(&op.services.repo, op.now()).await?;
    Ok(proof)
}

/// [`dpop_proof`], leaving the proof's `jti` in `uses` for the caller to
/// record with what the request issues.
pub fn dpop_proof_deferred(
    op: &OpState,
    request: &Request<Bytes>,
    context: &RequestContext,
    path: &str,
    access_token: Option<&str>,
    uses: &mut OneTimeUses,
) -> Result<Option<DpopProof>, OAuthError> {
    let mut headers = request.headers().get_all(DPOP).iter();
    let Some(header) = headers.next() else {
        return Ok(None);
    };
    if headers.next().is_some() {
        return Err(OAuthError::new(
            ErrorCode::InvalidDpopProof,
            "more than one DPoP header (RFC 9449 §4.3)",
        ));
    }
    let proof = header
        .to_str()
        .map_err(|_| OAuthError::new(ErrorCode::InvalidDpopProof, "the DPoP header is not ASCII"))?;
    let url = request_url(op, context, path);
    let now = op.now();
    let window = op.config.get().tokens.proof_max_age_secs;
    let check = |expected_nonce: Option<&str>| {
        check_dpop_proof(
            proof,
            DpopRequest {
                method: request.method().as_str(),
                url: &url,
                access_token,
                expected_nonce,
            },
            now,
            window,
        )
    };
    let checked = match &op.services.dpop_nonces {
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

/// `DPoP-Nonce` (RFC 9449 §8.1): sent with every response of the endpoints
/// that check proofs, when nonces are required.
pub fn add_nonce_header(op: &OpState, response: &mut http::Response<Bytes>) {
    if let Some(nonces) = &op.services.dpop_nonces
        && let Ok(value) = http::HeaderValue::from_str(&nonces.current(op.now()))
    {
        response.headers_mut().insert("dpop-nonce", value);
    }
}
