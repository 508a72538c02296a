//! Key lifecycle rules, without any I/O: `next -> active -> retiring ->
//! retired`, with `now` passed in (unix seconds).
//!
//! * **next**: in the JWKS, not signing. A key becomes active only after it
//!   has been in every node's JWKS for at least `jwks_cache_ttl`, so that a
//!   verifier holding a JWKS cached for that long, from any node, already
//!   knows it (no unknown-kid window): created + key refresh interval (the
//!   last node to reload publishes it that late) + `jwks_cache_ttl`. The
//!   first key of an algorithm may be activated at once: no token of that
//!   algorithm exists yet.
//! * **active**: signs; one per algorithm.
//! * **retiring**: in the JWKS, not signing, until `retire_after` =
//!   switch time + longest token lifetime + key refresh interval (another
//!   node may sign with it until its next refresh). Tokens it signed stay
//!   verifiable until they expire.
//! * **retired**: out of the JWKS; destroyed only by an explicit command.

use super::error::HsmError;
use crate::{JoseAlg, PublicJwk};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A key's place in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyState {
    /// Published, not yet signing.
    Next,
    /// Signing.
    Active,
    /// Published, no longer signing.
    Retiring,
    /// Neither published nor signing.
    Retired,
}

impl KeyState {
    /// Lower-case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            KeyState::Next => "next",
            KeyState::Active => "active",
            KeyState::Retiring => "retiring",
            KeyState::Retired => "retired",
        }
    }
}

/// Everything known about one key (stored next to it in the HSM).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyRecord {
    /// The public key; `kid` is its RFC 7638 thumbprint.
    pub jwk: PublicJwk,
    /// Current state.
    pub state: KeyState,
    /// When it was generated (and published).
    pub created: u64,
    /// When it became active.
    pub activated: Option<u64>,
    /// When it stopped signing.
    pub retiring_since: Option<u64>,
    /// When it may leave the JWKS.
    pub retire_after: Option<u64>,
    /// When it left the JWKS.
    pub retired: Option<u64>,
    /// Incremented by every write; the highest revision of a kid wins.
    #[serde(default)]
    pub revision: u64,
}

impl KeyRecord {
    /// A freshly generated key.
    pub fn new(jwk: PublicJwk, now: u64) -> Self {
        Self {
            jwk,
            state: KeyState::Next,
            created: now,
            activated: None,
            retiring_since: None,
            retire_after: None,
            retired: None,
            revision: 0,
        }
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        self.jwk.kid()
    }

    /// The algorithm.
    pub fn alg(&self) -> JoseAlg {
        self.jwk.alg()
    }

    /// Whether the JWKS carries it at `now`.
    pub fn is_published(&self, now: u64) -> bool {
        match self.state {
            KeyState::Next | KeyState::Active => true,
            KeyState::Retiring => self.retire_after.is_none_or(|t| now < t),
            KeyState::Retired => false,
        }
    }
}

/// The timing the rules need.
#[derive(Debug, Clone, Copy)]
pub struct RotationPolicy {
    /// How long verifiers may cache the JWKS (the JWKS `max-age`).
    pub jwks_cache_ttl: Duration,
    /// The longest lifetime of anything the OP signs.
    pub max_token_lifetime: Duration,
    /// How often servers reload the key states.
    pub refresh_interval: Duration,
}

/// What a rotation did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RotationOutcome {
    /// The key that became active, if any.
    pub activated: Option<String>,
    /// The key that started retiring, if any.
    pub retiring: Option<String>,
    /// Keys whose retirement time had passed.
    pub retired: Vec<String>,
    /// Whether a new `next` key must be generated.
    pub needs_next: bool,
}

/// The order in which a change's records are written: indices into
/// `after.records` of those that differ from `before`, a key becoming
/// active first. The token holds one object per record, written one at a
/// time, and a server may reload the ring between two writes; in this
/// order every ring it can read has an active key for each algorithm that
/// had one (for a moment two: the old one, which still signs validly, and
/// the new), never none, which would leave that server unable to sign
/// until its next reload.
pub fn write_order(before: &KeyRing, after: &KeyRing) -> Vec<usize> {
    let mut changed: Vec<usize> = after
        .records
        .iter()
        .enumerate()
        .filter(|(_, record)| before.get(record.kid()) != Some(*record))
        .map(|(i, _)| i)
        .collect();
    changed.sort_by_key(|&i| after.records[i].state != KeyState::Active);
    changed
}

/// All keys, and the rules over them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyRing {
    /// The records, in no particular order.
    pub records: Vec<KeyRecord>,
}

impl KeyRing {
    /// The record of `kid`.
    pub fn get(&self, kid: &str) -> Option<&KeyRecord> {
        self.records.iter().find(|r| r.kid() == kid)
    }

    fn index(&self, kid: &str) -> Result<usize, HsmError> {
        self.records
            .iter()
            .position(|r| r.kid() == kid)
            .ok_or_else(|| HsmError::Lifecycle(format!("no key with kid {kid}")))
    }

    /// The active key of `alg`.
    pub fn active(&self, alg: JoseAlg) -> Option<&KeyRecord> {
        self.records
            .iter()
            .find(|r| r.alg() == alg && r.state == KeyState::Active)
    }

    /// The keys the JWKS carries at `now`.
    pub fn published(&self, now: u64) -> impl Iterator<Item = &KeyRecord> {
        self.records.iter().filter(move |r| r.is_published(now))
    }

    /// Makes `kid` (a `next` key) active; the active key of its algorithm
    /// starts retiring.
    pub fn activate(
        &mut self,
        kid: &str,
        now: u64,
        policy: &RotationPolicy,
    ) -> Result<Option<String>, HsmError> {
        let i = self.index(kid)?;
        let record = &self.records[i];
        if record.state != KeyState::Next {
            return Err(HsmError::Lifecycle(format!(
                "key {kid} is {}, only a next key can be activated",
                record.state.as_str()
            )));
        }
        let alg = record.alg();
        let ever_active = self
            .records
            .iter()
            .any(|r| r.alg() == alg && r.activated.is_some());
        // Every node publishes the key by its next reload at the latest
        // (`refresh_interval` after it was made); a verifier may have cached
        // a JWKS without it just before that, for `jwks_cache_ttl`.
        let ready_at = record
            .created
            .saturating_add(policy.refresh_interval.as_secs())
            .saturating_add(policy.jwks_cache_ttl.as_secs());
        if ever_active && now < ready_at {
            return Err(HsmError::Lifecycle(format!(
                "key {kid} has been published for {}s; nodes reload keys every {}s and verifiers may cache the JWKS for {}s, so it can be activated from unix time {ready_at}",
                now.saturating_sub(record.created),
                policy.refresh_interval.as_secs(),
                policy.jwks_cache_ttl.as_secs()
            )));
        }
        let mut retiring = None;
        if let Some(old) = self
            .records
            .iter_mut()
            .find(|r| r.alg() == alg && r.state == KeyState::Active)
        {
            old.state = KeyState::Retiring;
            old.retiring_since = Some(now);
            old.retire_after =
                Some(now + policy.max_token_lifetime.as_secs() + policy.refresh_interval.as_secs());
            retiring = Some(old.kid().to_string());
        }
        let record = &mut self.records[i];
        record.state = KeyState::Active;
        record.activated = Some(now);
        Ok(retiring)
    }

    /// Takes `kid` out of the JWKS: a `next` key at any time, a `retiring`
    /// key once its `retire_after` has passed; never the active key.
    pub fn retire(&mut self, kid: &str, now: u64) -> Result<(), HsmError> {
        let i = self.index(kid)?;
        let record = &mut self.records[i];
        match record.state {
            KeyState::Next => {}
            KeyState::Retiring => {
                if let Some(at) = record.retire_after.filter(|at| now < *at) {
                    return Err(HsmError::Lifecycle(format!(
                        "key {kid} may still verify live tokens; it can be retired from unix time {at}"
                    )));
                }
            }
            KeyState::Active => {
                return Err(HsmError::Lifecycle(format!(
                    "key {kid} is active: activate another key of its algorithm first"
                )));
            }
            KeyState::Retired => return Err(HsmError::Lifecycle(format!("key {kid} is already retired"))),
        }
        record.state = KeyState::Retired;
        record.retired = Some(now);
        Ok(())
    }

    /// One rotation step for `alg`: retire what has served its time, activate
    /// the `next` key when it has been published long enough (or at once when
    /// the algorithm has no active key yet), and say whether a new `next` key
    /// is needed. Run it again after `jwks_cache_ttl` to complete a rotation
    /// started with no `next` key.
    pub fn rotate(
        &mut self,
        alg: JoseAlg,
        now: u64,
        policy: &RotationPolicy,
    ) -> Result<RotationOutcome, HsmError> {
        let mut outcome = RotationOutcome::default();
        for record in &mut self.records {
            if record.state == KeyState::Retiring && record.retire_after.is_some_and(|at| now >= at) {
                record.state = KeyState::Retired;
                record.retired = Some(now);
                outcome.retired.push(record.kid().to_string());
            }
        }
        let next = self
            .records
            .iter()
            .filter(|r| r.alg() == alg && r.state == KeyState::Next)
            .min_by_key(|r| r.created)
            .map(|r| r.kid().to_string());
        if let Some(kid) = next {
            outcome.retiring = self.activate(&kid, now, policy)?;
            outcome.activated = Some(kid);
        }
        outcome.needs_next = !self
            .records
            .iter()
            .any(|r| r.alg() == alg && r.state == KeyState::Next);
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Signer;
    use crate::SoftwareSigner;

    const POLICY: RotationPolicy = RotationPolicy {
        jwks_cache_ttl: Duration::from_secs(300),
        max_token_lifetime: Duration::from_secs(3600),
        refresh_interval: Duration::from_secs(10),
    };

    fn record(now: u64) -> KeyRecord {
        let jwk = SoftwareSigner::generate(JoseAlg::Es256)
            .unwrap()
            .public_jwk()
            .clone();
        KeyRecord::new(jwk, now)
    }

    #[test]
    fn first_key_activates_at_once_later_ones_wait_for_the_refresh_and_the_jwks_ttl() {
        let mut ring = KeyRing::default();
        ring.records.push(record(1000));
        let outcome = ring.rotate(JoseAlg::Es256, 1000, &POLICY).unwrap();
        assert!(outcome.activated.is_some() && outcome.retiring.is_none() && outcome.needs_next);

        // Made at 1000, in every node's JWKS by 1010, in every verifier's
        // cache by 1310.
        ring.records.push(record(1000));
        let too_early = ring.rotate(JoseAlg::Es256, 1000 + 309, &POLICY).unwrap_err();
        assert!(
            too_early
                .to_string()
                .contains("can be activated from unix time 1310"),
            "{too_early}"
        );
        let outcome = ring.rotate(JoseAlg::Es256, 1310, &POLICY).unwrap();
        assert!(outcome.activated.is_some() && outcome.retiring.is_some());
        let old = ring.get(outcome.retiring.as_deref().unwrap()).unwrap();
        assert_eq!(old.retire_after, Some(1310 + 3600 + 10));
        assert!(old.is_published(1310 + 3609) && !old.is_published(1310 + 3610));
    }

    #[test]
    fn no_unknown_kid_window_across_a_rotation() {
        // A verifier refreshes its JWKS every ttl; every token it sees must be
        // signed by a kid of the JWKS it holds.
        let mut ring = KeyRing::default();
        ring.records.push(record(0));
        ring.rotate(JoseAlg::Es256, 0, &POLICY).unwrap();
        ring.records.push(record(100));
        let mut cached_at = 0;
        let mut cached: Vec<String> = ring.published(0).map(|r| r.kid().to_string()).collect();
        for now in (0..10_000).step_by(10) {
            if now == 410 {
                ring.rotate(JoseAlg::Es256, now, &POLICY).unwrap();
            }
            if now - cached_at >= POLICY.jwks_cache_ttl.as_secs() {
                cached = ring.published(now).map(|r| r.kid().to_string()).collect();
                cached_at = now;
            }
            let signing = ring.active(JoseAlg::Es256).unwrap().kid().to_string();
            assert!(
                cached.contains(&signing),
                "t={now}: {signing} not in the cached JWKS"
            );
        }
    }

    #[test]
    fn active_cannot_be_retired_and_retiring_waits() {
        let mut ring = KeyRing::default();
        ring.records.push(record(0));
        ring.rotate(JoseAlg::Es256, 0, &POLICY).unwrap();
        let first = ring.active(JoseAlg::Es256).unwrap().kid().to_string();
        assert!(ring.retire(&first, 10).is_err());
        ring.records.push(record(0));
        ring.rotate(JoseAlg::Es256, 310, &POLICY).unwrap();
        assert!(ring.retire(&first, 311).is_err());
        ring.retire(&first, 310 + 3610).unwrap();
        assert_eq!(ring.get(&first).unwrap().state, KeyState::Retired);
        assert!(!ring.get(&first).unwrap().is_published(310 + 3610));
    }

    #[test]
    fn every_ring_a_server_can_read_during_a_rotation_has_an_active_key() {
        let mut before = KeyRing::default();
        before.records.push(record(0));
        before.rotate(JoseAlg::Es256, 0, &POLICY).unwrap();
        before.records.push(record(0));
        let mut after = before.clone();
        after.rotate(JoseAlg::Es256, 310, &POLICY).unwrap();
        // The ring a reader sees once `written` records are in the token.
        let seen = |order: &[usize], written: usize| {
            let mut seen = before.clone();
            for &i in &order[..written] {
                let record = &after.records[i];
                match seen.records.iter_mut().find(|s| s.kid() == record.kid()) {
                    Some(stored) => *stored = record.clone(),
                    None => seen.records.push(record.clone()),
                }
            }
            seen
        };
        let order = write_order(&before, &after);
        assert_eq!(order.len(), 2, "the old key and the new one changed");
        assert_eq!(after.records[order[0]].state, KeyState::Active);
        for written in 0..=order.len() {
            assert!(
                seen(&order, written).active(JoseAlg::Es256).is_some(),
                "no active key after {written} writes"
            );
        }
        assert_eq!(seen(&order, order.len()), after);
        // In ring order (old key first) the first write leaves none.
        let ring_order: Vec<usize> = (0..after.records.len())
            .filter(|&i| before.get(after.records[i].kid()) != Some(&after.records[i]))
            .collect();
        assert!(seen(&ring_order, 1).active(JoseAlg::Es256).is_none());
    }

    #[test]
    fn no_unknown_kid_window_when_nodes_reload_at_different_times() {
        // Every node reloads the key states every refresh interval, each at
        // its own phase; a verifier may hold any node's JWKS fetched up to
        // jwks_cache_ttl ago. Rotated at the earliest second the rules
        // allow, no node ever signs with a kid that a JWKS any node served
        // in the last ttl lacks.
        let refresh = POLICY.refresh_interval.as_secs();
        let ttl = POLICY.jwks_cache_ttl.as_secs();
        const END: u64 = 1_000;
        let mut ring = KeyRing::default();
        ring.records.push(record(0));
        ring.rotate(JoseAlg::Es256, 0, &POLICY).unwrap();
        let mut states = Vec::new();
        let mut rotated = None;
        for now in 0..END {
            // The next key is made at 105, between two reloads of most nodes.
            if now == 105 {
                ring.records.push(record(now));
            }
            // `fiducia keys rotate` run every second: it activates the
            // next key at the first second the rules allow.
            if rotated.is_none()
                && now > 105
                && ring
                    .rotate(JoseAlg::Es256, now, &POLICY)
                    .is_ok_and(|outcome| outcome.activated.is_some())
            {
                rotated = Some(now);
            }
            states.push(ring.clone());
        }
        assert_eq!(rotated, Some(105 + refresh + ttl));
        // What node `phase` knows at `now`: the ring at its last reload.
        let view = |phase: u64, now: u64| &states[now.saturating_sub((now + phase) % refresh) as usize];
        let kids: Vec<String> = ring.records.iter().map(|r| r.kid().to_string()).collect();
        for kid in &kids {
            // missing[phase][now]: whether that node's JWKS lacked `kid` then.
            let missing: Vec<Vec<bool>> = (0..refresh)
                .map(|phase| {
                    (0..END)
                        .map(|now| view(phase, now).get(kid).is_none_or(|r| !r.is_published(now)))
                        .collect()
                })
                .collect();
            for now in ttl..END {
                let signs = (0..refresh).any(|phase| {
                    view(phase, now)
                        .active(JoseAlg::Es256)
                        .is_some_and(|r| r.kid() == kid)
                });
                if !signs {
                    continue;
                }
                for (phase, lacked) in missing.iter().enumerate() {
                    let cached_since = (now + 1 - ttl) as usize;
                    assert!(
                        !lacked[cached_since..=now as usize].iter().any(|m| *m),
                        "t={now}: {kid} signs but node {phase}'s JWKS of the last {ttl}s lacked it"
                    );
                }
            }
        }
    }
}
