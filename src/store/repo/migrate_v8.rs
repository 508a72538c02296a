//! Schema 7 → 8: identity assurance (eKYC).
//!
//! - Customer accounts (`login::user::UserRecord`) gained, as their last
//!   fields, `claims` (`Option<String>`), `verified_claims`
//!   (`Option<String>`), `accounts` (a `Vec`) and `disabled` (`bool`).
//! - Grants, authorization codes, access and refresh tokens gained
//!   `claims` (`Option<String>`, the approved OIDC Core §5.5 request) as
//!   their last field.
//! - Pushed requests gained `claims` too; they and the interactions that
//!   carry one live seconds to minutes, so the ones in flight are dropped
//!   (the customer starts that authorization again), as in schema 3 and 4.
//!
//! bincode (standard config) writes `None`, an empty `Vec` and `false`
//! each as the single byte 0x00, and a value is `(RecordMeta, payload)`
//! concatenated, so a schema-7 value becomes a schema-8 value by appending
//! one zero byte per new field: four for an account, one for the others.
//! No account was disabled before, none had verified claims.
//!
//! One transaction, like every migration: a store with more than about
//! 50,000 such records fails with `TransactionTooLarge` and stays at
//! version 7 (nothing half-done).

use super::migrate_v3::drop_in_flight_authorization_requests;
use super::ops::parse_tail;
use crate::store::keys::{self, Kind};
use crate::store::kv::{KvError, RangeOptions, Transaction};
use futures::future::BoxFuture;

/// Kinds and how many zero bytes their schema-7 values gain.
const APPEND_ZEROS: &[(Kind, usize)] = &[
    (Kind::User, 4),
    (Kind::Grant, 1),
    (Kind::AuthorizationCode, 1),
    (Kind::AccessToken, 1),
    (Kind::RefreshToken, 1),
];

/// The migration (see the module documentation).
pub fn migrate(tx: &Transaction) -> BoxFuture<'_, Result<(), KvError>> {
    Box::pin(async move {
        drop_in_flight_authorization_requests(tx).await?;
        for &(kind, zeros) in APPEND_ZEROS {
            let range = keys::subspace_range(&keys::kind_subspace(kind));
            for (key, value) in tx.get_range(&range, RangeOptions::default()).await? {
                let (found, _) = parse_tail(&key)?;
                debug_assert_eq!(found, kind);
                let mut upgraded = value.to_vec();
                upgraded.resize(value.len() + zeros, 0);
                tx.set(&key, &upgraded)?;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::model::records::Grant;
    use crate::store::codec;
    use crate::store::embedded::{EmbeddedBackend, EmbeddedOptions};
    use crate::store::keys::{self, Kind};
    use crate::store::kv::Store;
    use crate::store::record::RecordMeta;
    use crate::store::repo::Repo;
    use serde::Serialize;
    use std::sync::Arc;

    /// `model::records::Grant` as schema 7 stored it.
    #[derive(Serialize)]
    struct GrantV7 {
        client_id: String,
        account_id: String,
        scopes: Vec<String>,
        created: u64,
        authorization_details: Option<String>,
    }

    /// Writes `(key, value)` pairs into a fresh store marked version 7 and
    /// opens it (which migrates it).
    pub(crate) async fn open_version_7(pairs: Vec<(Vec<u8>, Vec<u8>)>) -> (tempfile::TempDir, Repo) {
        let dir = tempfile::tempdir().unwrap();
        let backend = Arc::new(EmbeddedBackend::open(dir.path(), EmbeddedOptions::default()).unwrap());
        let store = Store::new(backend);
        Repo::open(store.clone()).await.unwrap();
        store
            .run(|tx, _| {
                let pairs = pairs.clone();
                async move {
                    for (key, value) in &pairs {
                        tx.set(key, value)?;
                    }
                    tx.set(&keys::schema_version_key(), &7u32.to_be_bytes())
                }
            })
            .await
            .unwrap();
        let repo = Repo::open(store).await.unwrap();
        (dir, repo)
    }

    /// A version-7 grant reads back after the migration with no approved
    /// `claims` request and everything else unchanged.
    #[tokio::test]
    async fn a_version_7_grant_reads_back_without_claims() {
        let grant = GrantV7 {
            client_id: "c".into(),
            account_id: "acc-alice".into(),
            scopes: vec!["openid".into()],
            created: 5,
            authorization_details: Some("[]".into()),
        };
        let meta = RecordMeta {
            expires_at: None,
            consumed: None,
            client_id: Some("c".into()),
            grant_id: None,
            account_id: Some("acc-alice".into()),
            uid: None,
            auth_req_hash: None,
        };
        let key = keys::record_key(Kind::Grant, &Kind::Grant.id_key("grant-1"));
        let (_dir, repo) = open_version_7(vec![(key, codec::encode(&(meta, grant)).unwrap())]).await;
        let found = repo.find::<Grant>("grant-1", 1).await.unwrap().unwrap().payload;
        assert_eq!(found.account_id, "acc-alice");
        assert_eq!(found.created, 5);
        assert_eq!(found.authorization_details.as_deref(), Some("[]"));
        assert_eq!(found.claims, None);
    }
}
