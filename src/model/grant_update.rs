//! A pending change of an existing grant (Grant Management for OAuth 2.0
//! §5.2 `merge` / `replace`), carried from the pushed request to the end of
//! its interaction: written at PAR under the `request_uri`, moved under the
//! interaction's id when the authorization endpoint starts it, read when the
//! customer's approval writes the grant (`oauth::grant_management::carry`).
//!
//! A companion record rather than a field of `PushedRequest`: the pushed
//! request is nested in the interaction, so a new field would change the
//! stored shape of both (a new schema version). This one lives in the
//! `replay` kind, like the other short-lived marks with their own ids
//! (`store/keys.rs`): id `grant_update NUL <request_uri | interaction id>`,
//! always with an expiry (the request's or the interaction's), no links,
//! only ever read under its own ids.

use crate::protocol::grant_management::GrantUpdate;
use crate::store::keys::Kind;
use crate::store::record::{Links, StoredRecord};
use serde::{Deserialize, Serialize};

/// The grant an authorization request changes, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingGrantUpdate {
    /// Merge or replace.
    pub update: GrantUpdate,
    /// The grant, already checked at PAR to be the client's and live.
    pub grant_id: String,
}

impl StoredRecord for PendingGrantUpdate {
    const KIND: Kind = Kind::ReplayDetection;
    fn links(&self) -> Links {
        Links::default()
    }
}

/// The record id of the update pending for `holder` (a `request_uri`, then
/// an interaction id).
pub fn record_id(holder: &str) -> String {
    format!("grant_update\u{0}{holder}")
}
