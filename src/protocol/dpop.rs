//! DPoP proof checks (RFC 9449 §4.3), for the token endpoint, PAR (§10) and
//! resources such as userinfo (§7.1).
//!
//! [`check_dpop_proof`] runs the checks of §4.3 in order, on a proof that is
//! verified with the key in its own header:
//!
//! | §4.3 item | rule | reason |
//! |---|---|---|
//! | 2 | one well-formed JWT | [`DpopReason::Jws`] |
//! | 4 | `typ` is `dpop+jwt` | `Jws(TypMismatch)` |
//! | 5 | `alg` asymmetric, allowed, the `jwk`'s | `Jws(AlgNone / ...)` |
//! | 6 | signature verifies with `jwk` | `Jws(BadSignature)` |
//! | 7 | `jwk` has no private key | `Jws(HeaderJwk(PrivateMembers))` |
//! | 3 | `jti`, `htm`, `htu`, `iat` present | [`DpopReason::MissingClaim`] |
//! | 8 | `htm` is the method | [`DpopReason::HtmMismatch`] |
//! | 9 | `htu` is the URI, query and fragment ignored | [`DpopReason::HtuMismatch`] |
//! | 11 | `iat` within the window (§11.1) | [`DpopReason::IatTooOld`], [`DpopReason::IatInFuture`] |
//! | 12 | `ath` is the token's hash (§7.1) | [`DpopReason::AthMissing`], [`DpopReason::AthMismatch`] |
//! | 10 | `nonce` is the server's (§8, §9) | [`DpopReason::NonceMissing`], [`DpopReason::NonceMismatch`] |
//!
//! The nonce comes last so that `use_dpop_nonce` is only answered to an
//! otherwise valid proof. Left to the caller: one `DPoP` header (item 1),
//! `jti` single use within the window (§11.1: use the returned `jti` and
//! `iat`), and for a bound token that [`DpopProof::jkt`] is its `cnf.jkt`
//! (item 12, §6.1).

mod htu;
#[cfg(test)]
mod tests;

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::error::{ErrorCode, OAuthError};
use super::jose::claims::{self, BadClaim};
use super::jose::{JoseError, MAX_FUTURE_SKEW_SECS, MAX_JTI_LEN, PublicJwk, verify_jws_with_header_jwk};

/// `typ` of a DPoP proof (RFC 9449 §4.2).
pub const DPOP_JWT_TYP: &str = "dpop+jwt";

/// The request a proof came with.
#[derive(Debug, Clone, Copy)]
pub struct DpopRequest<'a> {
    /// The HTTP method, e.g. `POST` (compared exactly: methods are case-sensitive, RFC 9110 §9.1).
    pub method: &'a str,
    /// The full request URI as the client addressed it (`https://host/path?query`).
    pub url: &'a str,
    /// The access token presented with the proof, at a resource (§7.1).
    pub access_token: Option<&'a str>,
    /// The nonce the server requires now (§8, §9), if any.
    pub expected_nonce: Option<&'a str>,
}

/// An accepted proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpopProof {
    /// RFC 7638 thumbprint of the proof's key: `cnf.jkt` (§6.1) and `dpop_jkt` (§10).
    pub jkt: String,
    /// `jti`, for the caller's replay window (§11.1).
    pub jti: String,
    /// `iat`, so the caller can keep the `jti` only as long as the window needs.
    pub iat: u64,
}

/// Why a DPoP proof was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DpopReason {
    /// The JWS itself (§4.3 items 2, 4-7).
    #[error("DPoP proof: {0}")]
    Jws(JoseError),
    /// A required claim is absent (§4.2, §4.3 item 3).
    #[error("DPoP proof has no `{0}` claim")]
    MissingClaim(&'static str),
    /// A claim has the wrong JSON type or an impossible value.
    #[error("DPoP proof has an invalid `{0}` claim")]
    InvalidClaim(&'static str),
    /// `htm` is not the request's method (§4.3 item 8).
    #[error("DPoP proof `htm` does not match the request method")]
    HtmMismatch,
    /// `htu` is not the request's URI (§4.3 item 9).
    #[error("DPoP proof `htu` does not match the request URI")]
    HtuMismatch,
    /// `iat` is older than the window (§4.3 item 11, §11.1).
    #[error("DPoP proof is too old")]
    IatTooOld,
    /// `iat` is further in the future than the allowed clock skew.
    #[error("DPoP proof `iat` is in the future")]
    IatInFuture,
    /// An access token was presented and the proof has no `ath` (§4.2, §7.1).
    #[error("DPoP proof has no `ath` for the access token")]
    AthMissing,
    /// `ath` is not the hash of the presented access token (§4.3 item 12).
    #[error("DPoP proof `ath` does not match the access token")]
    AthMismatch,
    /// The server requires a nonce and the proof has none (§8, §9).
    #[error("a DPoP nonce is required")]
    NonceMissing,
    /// The nonce is not the one the server requires now (§8, §9).
    #[error("the DPoP nonce is not the current one")]
    NonceMismatch,
}

impl From<JoseError> for DpopReason {
    fn from(e: JoseError) -> Self {
        DpopReason::Jws(e)
    }
}

impl From<BadClaim> for DpopReason {
    fn from(BadClaim(name): BadClaim) -> Self {
        DpopReason::InvalidClaim(name)
    }
}

/// `use_dpop_nonce` for nonce problems (§8), `invalid_dpop_proof` otherwise (§7, §5).
impl From<DpopReason> for OAuthError {
    fn from(reason: DpopReason) -> Self {
        let code = match reason {
            DpopReason::NonceMissing | DpopReason::NonceMismatch => ErrorCode::UseDpopNonce,
            _ => ErrorCode::InvalidDpopProof,
        };
        OAuthError::new(code, reason.to_string())
    }
}

/// Checks a DPoP proof against the request it came with (RFC 9449 §4.3).
///
/// `iat_window_secs`: how old a proof may be (§11.1; e.g. 60). A proof may be
/// at most [`MAX_FUTURE_SKEW_SECS`] in the future (FAPI 2.0 §5.3.2.1 item 13).
pub fn check_dpop_proof(
    proof: &str,
    request: DpopRequest<'_>,
    now: u64,
    iat_window_secs: u64,
) -> Result<DpopProof, DpopReason> {
    let verified = verify_jws_with_header_jwk(proof, DPOP_JWT_TYP)?;
    let claims = &verified.claims;
    let required = |name: &'static str| claims::string(claims, name)?.ok_or(DpopReason::MissingClaim(name));
    let jti = required("jti")?;
    if jti.is_empty() || jti.len() > MAX_JTI_LEN {
        return Err(DpopReason::InvalidClaim("jti"));
    }
    if required("htm")? != request.method {
        return Err(DpopReason::HtmMismatch);
    }
    let htu = htu::normalize(required("htu")?);
    if htu.is_none() || htu != htu::normalize(request.url) {
        return Err(DpopReason::HtuMismatch);
    }
    let iat = claims::numeric_date(claims, "iat")?.ok_or(DpopReason::MissingClaim("iat"))?;
    if iat.saturating_add(iat_window_secs) < now {
        return Err(DpopReason::IatTooOld);
    }
    if iat > now.saturating_add(MAX_FUTURE_SKEW_SECS) {
        return Err(DpopReason::IatInFuture);
    }
    if let Some(token) = request.access_token {
        let ath = claims::string(claims, "ath")?.ok_or(DpopReason::AthMissing)?;
        if ath != ath_of(token) {
            return Err(DpopReason::AthMismatch);
        }
    }
    if let Some(expected) = request.expected_nonce {
        match claims::string(claims, "nonce")? {
            None => return Err(DpopReason::NonceMissing),
            Some(nonce) if nonce != expected => return Err(DpopReason::NonceMismatch),
            Some(_) => {}
        }
    }
    Ok(DpopProof {
        jkt: jkt_of(&verified.key),
        jti: jti.to_owned(),
        iat,
    })
}

/// RFC 7638 thumbprint of a DPoP key (RFC 9449 §6.1 `jkt`).
pub fn jkt_of(jwk: &PublicJwk) -> String {
    jwk.thumbprint()
}

/// `ath` for an access token: base64url(SHA-256(ASCII(token))) (RFC 9449 §4.2).
pub fn ath_of(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest(&SHA256, access_token.as_bytes()))
}
