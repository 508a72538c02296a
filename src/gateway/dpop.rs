//! DPoP proofs at the gateway (RFC 9449 §7.1): the proof checked by the
//! sans-IO `protocol::dpop` (`htm`, `htu` = the public URL + path, `iat`
//! window, `ath` of the presented token), and its `jti` single use within
//! the window (§11.1) in a per-process set.
//!
//! Behind a load balancer spreading one client over several gateways, a
//! proof replayed to another instance within the window is not seen.

use super::errors::Refusal;
use crate::protocol::dpop::{DpopRequest, check_dpop_proof};
use std::collections::HashMap;
use std::sync::Mutex;

/// Most remembered `jti`s; beyond it expired ones are dropped, then the
/// proof is refused (rather than forgetting live ones).
const MAX_JTIS: usize = 200_000;

/// Checks proofs and remembers their `jti`s.
pub struct DpopChecker {
    window_secs: u64,
    seen: Mutex<HashMap<String, u64>>,
}

impl DpopChecker {
    /// Proofs may be `window_secs` old.
    pub fn new(window_secs: u64) -> Self {
        Self {
            window_secs,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// The key thumbprint of the request's one `DPoP` proof for `token`.
    pub fn check(
        &self,
        headers: &http::HeaderMap,
        method: &str,
        url: &str,
        token: &str,
        now: u64,
    ) -> Result<String, Refusal> {
        let invalid = |why: &str| Refusal::InvalidDpopProof(why.to_string());
        let mut proofs = headers.get_all("dpop").iter();
        let proof = proofs
            .next()
            .ok_or_else(|| invalid("no DPoP proof (RFC 9449 §7.1)"))?;
        if proofs.next().is_some() {
            return Err(invalid("more than one DPoP header (RFC 9449 §4.3)"));
        }
        let proof = proof
            .to_str()
            .map_err(|_| invalid("the DPoP header is not ASCII"))?;
        let checked = check_dpop_proof(
            proof,
            DpopRequest {
                method,
                url,
                access_token: Some(token),
                expected_nonce: None,
            },
            now,
            self.window_secs,
        )
        .map_err(|reason| Refusal::InvalidDpopProof(reason.to_string()))?;
        let mut seen = self
            .seen
            .lock()
            .map_err(|_| invalid("replay window unavailable"))?;
        if seen.len() >= MAX_JTIS {
            seen.retain(|_, until| *until > now);
            if seen.len() >= MAX_JTIS {
                return Err(invalid("too many proofs in the replay window"));
            }
        }
        let until = checked.iat.saturating_add(self.window_secs + 60);
        match seen.get(&checked.jti) {
            Some(old) if *old > now => Err(invalid("DPoP proof jti already used (RFC 9449 §11.1)")),
            _ => {
                seen.insert(checked.jti, until);
                Ok(checked.jkt)
            }
        }
    }
}
