//! DPoP proofs at the gateway (RFC 9449 §7.1): the request's one proof
//! checked by the sans-IO `protocol::dpop` (`htm`, `htu` = the public URL +
//! path, `iat` window, signature, `ath` of the presented token). Nothing is
//! remembered here: the proof's `jti` is recorded by `dpop_replay` only
//! once the token is known and the proof's key is the token's `cnf.jkt`.

use super::errors::Refusal;
use crate::oauth::caller::DpopHeader;
use crate::protocol::dpop::{DpopProof, DpopRequest, check_dpop_proof};

/// Checks proofs against the request and the presented token.
pub struct DpopChecker {
    window_secs: u64,
}

impl DpopChecker {
    /// Proofs may be `window_secs` old.
    pub fn new(window_secs: u64) -> Self {
        Self { window_secs }
    }

    /// How old a proof may be, in seconds (RFC 9449 §11.1).
    pub fn window_secs(&self) -> u64 {
        self.window_secs
    }

    /// The request's one `DPoP` proof for `token`, verified: its key
    /// thumbprint, `jti` and `iat`. Stateless, so a garbage proof costs
    /// one signature check and changes nothing.
    pub fn verify(
        &self,
        headers: &http::HeaderMap,
        method: &str,
        url: &str,
        token: &str,
        now: u64,
    ) -> Result<DpopProof, Refusal> {
        let invalid = |why: &str| Refusal::InvalidDpopProof(why.to_string());
        let proof = match DpopHeader::of(headers) {
            DpopHeader::One(proof) => proof,
            DpopHeader::Absent => return Err(invalid("no DPoP proof (RFC 9449 §7.1)")),
            DpopHeader::Repeated => return Err(invalid("more than one DPoP header (RFC 9449 §4.3)")),
            DpopHeader::NotAscii => return Err(invalid("the DPoP header is not ASCII")),
        };
        check_dpop_proof(
            &proof,
            DpopRequest {
                method,
                url,
                access_token: Some(token),
                expected_nonce: None,
            },
            now,
            self.window_secs,
        )
        .map_err(|reason| Refusal::InvalidDpopProof(reason.to_string()))
    }
}
