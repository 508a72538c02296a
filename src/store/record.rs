//! What a stored record is: a payload type that knows its kind and links, and
//! the metadata the repo keeps beside it. Below both the repo
//! (`store::repo`) and the payload types (`model`), which implement it.

use crate::store::keys::Kind;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A payload the repo can store: its kind (the subspace) and the ids it is
/// linked to, which become secondary index entries.
pub trait StoredRecord: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The subspace this record lives in.
    const KIND: Kind;

    /// The ids this record is found by besides its own.
    fn links(&self) -> Links;

    /// Fills in, on a payload just read back, the fields it does not store
    /// because its metadata holds them (its links): a kind held in large
    /// numbers (pending CIBA requests) keeps each link once. Called on every
    /// payload the repo decodes. Default: the payload stores everything.
    fn restore(&mut self, _meta: &RecordMeta) {}
}

/// The secondary ids of a record. Each set one is an index entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Links {
    /// The client the record belongs to.
    pub client_id: Option<String>,
    /// The grant it was issued under (revoke-by-grant removes it).
    pub grant_id: Option<String>,
    /// The user (account id).
    pub account_id: Option<String>,
    /// The login session's uid (node-oidc-provider `findByUid`).
    pub uid: Option<String>,
    /// The CIBA `auth_req_id` it belongs to; indexed by its SHA-256 only.
    pub auth_req_id: Option<String>,
}

/// A one-time consumption: when, and by which `consume` call (so a retry
/// after an unknown commit outcome recognises its own win).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consumption {
    /// Unix seconds.
    pub at: u64,
    /// Random id of the `consume` call that won.
    pub by: u128,
}

/// Stored in front of every payload (see the value schema in `keys.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordMeta {
    /// Unix seconds after which the record is gone; `None`: never expires.
    pub expires_at: Option<u64>,
    /// Set once by `consume`.
    pub consumed: Option<Consumption>,
    /// The index entries written for the record: client, grant, account, uid
    /// and SHA-256 of the auth_req_id.
    pub client_id: Option<String>,
    /// See [`Links::grant_id`].
    pub grant_id: Option<String>,
    /// See [`Links::account_id`].
    pub account_id: Option<String>,
    /// See [`Links::uid`].
    pub uid: Option<String>,
    /// SHA-256 of [`Links::auth_req_id`].
    pub auth_req_hash: Option<[u8; 32]>,
}

impl RecordMeta {
    /// Whether the record is gone at `now` (Unix seconds): expired records are
    /// invisible even before the sweeper deletes them.
    pub fn is_expired(&self, now: u64) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

/// A record read back: its payload and metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found<P> {
    /// What was stored.
    pub payload: P,
    /// Expiry and consumption.
    pub meta: RecordMeta,
}

impl<P> Found<P> {
    /// When the record was consumed, if it was.
    pub fn consumed_at(&self) -> Option<u64> {
        self.meta.consumed.map(|c| c.at)
    }
}

/// What `consume` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consumed<P> {
    /// This call consumed the record: it is the one winner.
    Now(Found<P>),
    /// Someone consumed it before (a replay: RFC 6749 §4.1.2 says to revoke
    /// what was issued with the code).
    Already(Found<P>),
    /// No such record, or it expired.
    Missing,
}

/// A record id made of 256 bits from the system's CSPRNG just now (43
/// characters of base64url, the format of the OP's other secrets): the only
/// kind of id the repo's `insert_new` accepts.
///
/// Two such ids are equal with probability 2^-256, so a record stored under
/// one cannot already exist: it is written without reading first, which
/// costs no read and can never conflict with another transaction. The type
/// has no constructor from a string, so an id that came from anywhere else
/// cannot be passed by mistake. Its `Debug` does not show the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct FreshId(String);

impl FreshId {
    /// A new id from 32 random bytes.
    pub fn generate() -> Result<Self, crate::store::kv::KvError> {
        use base64::Engine;
        let mut bytes = [0u8; 32];
        aws_lc_rs::rand::fill(&mut bytes)
            .map_err(|_| crate::store::kv::KvError::Backend("the random generator failed".into()))?;
        Ok(Self(
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
        ))
    }

    /// The id, to hand to its holder.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id, to hand to its holder.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Debug for FreshId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FreshId(…)")
    }
}
