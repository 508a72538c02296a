//! One record of the revocation outbox (`store/repo/outbox.rs`): what one
//! revocation transaction deleted that an API gateway may hold in its
//! introspection cache, kept until every gateway with a notice URL took it
//! (`oauth/revocation_notices/`). Only hashes and grant ids: never a token.

use crate::store::keys::Kind;
use crate::store::record::{Links, StoredRecord};
use serde::{Deserialize, Serialize};

/// What a revocation deleted, to be told to the gateways.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationNotice {
    /// When the revocation ran (Unix seconds); the outbox's age bound
    /// counts from here.
    pub created_at: u64,
    /// The SHA-256 of each access token deleted (the id key the store
    /// keeps it under, `Kind::AccessToken.id_key`).
    pub token_sha256: Vec<[u8; 32]>,
    /// The grants revoked: a gateway drops every cached answer that names
    /// one (`grant_id` of RFC 7662 answers), tokens it never learnt the
    /// hash of included.
    pub grant_ids: Vec<String>,
}

impl RevocationNotice {
    /// Hashes and grant ids together: how much the notice weighs in a
    /// batch.
    pub fn items(&self) -> usize {
        self.token_sha256.len() + self.grant_ids.len()
    }

    /// Whether it names nothing.
    pub fn is_empty(&self) -> bool {
        self.items() == 0
    }
}

impl StoredRecord for RevocationNotice {
    const KIND: Kind = Kind::RevocationNotice;

    /// Never linked: nothing finds a notice but the outbox's own read.
    fn links(&self) -> Links {
        Links::default()
    }
}
