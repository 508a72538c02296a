//! Schema 8 → 9: a pending CIBA request (`model::ciba::BackchannelRequest`,
//! kind `ciba_request`) no longer stores its client and customer in its
//! payload: they are the record's links, which its metadata holds for the
//! index entries, and the repo puts them back on every read
//! (`StoredRecord::restore`). A schema-8 payload starts with those two
//! strings, so it does not read as a schema-9 one.
//!
//! Pending requests live minutes (at most `[ciba] max_expiry_secs`, ten
//! more to answer a late poll), so the ones in flight are dropped with
//! their index and expiry entries, as pushed requests were in schema 8: a
//! client polling one hears `invalid_grant` and asks again. One
//! transaction, like every migration: a store with more than about 50,000
//! of them fails with `TransactionTooLarge` and stays at version 8
//! (nothing half-done; started again once they have expired).

use super::migrate_v11::clear_client_and_customer_entries;
use super::ops::{clear_entries, parse_tail};
use crate::store::codec;
use crate::store::keys::{self, Kind};
use crate::store::kv::{KvError, RangeOptions, Transaction};
use crate::store::record::RecordMeta;
use futures::future::BoxFuture;

/// The migration (see the module documentation). As `migrate_v3::drop_kind`,
/// but the client and customer entries are cleared by schema 8's rules
/// (schema 11 no longer writes them, so `clear_entries` does not name them).
pub fn migrate(tx: &Transaction) -> BoxFuture<'_, Result<(), KvError>> {
    Box::pin(async move {
        let range = keys::subspace_range(&keys::kind_subspace(Kind::BackchannelAuthenticationRequest));
        for (key, value) in tx.get_range(&range, RangeOptions::default()).await? {
            let (kind, id_key) = parse_tail(&key)?;
            tx.clear(&key)?;
            if let Ok((meta, _)) = codec::decode_prefix::<RecordMeta>(&value) {
                clear_entries(tx, kind, &id_key, &meta)?;
                clear_client_and_customer_entries(tx, &id_key, &meta)?;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use crate::store::codec;
    use crate::store::embedded::{EmbeddedBackend, EmbeddedOptions};
    use crate::store::keys::{self, Index, Kind};
    use crate::store::kv::{RangeOptions, Store};
    use crate::store::record::RecordMeta;
    use crate::store::repo::Repo;
    use std::sync::Arc;

    /// A schema-8 CIBA request and its index and expiry entries are gone
    /// after the upgrade; a grant next to it stays.
    #[tokio::test]
    async fn pending_ciba_requests_are_dropped_with_their_entries() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(Arc::new(
            EmbeddedBackend::open(dir.path(), EmbeddedOptions::default()).unwrap(),
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
        // The schema-8 payload began with the client and the customer.
        let value = codec::encode(&(&meta, ("fintech-1", "alice", vec!["openid"]))).unwrap();
        let grant_key = keys::record_key(Kind::Grant, b"grant-1");
        let written = vec![
            (keys::record_key(kind, &id_key), value),
            (
                keys::index_key(Index::Client, b"fintech-1", kind, &id_key),
                Vec::new(),
            ),
            (keys::index_key(Index::User, b"alice", kind, &id_key), Vec::new()),
            (keys::expiry_key(10_000, kind, &id_key), Vec::new()),
            (grant_key.clone(), b"kept".to_vec()),
        ];
        store
            .run(|tx, _| {
                let written = written.clone();
                async move {
                    for (key, value) in &written {
                        tx.set(key, value)?;
                    }
                    tx.set(&keys::schema_version_key(), &8u32.to_be_bytes())
                }
            })
            .await
            .unwrap();
        Repo::open(store.clone()).await.unwrap();
        let left = store
            .run(|tx, _| {
                let written = written.clone();
                async move {
                    let mut left = Vec::new();
                    for (key, _) in &written {
                        left.push(tx.get(key).await?.is_some());
                    }
                    let version = tx.get(&keys::schema_version_key()).await?;
                    let all = tx
                        .get_range(
                            &keys::subspace_range(&keys::kind_subspace(kind)),
                            RangeOptions::default(),
                        )
                        .await?;
                    Ok((left, version, all.len()))
                }
            })
            .await
            .unwrap();
        assert_eq!(left.0, vec![false, false, false, false, true]);
        assert_eq!(left.1.as_deref(), Some(&keys::SCHEMA_VERSION.to_be_bytes()[..]));
        assert_eq!(left.2, 0);
    }
}
