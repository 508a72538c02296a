//! Schema 10 → 11: pending CIBA requests (kind `ciba_request`) are no
//! longer indexed by client and customer (`Kind::is_found_by_scan`); the
//! entries the requests in flight have there are cleared, and the requests
//! themselves stay (their `RecordMeta` still holds both links, which is
//! what revocation now matches them by). One transaction, like every
//! migration: a store holding more than about 25,000 pending requests
//! fails with `TransactionTooLarge` and stays at version 10, nothing
//! half-done (started again once fewer are pending, or after a
//! `[ciba] max_expiry_secs` without new requests).

use super::ops::parse_tail;
use crate::store::codec;
use crate::store::keys::{self, Index, Kind};
use crate::store::kv::{KvError, RangeOptions, Transaction};
use crate::store::record::RecordMeta;
use futures::future::BoxFuture;

/// The migration (see the module documentation).
pub fn migrate(tx: &Transaction) -> BoxFuture<'_, Result<(), KvError>> {
    Box::pin(async move {
        let range = keys::subspace_range(&keys::kind_subspace(Kind::BackchannelAuthenticationRequest));
        for (key, value) in tx.get_range(&range, RangeOptions::default()).await? {
            let (_, id_key) = parse_tail(&key)?;
            let (meta, _) = codec::decode_prefix::<RecordMeta>(&value)?;
            clear_client_and_customer_entries(tx, &id_key, &meta)?;
        }
        Ok(())
    })
}

/// Clears the client and customer index entries a CIBA request had up to
/// schema 10 (`ops::clear_entries` follows the current rules, which no
/// longer name them): also for the migrations before this one that delete
/// such requests (`migrate_v9.rs`).
pub(crate) fn clear_client_and_customer_entries(
    tx: &Transaction,
    id_key: &[u8],
    meta: &RecordMeta,
) -> Result<(), KvError> {
    let kind = Kind::BackchannelAuthenticationRequest;
    let links = [
        (Index::Client, meta.client_id.as_deref()),
        (Index::User, meta.account_id.as_deref()),
    ];
    for (index, link) in links {
        if let Some(link) = link {
            tx.clear(&keys::index_key(index, link.as_bytes(), kind, id_key))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::store::codec;
    use crate::store::embedded::{EmbeddedBackend, EmbeddedOptions};
    use crate::store::keys::{self, Index, Kind};
    use crate::store::kv::Store;
    use crate::store::record::RecordMeta;
    use crate::store::repo::Repo;
    use std::sync::Arc;

    /// A schema-10 CIBA request loses its client and customer entries and
    /// keeps its record and expiry entry; a grant's entries stay.
    #[tokio::test]
    async fn pending_ciba_requests_lose_their_client_and_customer_entries() {
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
        let record = (
            keys::record_key(kind, &id_key),
            codec::encode(&(&meta, ())).unwrap(),
        );
        let expiry = keys::expiry_key(10_000, kind, &id_key);
        let client_entry = keys::index_key(Index::Client, b"fintech-1", kind, &id_key);
        let user_entry = keys::index_key(Index::User, b"alice", kind, &id_key);
        let grant_entry = keys::index_key(Index::Client, b"fintech-1", Kind::Grant, b"grant-1");
        let written = vec![
            record.clone(),
            (expiry.clone(), Vec::new()),
            (client_entry.clone(), Vec::new()),
            (user_entry.clone(), Vec::new()),
            (grant_entry.clone(), Vec::new()),
        ];
        store
            .run(|tx, _| {
                let written = written.clone();
                async move {
                    for (key, value) in &written {
                        tx.set(key, value)?;
                    }
                    tx.set(&keys::schema_version_key(), &10u32.to_be_bytes())
                }
            })
            .await
            .unwrap();

        Repo::open(store.clone()).await.unwrap();

        let present = |key: Vec<u8>| {
            let store = store.clone();
            async move {
                store
                    .run(|tx, _| {
                        let key = key.clone();
                        async move { tx.get(&key).await }
                    })
                    .await
                    .unwrap()
                    .is_some()
            }
        };
        assert!(present(record.0).await, "the request stays");
        assert!(present(expiry).await, "with its expiry entry");
        assert!(!present(client_entry).await, "its client entry is gone");
        assert!(!present(user_entry).await, "its customer entry is gone");
        assert!(present(grant_entry).await, "a grant's entry stays");
        let version = store
            .run(|tx, _| async move { tx.get(&keys::schema_version_key()).await })
            .await
            .unwrap();
        assert_eq!(version, Some(keys::SCHEMA_VERSION.to_be_bytes().to_vec()));
    }
}
