//! The schema version recorded in the store (`keys::SCHEMA_VERSION`). Opening
//! a store checks it: an empty store gets the current version; an older one
//! is migrated step by step by [`MIGRATIONS`] or refused; a newer one, or data
//! without a version, is refused. Data is never read under the wrong schema.

use super::ops::parse_tail;
use crate::store::keys::{self, Index, Kind, SCHEMA_VERSION};
use crate::store::kv::{KeyRange, KvError, RangeOptions, Store, Transaction};
use futures::future::BoxFuture;

/// Why a store cannot be used by this build.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// Written by a newer Fiducia.
    #[error(
        "the store has schema version {found}, newer than this build's {supported}: run the newer Fiducia, or restore a backup made before the upgrade"
    )]
    Newer {
        /// Version in the store.
        found: u32,
        /// Version this build writes.
        supported: u32,
    },
    /// Written by an older Fiducia that no migration covers.
    #[error(
        "the store has schema version {found}, older than this build's {supported}, and no migration exists from it"
    )]
    OlderWithoutMigration {
        /// Version in the store.
        found: u32,
        /// Version this build writes.
        supported: u32,
    },
    /// Keys exist but no schema version: not a Fiducia store, or damaged.
    #[error(
        "the store holds data but no schema version: not a Fiducia store, or damaged; refusing to use it"
    )]
    Unversioned,
    /// The version value is not 4 bytes.
    #[error("the stored schema version is malformed ({0} bytes)")]
    Malformed(usize),
    /// The store failed while checking.
    #[error(transparent)]
    Kv(#[from] KvError),
}

/// A migration from version `from` to `from + 1`, run in one transaction.
pub type Migration = for<'a> fn(&'a Transaction) -> BoxFuture<'a, Result<(), KvError>>;

/// Migrations by the version they start from; a change to `keys.rs` adds one
/// here.
pub const MIGRATIONS: &[(u32, Migration)] = &[
    (1, drop_token_client_and_user_entries),
    (2, super::migrate_v3::migrate),
    (3, drop_in_flight_authorization_requests),
    (4, add_payment_reservations),
    (5, super::migrate_v6::migrate),
    (6, super::migrate_v7::migrate),
    (7, super::migrate_v8::migrate),
    (8, super::migrate_v9::migrate),
    (9, add_audit_trail),
    (10, super::migrate_v11::migrate),
    (11, add_client_documents),
    (12, drop_in_flight_flows),
    (13, add_second_factor),
    (14, add_section_documents),
    (15, add_ciba_app),
    (16, add_revocation_outbox),
];

/// 1 → 2: access and refresh tokens are no longer indexed by client and user
/// (`Kind::is_indexed_by`); their entries in those two indexes are deleted.
/// One transaction, so a version-1 store with more than about 50,000 such
/// entries fails with `TransactionTooLarge` (version 1 existed only during
/// development).
fn drop_token_client_and_user_entries(tx: &Transaction) -> BoxFuture<'_, Result<(), KvError>> {
    Box::pin(async move {
        for index in [Index::Client, Index::User] {
            let range = keys::subspace_range(&keys::index_code_subspace(index));
            for (key, _) in tx.get_range(&range, RangeOptions::default()).await? {
                let (kind, _) = parse_tail(&key)?;
                if matches!(kind, Kind::AccessToken | Kind::RefreshToken) {
                    tx.clear(&key)?;
                }
            }
        }
        Ok(())
    })
}

/// 3 → 4: pushed requests (and the interactions that carry one) gained
/// `openbanking_intent_id`; the ones in flight are dropped.
fn drop_in_flight_authorization_requests(tx: &Transaction) -> BoxFuture<'_, Result<(), KvError>> {
    Box::pin(super::migrate_v3::drop_in_flight_authorization_requests(tx))
}

/// 4 → 5: the kind `payment_reservation` was added; a version-4 store has
/// no record of it, so there is nothing to rewrite (the version bump keeps
/// older builds, whose sweeper does not know the kind, from opening it).
fn add_payment_reservations(_tx: &Transaction) -> BoxFuture<'_, Result<(), KvError>> {
    Box::pin(async { Ok(()) })
}

/// 9 → 10: the audit subspace (66) was added; a version-9 store has no
/// audit keys, so there is nothing to rewrite (the version bump keeps older
/// builds, which change records without auditing them, from opening it).
fn add_audit_trail(_tx: &Transaction) -> BoxFuture<'_, Result<(), KvError>> {
    Box::pin(async { Ok(()) })
}

/// 11 → 12: the kind `client_config` (16) and the generation key were
/// added; a version-11 store has neither, so there is nothing to rewrite
/// (the bump keeps older builds, which would serve a client an operator
/// disabled, from opening it).
fn add_client_documents(_tx: &Transaction) -> BoxFuture<'_, Result<(), KvError>> {
    Box::pin(async { Ok(()) })
}

/// 12 → 13: pushed requests, interactions and authorization codes changed
/// shape (keys.rs, version 13); the ones in flight (minutes at most) are
/// dropped with their entries.
fn drop_in_flight_flows(tx: &Transaction) -> BoxFuture<'_, Result<(), KvError>> {
    Box::pin(async move {
        for kind in [
            Kind::PushedAuthorizationRequest,
            Kind::Interaction,
            Kind::AuthorizationCode,
        ] {
            super::migrate_v3::drop_kind(tx, kind).await?;
        }
        Ok(())
    })
}

/// 13 → 14: customer accounts appended `totp` and refresh tokens
/// `authentication` (each an `Option`: bincode writes `None` as one zero
/// byte, so each stored value gains one; such a refresh token's refreshes
/// carry no ID token, as before); the
/// login's report (`Authenticated`) appended `payment_link` and the
/// interaction gained the `SecondFactor` stage, so the flows in flight are
/// dropped as in 12 → 13.
fn add_second_factor(tx: &Transaction) -> BoxFuture<'_, Result<(), KvError>> {
    Box::pin(async move {
        for kind in [Kind::User, Kind::RefreshToken] {
            let range = keys::subspace_range(&keys::kind_subspace(kind));
            for (key, value) in tx.get_range(&range, RangeOptions::default()).await? {
                let mut upgraded = value.to_vec();
                upgraded.push(0);
                tx.set(&key, &upgraded)?;
            }
        }
        drop_in_flight_flows(tx).await
    })
}

/// 14 → 15: the kind `config_section` (17) and its generation key were
/// added; a version-14 store has neither, so there is nothing to rewrite
/// (the bump keeps older builds, which would still trust a directory or a
/// resource server an operator removed, from opening it).
fn add_section_documents(_tx: &Transaction) -> BoxFuture<'_, Result<(), KvError>> {
    Box::pin(async { Ok(()) })
}

/// 15 → 16: pending CIBA requests appended `app` (an `Option`: bincode
/// writes `None` as one zero byte, so each stored value gains one and
/// stays the device channel's); the interaction's new stage `Abandoned`
/// comes after the existing ones, so nothing else is rewritten.
fn add_ciba_app(tx: &Transaction) -> BoxFuture<'_, Result<(), KvError>> {
    Box::pin(async move {
        let range = keys::subspace_range(&keys::kind_subspace(Kind::BackchannelAuthenticationRequest));
        for (key, value) in tx.get_range(&range, RangeOptions::default()).await? {
            let mut upgraded = value.to_vec();
            upgraded.push(0);
            tx.set(&key, &upgraded)?;
        }
        Ok(())
    })
}

/// 16 → 17: the kind `revocation_notice` (18), the outbox of revocation
/// notices to the API gateways, was added; a version-16 store has none, so
/// there is nothing to rewrite (the bump keeps older builds, whose sweeper
/// does not know the kind and whose revocations would tell no gateway,
/// from opening it).
fn add_revocation_outbox(_tx: &Transaction) -> BoxFuture<'_, Result<(), KvError>> {
    Box::pin(async { Ok(()) })
}

/// Checks, records or migrates the schema version; returns the version found
/// before (`None` for a new store).
pub async fn check_or_initialise(store: &Store) -> Result<Option<u32>, SchemaError> {
    let found = store.run(|tx, _| async move { read_version(&tx).await }).await?;
    match found {
        Ok(Some(v)) if v == SCHEMA_VERSION => Ok(Some(v)),
        Ok(Some(v)) if v > SCHEMA_VERSION => Err(SchemaError::Newer {
            found: v,
            supported: SCHEMA_VERSION,
        }),
        Ok(Some(v)) => migrate(store, v).await.map(|()| Some(v)),
        Ok(None) => {
            let initialised = store
                .run(|tx, _| async move {
                    if tx.get(&keys::schema_version_key()).await?.is_some() {
                        return Ok(true); // another process initialised it
                    }
                    let everything = KeyRange::new(Vec::new(), vec![0xff]);
                    if !tx
                        .get_range(&everything, RangeOptions::limit(1))
                        .await?
                        .is_empty()
                    {
                        return Ok(false);
                    }
                    tx.set(&keys::schema_version_key(), &SCHEMA_VERSION.to_be_bytes())?;
                    Ok(true)
                })
                .await?;
            if initialised {
                Ok(None)
            } else {
                Err(SchemaError::Unversioned)
            }
        }
        Err(e) => Err(e),
    }
}

async fn read_version(tx: &Transaction) -> Result<Result<Option<u32>, SchemaError>, KvError> {
    Ok(match tx.get(&keys::schema_version_key()).await? {
        None => Ok(None),
        Some(bytes) => match <[u8; 4]>::try_from(bytes.as_slice()) {
            Ok(be) => Ok(Some(u32::from_be_bytes(be))),
            Err(_) => Err(SchemaError::Malformed(bytes.len())),
        },
    })
}

async fn migrate(store: &Store, mut version: u32) -> Result<(), SchemaError> {
    while version < SCHEMA_VERSION {
        let Some((_, step)) = MIGRATIONS.iter().find(|(from, _)| *from == version) else {
            return Err(SchemaError::OlderWithoutMigration {
                found: version,
                supported: SCHEMA_VERSION,
            });
        };
        let next = version + 1;
        store
            .run(|tx, _| async move {
                step(&tx).await?;
                tx.set(&keys::schema_version_key(), &next.to_be_bytes())
            })
            .await?;
        tracing::info!(from = version, to = next, "migrated the store schema");
        version = next;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::store::embedded::{EmbeddedBackend, EmbeddedOptions};
    use crate::store::keys::{self, Index, Kind};
    use crate::store::kv::Store;
    use crate::store::record::RecordMeta;
    use crate::store::repo::Repo;
    use std::sync::Arc;

    /// 12 → 13: the pushed requests, interactions and codes in flight are
    /// dropped with their index and expiry entries (their values changed
    /// shape); a grant stays.
    #[tokio::test]
    async fn in_flight_flows_are_dropped_by_the_version_13_migration() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(Arc::new(
            EmbeddedBackend::open(dir.path(), EmbeddedOptions::default()).unwrap(),
        ));
        Repo::open(store.clone()).await.unwrap();
        let meta = RecordMeta {
            expires_at: Some(10_000),
            consumed: None,
            client_id: Some("fintech-1".into()),
            grant_id: None,
            account_id: None,
            uid: None,
            auth_req_hash: None,
        };
        let value = crate::store::codec::encode(&(&meta, "schema-12 bytes")).unwrap();
        let mut written = Vec::new();
        for kind in [
            Kind::PushedAuthorizationRequest,
            Kind::Interaction,
            Kind::AuthorizationCode,
        ] {
            let id_key = kind.id_key("in-flight");
            written.push((keys::record_key(kind, &id_key), value.clone()));
            written.push((
                keys::index_key(Index::Client, b"fintech-1", kind, &id_key),
                Vec::new(),
            ));
            written.push((keys::expiry_key(10_000, kind, &id_key), Vec::new()));
        }
        let grant_key = keys::record_key(Kind::Grant, b"grant-1");
        store
            .run(|tx, _| {
                let (written, grant_key) = (written.clone(), grant_key.clone());
                async move {
                    for (key, value) in &written {
                        tx.set(key, value)?;
                    }
                    tx.set(&grant_key, b"kept")?;
                    tx.set(&keys::schema_version_key(), &12u32.to_be_bytes())
                }
            })
            .await
            .unwrap();
        Repo::open(store.clone()).await.unwrap();
        let (left, grant, version) = store
            .run(|tx, _| {
                let (written, grant_key) = (written.clone(), grant_key.clone());
                async move {
                    let mut left = 0;
                    for (key, _) in &written {
                        left += usize::from(tx.get(key).await?.is_some());
                    }
                    let grant = tx.get(&grant_key).await?.is_some();
                    Ok((left, grant, tx.get(&keys::schema_version_key()).await?))
                }
            })
            .await
            .unwrap();
        assert_eq!(left, 0, "every record and entry of the three kinds is gone");
        assert!(grant, "a grant stays");
        assert_eq!(version, Some(keys::SCHEMA_VERSION.to_be_bytes().to_vec()));
    }

    /// 15 → 16: a pending CIBA request written without `app` (schema 15's
    /// layout: the same bytes less the trailing `None`) reads after the
    /// upgrade as the device channel's, every other field kept.
    #[tokio::test]
    async fn pending_ciba_requests_gain_no_app_in_the_version_16_migration() {
        use crate::model::ciba::BackchannelRequest;
        use crate::protocol::ciba::{CibaStatus, DeliveryMode};
        use crate::store::record::StoredRecord;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(Arc::new(
            EmbeddedBackend::open(dir.path(), EmbeddedOptions::default()).unwrap(),
        ));
        Repo::open(store.clone()).await.unwrap();
        let request = BackchannelRequest {
            client_id: "fintech-1".into(),
            account_id: "alice".into(),
            scopes: vec!["openid".into()],
            authorization_details: None,
            openbanking_intent_id: None,
            binding_message: Some("W4SCT".into()),
            acr_values: Vec::new(),
            delivery_mode: DeliveryMode::Poll,
            client_notification_token: None,
            created_at: 1_000,
            expires_at: 9_000,
            interval: 5,
            last_polled_at: None,
            status: CibaStatus::Pending,
            sender: None,
            grant_id: None,
            app: None,
        };
        let links = request.links();
        let meta = RecordMeta {
            expires_at: Some(request.store_expires_at()),
            consumed: None,
            client_id: links.client_id,
            grant_id: None,
            account_id: links.account_id,
            uid: None,
            auth_req_hash: None,
        };
        let mut old = crate::store::codec::encode(&(&meta, &request)).unwrap();
        assert_eq!(old.pop(), Some(0), "app: None is one trailing zero byte");
        let id = "q0s8VQ9b3oJm6b8u1m3tq0s8VQ9b3oJm6b8u1m3tq0s";
        let key = keys::record_key(
            Kind::BackchannelAuthenticationRequest,
            &Kind::BackchannelAuthenticationRequest.id_key(id),
        );
        store
            .run(|tx, _| {
                let (key, old) = (key.clone(), old.clone());
                async move {
                    tx.set(&key, &old)?;
                    tx.set(&keys::schema_version_key(), &15u32.to_be_bytes())
                }
            })
            .await
            .unwrap();
        let repo = Repo::open(store.clone()).await.unwrap();
        let found = repo.find::<BackchannelRequest>(id, 2_000).await.unwrap().unwrap();
        assert_eq!(found.payload, request);
    }
}
