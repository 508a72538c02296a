//! Revocation of pending CIBA requests, which take no client or customer
//! index entry (`Kind::is_found_by_scan`): found by reading the kind.

use super::*;
use crate::store::embedded::{EmbeddedBackend, EmbeddedOptions};
use crate::store::kv::{RangeOptions, Store};
use crate::store::record::{Links, StoredRecord};
use crate::store::repo::RevocationCause;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

const NOW: u64 = 1_800_000_000;

const REVOKED: GrantRevocation = GrantRevocation {
    cause: RevocationCause::ClientRevocation,
    now: NOW,
    keep_secs: 3600,
};

/// A pending CIBA request's links, as `model::ciba::BackchannelRequest` has them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Pending {
    client_id: String,
    account_id: String,
}

impl StoredRecord for Pending {
    const KIND: Kind = Kind::BackchannelAuthenticationRequest;
    fn links(&self) -> Links {
        Links {
            client_id: Some(self.client_id.clone()),
            account_id: Some(self.account_id.clone()),
            ..Links::default()
        }
    }
}

async fn keys_under(repo: &Repo, prefix: Vec<u8>) -> usize {
    repo.store()
        .run(|tx, _| {
            let range = keys::subspace_range(&prefix);
            async move { Ok(tx.get_range(&range, RangeOptions::default()).await?.len()) }
        })
        .await
        .unwrap()
}

/// 1,100 requests (more than two chunks) of two clients and two customers:
/// none has an index entry; the client's are revoked with it, then one
/// customer's, and the others stay.
#[tokio::test]
async fn pending_ciba_requests_are_revoked_by_client_and_customer_without_index_entries() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Arc::new(EmbeddedBackend::open(dir.path(), EmbeddedOptions::default()).unwrap());
    let repo = Repo::open(Store::new(backend)).await.unwrap();
    repo.store()
        .run(|tx, _| async move {
            for i in 0..1_100 {
                let pending = Pending {
                    client_id: format!("client-{}", i % 2),
                    account_id: if i % 4 < 2 { "alice".into() } else { "bob".into() },
                };
                ops::upsert(&tx, &format!("arid-{i}"), &pending, Some(600), NOW).await?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let kind = Kind::BackchannelAuthenticationRequest;
    for index in [Index::Client, Index::User] {
        assert_eq!(
            keys_under(&repo, keys::index_code_subspace(index)).await,
            0,
            "{index:?}"
        );
    }
    assert_eq!(keys_under(&repo, keys::kind_subspace(kind)).await, 1_100);

    assert_eq!(
        repo.revoke_issued_to_client("client-0", REVOKED).await.unwrap(),
        550
    );
    assert_eq!(repo.revoke_by_account_id("bob", REVOKED).await.unwrap(), 275);
    let left = repo.list::<Pending>(NOW).await.unwrap();
    assert_eq!(left.len(), 275);
    assert!(
        left.iter()
            .all(|p| p.payload.client_id == "client-1" && p.payload.account_id == "alice")
    );
    // Their expiry entries went with them.
    let expiring = repo
        .store()
        .run(|tx, _| async move {
            let range = keys::expiry_range_before(u64::MAX);
            Ok(tx.get_range(&range, RangeOptions::default()).await?.len())
        })
        .await
        .unwrap();
    assert_eq!(expiring, 275);
    assert_eq!(repo.revoke_by_client_id("client-1", REVOKED).await.unwrap(), 275);
    assert_eq!(keys_under(&repo, keys::kind_subspace(kind)).await, 0);
}
