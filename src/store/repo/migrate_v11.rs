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
    use super::super::old_ciba_testing::{migrated_from, present, version};
    use crate::store::keys;

    /// A schema-10 CIBA request loses its client and customer entries and
    /// keeps its record and expiry entry; a grant stays.
    #[tokio::test]
    async fn pending_ciba_requests_lose_their_client_and_customer_entries() {
        let dir = tempfile::tempdir().unwrap();
        let (store, old) = migrated_from(dir.path(), 10, ()).await;
        assert!(present(&store, &old.record).await, "the request stays");
        assert!(present(&store, &old.expiry).await, "with its expiry entry");
        assert!(
            !present(&store, &old.client_entry).await,
            "its client entry is gone"
        );
        assert!(
            !present(&store, &old.customer_entry).await,
            "its customer entry is gone"
        );
        assert!(present(&store, &old.grant).await, "a grant stays");
        assert!(present(&store, &old.grant_entry).await, "with its client entry");
        assert_eq!(
            version(&store).await,
            Some(keys::SCHEMA_VERSION.to_be_bytes().to_vec())
        );
    }
}
