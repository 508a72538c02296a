//! For the migration tests of pending CIBA requests (`migrate_v9.rs`,
//! `migrate_v11.rs`): a store written as an older schema wrote it, opened
//! (so migrated) by the current code, and what is left of it.

use crate::store::codec;
use crate::store::embedded::{EmbeddedBackend, EmbeddedOptions};
use crate::store::keys::{self, Index, Kind};
use crate::store::kv::Store;
use crate::store::record::RecordMeta;
use crate::store::repo::Repo;
use std::sync::Arc;

/// The keys a pending request of `fintech-1` for `alice` had up to schema
/// 10, and a grant's record and client entry beside it.
pub(super) struct OldRequest {
    pub record: Vec<u8>,
    pub client_entry: Vec<u8>,
    pub customer_entry: Vec<u8>,
    pub expiry: Vec<u8>,
    pub grant: Vec<u8>,
    pub grant_entry: Vec<u8>,
}

/// A store whose version is set to `version` after `payload` was written
/// as a pending request's value (behind its `RecordMeta`) with the keys of
/// [`OldRequest`]; then opened, so migrated to the current schema.
pub(super) async fn migrated_from(
    dir: &std::path::Path,
    version: u32,
    payload: impl serde::Serialize,
) -> (Store, OldRequest) {
    let store = Store::new(Arc::new(
        EmbeddedBackend::open(dir, EmbeddedOptions::default()).unwrap(),
    ));
    Repo::open(store.clone()).await.unwrap();
    let kind = Kind::BackchannelAuthenticationRequest;
    let id_key = kind.id_key("auth-req-1");
    let meta = RecordMeta {
        expires_at: Some(10_000),
        consumed: None,
        client_id: Some("fintech-1".into()),
        grant_id: None,
        account_id: Some("alice".into()),
        uid: None,
        auth_req_hash: None,
    };
    let old = OldRequest {
        record: keys::record_key(kind, &id_key),
        client_entry: keys::index_key(Index::Client, b"fintech-1", kind, &id_key),
        customer_entry: keys::index_key(Index::User, b"alice", kind, &id_key),
        expiry: keys::expiry_key(10_000, kind, &id_key),
        grant: keys::record_key(Kind::Grant, b"grant-1"),
        grant_entry: keys::index_key(Index::Client, b"fintech-1", Kind::Grant, b"grant-1"),
    };
    let written = vec![
        (old.record.clone(), codec::encode(&(&meta, payload)).unwrap()),
        (old.client_entry.clone(), Vec::new()),
        (old.customer_entry.clone(), Vec::new()),
        (old.expiry.clone(), Vec::new()),
        (old.grant.clone(), b"kept".to_vec()),
        (old.grant_entry.clone(), Vec::new()),
    ];
    store
        .run(|tx, _| {
            let written = written.clone();
            async move {
                for (key, value) in &written {
                    tx.set(key, value)?;
                }
                tx.set(&keys::schema_version_key(), &version.to_be_bytes())
            }
        })
        .await
        .unwrap();
    Repo::open(store.clone()).await.unwrap();
    (store, old)
}

/// Whether `key` is in `store`.
pub(super) async fn present(store: &Store, key: &[u8]) -> bool {
    let key = key.to_vec();
    store
        .run(|tx, _| {
            let key = key.clone();
            async move { tx.get(&key).await }
        })
        .await
        .unwrap()
        .is_some()
}

/// The schema version `store` records.
pub(super) async fn version(store: &Store) -> Option<Vec<u8>> {
    store
        .run(|tx, _| async move { tx.get(&keys::schema_version_key()).await })
        .await
        .unwrap()
}
