//! Key administration against the token: the library API behind
//! `fiducia keys ...` (and, later, the Config API).
//!
//! Where the state lives: in the HSM, next to the keys. Each key has a
//! `CKO_DATA` object (`CKA_APPLICATION` = [`METADATA_APPLICATION`],
//! `CKA_LABEL` = `fiducia-meta:<kid>`, private, so reading it needs the user
//! login) whose `CKA_VALUE` is the JSON [`KeyRecord`]. Every node that shares
//! the token sees the same states; nothing about keys lives anywhere else.
//!
//! Every operation writes one audit line (target `fiducia::audit`: who,
//! what, kid, when) and never logs the PIN.

use super::error::HsmError;
use super::keygen::{self, LABEL_PREFIX};
use super::lifecycle::{KeyRecord, KeyRing, KeyState, RotationOutcome, RotationPolicy};
use super::session::TokenConfig;
use crate::{JoseAlg, Jwks};
use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;

/// `CKA_APPLICATION` of the lifecycle records.
pub const METADATA_APPLICATION: &str = "fiducia-key-lifecycle";
const METADATA_LABEL_PREFIX: &str = "fiducia-meta:";

/// Administers the keys of one token.
#[derive(Debug, Clone)]
pub struct KeyAdmin {
    token: TokenConfig,
    policy: RotationPolicy,
}

impl KeyAdmin {
    /// An administrator for `token` under `policy`.
    pub fn new(token: TokenConfig, policy: RotationPolicy) -> Self {
        Self { token, policy }
    }

    /// The rotation policy.
    pub fn policy(&self) -> &RotationPolicy {
        &self.policy
    }

    /// All key records.
    pub fn load(&self) -> Result<KeyRing, HsmError> {
        let session = self.token.open_session(false)?;
        Ok(read_ring(&session)?.0)
    }

    /// Generates a key in the token (state `next`). Blocking.
    pub fn generate(&self, alg: JoseAlg, rsa_bits: u64, who: &str, now: u64) -> Result<KeyRecord, HsmError> {
        let session = self.token.open_session(true)?;
        let key = keygen::generate(&session, alg, rsa_bits)?;
        let record = KeyRecord::new(key.jwk, now);
        create_metadata(&session, &record)?;
        audit(who, "generate", &record, now);
        Ok(record)
    }

    /// Activates a `next` key (see [`KeyRing::activate`]).
    pub fn activate(&self, kid: &str, who: &str, now: u64) -> Result<KeyRing, HsmError> {
        self.update(who, "activate", now, |ring| {
            ring.activate(kid, now, &self.policy).map(drop)
        })
    }

    /// Retires a key (see [`KeyRing::retire`]).
    pub fn retire(&self, kid: &str, who: &str, now: u64) -> Result<KeyRing, HsmError> {
        self.update(who, "retire", now, |ring| ring.retire(kid, now))
    }

    /// One rotation step for `alg` (see [`KeyRing::rotate`]); generates the
    /// new `next` key when one is needed. For an algorithm with no key yet
    /// (bootstrap) the generated key is activated at once and another `next`
    /// key generated, so one command leaves the OP able to sign.
    pub fn rotate(
        &self,
        alg: JoseAlg,
        rsa_bits: u64,
        who: &str,
        now: u64,
    ) -> Result<RotationOutcome, HsmError> {
        let mut outcome = self.rotate_step(alg, rsa_bits, who, now)?;
        if outcome.activated.is_none() && self.load()?.active(alg).is_none() {
            let bootstrap = self.rotate_step(alg, rsa_bits, who, now)?;
            outcome.activated = bootstrap.activated;
            outcome.retired.extend(bootstrap.retired);
        }
        Ok(outcome)
    }

    fn rotate_step(
        &self,
        alg: JoseAlg,
        rsa_bits: u64,
        who: &str,
        now: u64,
    ) -> Result<RotationOutcome, HsmError> {
        let mut outcome = RotationOutcome::default();
        self.update(who, "rotate", now, |ring| {
            outcome = ring.rotate(alg, now, &self.policy)?;
            Ok(())
        })?;
        if outcome.needs_next {
            self.generate(alg, rsa_bits, who, now)?;
        }
        Ok(outcome)
    }

    /// Destroys a retired key's objects and record. Blocking, irreversible.
    pub fn destroy(&self, kid: &str, who: &str, now: u64) -> Result<(), HsmError> {
        let session = self.token.open_session(true)?;
        let (ring, handles) = read_ring(&session)?;
        let record = ring
            .get(kid)
            .ok_or_else(|| HsmError::Lifecycle(format!("no key with kid {kid}")))?;
        if record.state != KeyState::Retired {
            return Err(HsmError::Lifecycle(format!(
                "key {kid} is {}: only retired keys can be destroyed",
                record.state.as_str()
            )));
        }
        let (private, public) = keygen::find_key_objects(&session, kid)?;
        for handle in [private, public].into_iter().flatten() {
            session
                .destroy_object(handle)
                .map_err(|e| HsmError::pkcs11("C_DestroyObject", &e))?;
        }
        for (_, handle) in handles.iter().filter(|(k, _)| k == kid) {
            session
                .destroy_object(*handle)
                .map_err(|e| HsmError::pkcs11("C_DestroyObject", &e))?;
        }
        audit(who, "destroy", record, now);
        Ok(())
    }

    /// The JWKS the OP publishes at `now`.
    pub fn export_jwks(&self, now: u64) -> Result<Jwks, HsmError> {
        Ok(jwks_of(&self.load()?, now))
    }

    fn update(
        &self,
        who: &str,
        operation: &str,
        now: u64,
        change: impl FnOnce(&mut KeyRing) -> Result<(), HsmError>,
    ) -> Result<KeyRing, HsmError> {
        let session = self.token.open_session(true)?;
        let (before, handles) = read_ring(&session)?;
        let mut after = before.clone();
        change(&mut after)?;
        // A server reloading between two of these writes must still find
        // an active key (`lifecycle::write_order`).
        for i in super::lifecycle::write_order(&before, &after) {
            let record = &mut after.records[i];
            record.revision += 1;
            create_metadata(&session, record)?;
            for (_, old) in handles.iter().filter(|(kid, _)| kid == record.kid()) {
                session
                    .destroy_object(*old)
                    .map_err(|e| HsmError::pkcs11("C_DestroyObject", &e))?;
            }
            audit(who, operation, record, now);
        }
        Ok(after)
    }
}

/// The published JWKS of `ring` at `now`.
pub fn jwks_of(ring: &KeyRing, now: u64) -> Jwks {
    Jwks {
        keys: ring.published(now).map(|r| r.jwk.clone()).collect(),
    }
}

fn audit(who: &str, operation: &str, record: &KeyRecord, now: u64) {
    tracing::info!(
        target: "fiducia::audit",
        who,
        operation,
        kid = record.kid(),
        alg = record.alg().as_str(),
        state = record.state.as_str(),
        at = now,
        "key lifecycle"
    );
}

fn read_ring(session: &Session) -> Result<(KeyRing, Vec<(String, ObjectHandle)>), HsmError> {
    let handles = session
        .find_objects(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Application(METADATA_APPLICATION.as_bytes().to_vec()),
        ])
        .map_err(|e| HsmError::pkcs11("C_FindObjects", &e))?;
    let mut ring = KeyRing::default();
    let mut by_kid = Vec::with_capacity(handles.len());
    for handle in handles {
        let value = session
            .get_attributes(handle, &[AttributeType::Value])
            .map_err(|e| HsmError::pkcs11("C_GetAttributeValue", &e))?
            .into_iter()
            .find_map(|a| match a {
                Attribute::Value(v) => Some(v),
                _ => None,
            })
            .unwrap_or_default();
        let record: KeyRecord = serde_json::from_slice(&value).map_err(|e| HsmError::Key {
            kid: "(metadata)".into(),
            reason: format!("unreadable lifecycle record: {e}"),
        })?;
        by_kid.push((record.kid().to_string(), handle));
        match ring.records.iter_mut().find(|r| r.kid() == record.kid()) {
            Some(existing) if existing.revision >= record.revision => {}
            Some(existing) => *existing = record,
            None => ring.records.push(record),
        }
    }
    ring.records.sort_by_key(|r| r.created);
    Ok((ring, by_kid))
}

fn create_metadata(session: &Session, record: &KeyRecord) -> Result<(), HsmError> {
    let value = serde_json::to_vec(record).map_err(|e| HsmError::Lifecycle(e.to_string()))?;
    session
        .create_object(&[
            Attribute::Class(ObjectClass::DATA),
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Modifiable(true),
            Attribute::Application(METADATA_APPLICATION.as_bytes().to_vec()),
            Attribute::Label(format!("{METADATA_LABEL_PREFIX}{}", record.kid()).into_bytes()),
            Attribute::Value(value),
        ])
        .map_err(|e| HsmError::pkcs11("C_CreateObject", &e))?;
    Ok(())
}

/// The label of a key object (`fiducia:<kid>`).
pub fn key_label(kid: &str) -> String {
    format!("{LABEL_PREFIX}{kid}")
}
