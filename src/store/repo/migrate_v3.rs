//! Schema 2 → 3: the flow's records gain `authorization_details` (RFC 9396)
//! as their last field, an `Option<String>`.
//!
//! bincode (standard config) writes a struct as its fields one after the
//! other and `None` as the single byte 0x00, and a value is
//! `(RecordMeta, payload)` concatenated. So a version-2 value of a record
//! whose new field is last becomes a version-3 value by appending 0x00:
//! pushed requests, grants, codes, access and refresh tokens. An
//! interaction holds a pushed request followed by other fields, so its
//! 0x00 goes where the pushed request ends, found by decoding the
//! version-2 pushed request ([`PushedRequestV2`]) as a prefix.
//!
//! One transaction, like every migration: a store with more than about
//! 50,000 such records fails with `TransactionTooLarge` and stays at
//! version 2 (nothing half-done); short-lived records dominate, so waiting
//! for them to expire before upgrading shrinks it.

use super::ops::parse_tail;
use super::record::RecordMeta;
use crate::store::codec;
use crate::store::keys::{self, Kind};
use crate::store::kv::{KvError, RangeOptions, Transaction};
use futures::future::BoxFuture;
use serde::Deserialize;

/// Kinds whose payload ends with the new field.
const APPEND_NONE: &[Kind] = &[
    Kind::PushedAuthorizationRequest,
    Kind::Grant,
    Kind::AuthorizationCode,
    Kind::AccessToken,
    Kind::RefreshToken,
];

/// `model::records::PushedRequest` as schema 2 stored it.
#[derive(Deserialize)]
#[allow(dead_code)] // only decoded, to find where it ends
struct PushedRequestV2 {
    client_id: String,
    redirect_uri: String,
    scopes: Vec<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: String,
    dpop_jkt: Option<String>,
}

/// The migration (see the module documentation).
pub fn add_authorization_details(tx: &Transaction) -> BoxFuture<'_, Result<(), KvError>> {
    Box::pin(async move {
        for &kind in APPEND_NONE.iter().chain([&Kind::Interaction]) {
            let range = keys::subspace_range(&keys::kind_subspace(kind));
            for (key, value) in tx.get_range(&range, RangeOptions::default()).await? {
                let (found, _) = parse_tail(&key)?;
                debug_assert_eq!(found, kind);
                tx.set(&key, &upgrade_value(kind, &value)?)?;
            }
        }
        Ok(())
    })
}

/// The version-3 bytes of a version-2 value of `kind`.
pub fn upgrade_value(kind: Kind, value: &[u8]) -> Result<Vec<u8>, KvError> {
    let mut upgraded = Vec::with_capacity(value.len() + 1);
    if kind == Kind::Interaction {
        let (_, used): ((RecordMeta, PushedRequestV2), usize) = codec::decode_prefix(value)?;
        upgraded.extend_from_slice(&value[..used]);
        upgraded.push(0x00);
        upgraded.extend_from_slice(&value[used..]);
    } else {
        upgraded.extend_from_slice(value);
        upgraded.push(0x00);
    }
    Ok(upgraded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Binding;
    use crate::model::records::{AccessToken, Interaction, PushedRequest, Stage};
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

    fn pushed_v2() -> PushedV2 {
        PushedV2 {
            client_id: "c".into(),
            redirect_uri: "https://c.example/cb".into(),
            scopes: vec!["openid".into()],
            state: Some("s".into()),
            nonce: None,
            code_challenge: "x".repeat(43),
            dpop_jkt: Some("jkt".into()),
        }
    }

    #[test]
    fn a_version_2_access_token_reads_as_version_3_without_details() {
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
        let v2 = AccessTokenV2 {
            client_id: "c".into(),
            account_id: Some("alice".into()),
            scopes: vec!["openid".into()],
            grant_id: "g".into(),
            binding: Binding::Dpop("jkt".into()),
            issued_at: 1,
            expires_at: 2,
        };
        let bytes = codec::encode(&(meta(), v2)).unwrap();
        assert!(codec::decode::<(RecordMeta, AccessToken)>(&bytes).is_err());
        let upgraded = upgrade_value(Kind::AccessToken, &bytes).unwrap();
        let (m, token): (RecordMeta, AccessToken) = codec::decode(&upgraded).unwrap();
        assert_eq!(m, meta());
        assert_eq!(token.grant_id, "g");
        assert_eq!(token.expires_at, 2);
        assert_eq!(token.authorization_details, None);
    }

    #[test]
    fn a_version_2_interaction_gets_the_field_inside_its_pushed_request() {
        #[derive(Serialize)]
        struct InteractionV2 {
            request: PushedV2,
            client_name: String,
            csrf: String,
            stage: Stage,
        }
        let v2 = InteractionV2 {
            request: pushed_v2(),
            client_name: "Client".into(),
            csrf: "csrf".into(),
            stage: Stage::Consent {
                account_id: "alice".into(),
                auth_time: 5,
            },
        };
        let bytes = codec::encode(&(meta(), v2)).unwrap();
        let upgraded = upgrade_value(Kind::Interaction, &bytes).unwrap();
        let (_, ix): (RecordMeta, Interaction) = codec::decode(&upgraded).unwrap();
        assert_eq!(ix.request.dpop_jkt.as_deref(), Some("jkt"));
        assert_eq!(ix.request.authorization_details, None);
        assert_eq!(ix.csrf, "csrf");
        assert!(matches!(ix.stage, Stage::Consent { auth_time: 5, .. }));
        let pushed = codec::encode(&(meta(), pushed_v2())).unwrap();
        let (_, p): (RecordMeta, PushedRequest) =
            codec::decode(&upgrade_value(Kind::PushedAuthorizationRequest, &pushed).unwrap()).unwrap();
        assert_eq!(p.state.as_deref(), Some("s"));
    }

    /// The whole path: a version-2 store with a version-2 token opens as
    /// version 3 (`Repo::open` runs the migration) and the token reads back.
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
        let pushed = codec::encode(&(meta(), pushed_v2())).unwrap();
        let key = keys::record_key(
            Kind::PushedAuthorizationRequest,
            &Kind::PushedAuthorizationRequest.id_key("request-uri-1"),
        );
        store
            .run(|tx, _| {
                let (key, pushed) = (key.clone(), pushed.clone());
                async move {
                    tx.set(&key, &pushed)?;
                    tx.set(&keys::schema_version_key(), &2u32.to_be_bytes())
                }
            })
            .await
            .unwrap();
        let repo = Repo::open(store.clone()).await.unwrap();
        let found = repo
            .find::<PushedRequest>("request-uri-1", 1_000)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.payload.dpop_jkt.as_deref(), Some("jkt"));
        assert_eq!(found.payload.authorization_details, None);
        let version = store
            .run(|tx, _| async move { tx.get(&keys::schema_version_key()).await })
            .await
            .unwrap();
        assert_eq!(version, Some(keys::SCHEMA_VERSION.to_be_bytes().to_vec()));
    }
}
