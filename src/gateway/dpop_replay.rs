//! DPoP `jti` single use at the gateway (RFC 9449 §11.1), in this process.
//!
//! Rules, each so that one fintech cannot deny DPoP to another:
//!
//! - A `jti` is recorded only for a proof already verified *and* bound to
//!   the presented token (its key is the token's `cnf.jkt`, its `ath` the
//!   token's hash): a garbage proof changes nothing (`proxy::Gateway::pass`
//!   orders the steps).
//! - The replay state is keyed by (key thumbprint, `jti`): §11.1 asks that a
//!   proof not be replayed, and a proof is the key's; two keys that happen
//!   to pick the same `jti` are two proofs.
//! - Each client (`client_id` of the token) has its own share of
//!   `per_client` entries. When a client's share is full its expired
//!   entries go first; if it is still full, that client's proofs are
//!   refused (429 with `Retry-After` until its oldest entry lapses) and no
//!   other client notices.
//!
//! An entry lives until its proof is too old to be accepted (`iat` +
//! window). Behind a load balancer spreading one client over several
//! gateways, a proof replayed to another instance within the window is
//! not seen.

use super::errors::Refusal;
use crate::protocol::dpop::DpopProof;
use std::collections::HashMap;
use std::sync::Mutex;

/// How many recordings between two sweeps of every client's expired
/// entries (so that a client that went quiet does not hold its share).
const SWEEP_EVERY: u32 = 4096;

/// The recorded proofs, by client.
pub struct ReplayWindow {
    window_secs: u64,
    per_client: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    clients: HashMap<String, ClientProofs>,
    since_sweep: u32,
}

/// One client's share: (jkt, jti) -> the second from which the proof is
/// too old to be accepted.
#[derive(Default)]
struct ClientProofs {
    seen: HashMap<(String, String), u64>,
}

impl ClientProofs {
    fn drop_expired(&mut self, now: u64) {
        self.seen.retain(|_, until| *until > now);
    }
}

impl ReplayWindow {
    /// Proofs are accepted `window_secs` after their `iat`; each client
    /// may have `per_client` live proofs recorded.
    pub fn new(window_secs: u64, per_client: usize) -> Self {
        Self {
            window_secs,
            per_client: per_client.max(1),
            state: Mutex::new(State::default()),
        }
    }

    /// Records `proof`, a verified proof of `client_id`'s token, or refuses
    /// it: a replay (`invalid_dpop_proof`, RFC 9449 §11.1), or the client's
    /// share is full of live proofs (429).
    pub fn record(&self, client_id: &str, proof: &DpopProof, now: u64) -> Result<(), Refusal> {
        let mut state = self
            .state
            .lock()
            .map_err(|_| Refusal::InvalidDpopProof("replay window unavailable".into()))?;
        state.since_sweep += 1;
        if state.since_sweep >= SWEEP_EVERY {
            state.since_sweep = 0;
            state.clients.retain(|_, client| {
                client.drop_expired(now);
                !client.seen.is_empty()
            });
        }
        let client = state.clients.entry(client_id.to_string()).or_default();
        let key = (proof.jkt.clone(), proof.jti.clone());
        if client.seen.get(&key).is_some_and(|until| *until > now) {
            return Err(Refusal::InvalidDpopProof(
                "DPoP proof jti already used (RFC 9449 §11.1)".into(),
            ));
        }
        if client.seen.len() >= self.per_client {
            client.drop_expired(now);
            if client.seen.len() >= self.per_client {
                let oldest = client.seen.values().min().copied().unwrap_or(now);
                return Err(Refusal::RateLimited(oldest.saturating_sub(now).max(1)));
            }
        }
        // Accepted up to and including `iat` + window (protocol::dpop).
        let until = proof.iat.saturating_add(self.window_secs).saturating_add(1);
        client.seen.insert(key, until);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proof(jkt: &str, jti: &str, iat: u64) -> DpopProof {
        DpopProof {
            jkt: jkt.into(),
            jti: jti.into(),
            iat,
        }
    }

    #[test]
    fn a_jti_is_single_use_per_key_within_the_window_rfc9449_s11_1() {
        let window = ReplayWindow::new(60, 10);
        assert!(window.record("a", &proof("k1", "j", 100), 100).is_ok());
        assert!(matches!(
            window.record("a", &proof("k1", "j", 100), 130),
            Err(Refusal::InvalidDpopProof(_))
        ));
        // Another key's proof with the same jti is another proof.
        assert!(window.record("a", &proof("k2", "j", 100), 130).is_ok());
        assert!(window.record("b", &proof("k3", "j", 100), 130).is_ok());
        // Past the window the proof is refused as too old by
        // protocol::dpop; its entry is gone.
        assert!(window.record("a", &proof("k1", "j", 100), 161).is_ok());
    }

    #[test]
    fn a_full_share_refuses_that_client_only() {
        let window = ReplayWindow::new(60, 2);
        assert!(window.record("a", &proof("k", "1", 100), 100).is_ok());
        assert!(window.record("a", &proof("k", "2", 110), 110).is_ok());
        assert_eq!(
            window.record("a", &proof("k", "3", 110), 110),
            Err(Refusal::RateLimited(51)),
            "until the oldest entry lapses"
        );
        assert!(window.record("b", &proof("j", "1", 110), 110).is_ok());
        // Expired entries make room first.
        assert!(window.record("a", &proof("k", "3", 161), 161).is_ok());
    }
}
