//! Schema 2 → 3: pushed requests gained `response_mode` (JARM), and the
//! flow's records gained `authorization_details` (RFC 9396) as their last
//! field, an `Option<String>`.
//!
//! Pushed requests (and the interactions that carry one) live for seconds
//! to minutes, so the ones in flight at the upgrade are deleted with their
//! index and expiry entries rather than rewritten: the customer starts that
//! authorization again.
//!
//! bincode (standard config) writes a struct as its fields one after the
//! other and `None` as the single byte 0x00, and a value is
//! `(RecordMeta, payload)` concatenated. So a version-2 value of a record
//! whose new field is last becomes a version-3 value by appending 0x00:
//! grants, codes, access and refresh tokens.
//!
//! One transaction, like every migration: a store with more than about
//! 50,000 such records fails with `TransactionTooLarge` and stays at
//! version 2 (nothing half-done); short-lived records dominate, so waiting
//! for them to expire before upgrading shrinks it.

use super::ops::{clear_entries, parse_tail};
use crate::store::codec;
use crate::store::keys::{self, Kind};
use crate::store::kv::{KvError, RangeOptions, Transaction};
use crate::store::record::RecordMeta;
use futures::future::BoxFuture;

/// Kinds whose payload ends with the new field.
const APPEND_NONE: &[Kind] = &[
    Kind::Grant,
    Kind::AuthorizationCode,
    Kind::AccessToken,
    Kind::RefreshToken,
];

/// The migration (see the module documentation).
pub fn migrate(tx: &Transaction) -> BoxFuture<'_, Result<(), KvError>> {
    Box::pin(async move {
        drop_in_flight_authorization_requests(tx).await?;
        for &kind in APPEND_NONE {
            let range = keys::subspace_range(&keys::kind_subspace(kind));
            for (key, value) in tx.get_range(&range, RangeOptions::default()).await? {
                let (found, _) = parse_tail(&key)?;
                debug_assert_eq!(found, kind);
                tx.set(&key, &upgrade_value(&value))?;
            }
        }
        Ok(())
    })
}

/// Deletes the pushed requests and interactions in flight, with their index
/// and expiry entries: they live seconds to minutes, so a migration that
/// changes their value drops them rather than rewriting them (the customer
/// starts that authorization again).
pub async fn drop_in_flight_authorization_requests(tx: &Transaction) -> Result<(), KvError> {
    for kind in [Kind::PushedAuthorizationRequest, Kind::Interaction] {
        drop_kind(tx, kind).await?;
    }
    Ok(())
}

/// Deletes every record of `kind` with its index and expiry entries.
pub async fn drop_kind(tx: &Transaction, kind: Kind) -> Result<(), KvError> {
    let range = keys::subspace_range(&keys::kind_subspace(kind));
    for (key, value) in tx.get_range(&range, RangeOptions::default()).await? {
        let (kind, id_key) = parse_tail(&key)?;
        tx.clear(&key)?;
        if let Ok((meta, _)) = codec::decode_prefix::<RecordMeta>(&value) {
            clear_entries(tx, kind, &id_key, &meta)?;
        }
    }
    Ok(())
}

/// The version-3 bytes of a version-2 value of one of [`APPEND_NONE`].
pub fn upgrade_value(value: &[u8]) -> Vec<u8> {
    let mut upgraded = Vec::with_capacity(value.len() + 1);
    upgraded.extend_from_slice(value);
    upgraded.push(0x00);
    upgraded
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Binding;
    use crate::model::records::{AccessToken, PushedRequest};
    use serde::Serialize;

    fn meta() -> RecordMeta {
        RecordMeta {
            expires_at: Some(1_900_000_000),
            consumed: None,
            client_id: Some("c".into()),
            grant_id: None,
            account_id: None,
            uid: None,
            auth_req_hash: None,
        }
    }

    /// `model::records::PushedRequest` as schema 2 stored it.
    #[derive(Serialize)]
    struct PushedV2 {
        client_id: String,
        redirect_uri: String,
        scopes: Vec<String>,
        state: Option<String>,
        nonce: Option<String>,
        code_challenge: String,
        dpop_jkt: Option<String>,
    }

    /// `model::records::AccessToken` as schema 2 stored it.
    #[derive(Serialize)]
    struct AccessTokenV2 {
        client_id: String,
        account_id: Option<String>,
        scopes: Vec<String>,
        grant_id: String,
        binding: Binding,
        issued_at: u64,
        expires_at: u64,
    }

    fn access_token_v2() -> AccessTokenV2 {
        AccessTokenV2 {
            client_id: "c".into(),
            account_id: Some("alice".into()),
            scopes: vec!["openid".into()],
            grant_id: "g".into(),
            binding: Binding::Dpop("jkt".into()),
            issued_at: 1,
            expires_at: 2,
        }
    }

    #[test]
    fn a_version_2_access_token_reads_as_version_3_without_details() {
        let bytes = codec::encode(&(meta(), access_token_v2())).unwrap();
        assert!(codec::decode::<(RecordMeta, AccessToken)>(&bytes).is_err());
        // Read with today's shape: schema 8 appended `claims` too
        // (migrate_v8.rs), one more zero byte.
        let mut upgraded = upgrade_value(&bytes);
        upgraded.push(0x00);
        let (m, token): (RecordMeta, AccessToken) = codec::decode(&upgraded).unwrap();
        assert_eq!(m, meta());
        assert_eq!(token.grant_id, "g");
        assert_eq!(token.expires_at, 2);
        assert_eq!(token.authorization_details, None);
    }

    /// The whole path: a version-2 store opens as version 3 (`Repo::open`
    /// runs the migration); its token reads back, its pushed request in
    /// flight is gone.
    #[tokio::test]
    async fn opening_a_version_2_store_migrates_its_records() {
        use crate::store::embedded::{EmbeddedBackend, EmbeddedOptions};
        use crate::store::kv::Store;
        use crate::store::repo::Repo;
        use std::sync::Arc;
        let dir = tempfile::tempdir().unwrap();
        let backend = Arc::new(EmbeddedBackend::open(dir.path(), EmbeddedOptions::default()).unwrap());
        let store = Store::new(backend);
        Repo::open(store.clone()).await.unwrap();
        let pushed = PushedV2 {
            client_id: "c".into(),
            redirect_uri: "https://c.example/cb".into(),
            scopes: vec!["openid".into()],
            state: Some("s".into()),
            nonce: None,
            code_challenge: "x".repeat(43),
            dpop_jkt: Some("jkt".into()),
        };
        let pushed = codec::encode(&(meta(), pushed)).unwrap();
        let token = codec::encode(&(meta(), access_token_v2())).unwrap();
        let pushed_key = keys::record_key(
            Kind::PushedAuthorizationRequest,
            &Kind::PushedAuthorizationRequest.id_key("request-uri-1"),
        );
        let token_key = keys::record_key(Kind::AccessToken, &Kind::AccessToken.id_key("token-1"));
        store
            .run(|tx, _| {
                let (pushed_key, pushed) = (pushed_key.clone(), pushed.clone());
                let (token_key, token) = (token_key.clone(), token.clone());
                async move {
                    tx.set(&pushed_key, &pushed)?;
                    tx.set(&token_key, &token)?;
                    tx.set(&keys::schema_version_key(), &2u32.to_be_bytes())
                }
            })
            .await
            .unwrap();
        let repo = Repo::open(store.clone()).await.unwrap();
        assert!(
            repo.find::<PushedRequest>("request-uri-1", 1_000)
                .await
                .unwrap()
                .is_none()
        );
        let found = repo.find::<AccessToken>("token-1", 1).await.unwrap().unwrap();
        assert_eq!(found.payload.grant_id, "g");
        assert_eq!(found.payload.authorization_details, None);
        let version = store
            .run(|tx, _| async move { tx.get(&keys::schema_version_key()).await })
            .await
            .unwrap();
        assert_eq!(version, Some(keys::SCHEMA_VERSION.to_be_bytes().to_vec()));
    }
}
