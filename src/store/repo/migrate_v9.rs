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
    use super::super::old_ciba_testing::{migrated_from, present, version};
    use crate::store::keys::{self, Kind};
    use crate::store::kv::RangeOptions;

    /// A schema-8 CIBA request and its index and expiry entries are gone
    /// after the upgrade; a grant next to it stays.
    #[tokio::test]
    async fn pending_ciba_requests_are_dropped_with_their_entries() {
        let dir = tempfile::tempdir().unwrap();
        // The schema-8 payload began with the client and the customer.
        let (store, old) = migrated_from(dir.path(), 8, ("fintech-1", "alice", vec!["openid"])).await;
        for key in [&old.record, &old.client_entry, &old.customer_entry, &old.expiry] {
            assert!(!present(&store, key).await);
        }
        assert!(present(&store, &old.grant).await, "a grant stays");
        assert!(present(&store, &old.grant_entry).await, "with its client entry");
        assert_eq!(
            version(&store).await,
            Some(keys::SCHEMA_VERSION.to_be_bytes().to_vec())
        );
        let left = store
            .run(|tx, _| async move {
                let kind = keys::kind_subspace(Kind::BackchannelAuthenticationRequest);
                tx.get_range(&keys::subspace_range(&kind), RangeOptions::default())
                    .await
            })
            .await
            .unwrap();
        assert!(left.is_empty());
    }
}
