//! Schema 5 → 6: registered clients (`model::registered::RegisteredClient`,
//! kind `client`) gained `descriptive_metadata` as their last field, an
//! `Option<String>` (the RFC 7591 §2 members kept and returned: `contacts`,
//! `client_uri`, ...).
//!
//! As in `migrate_v3`: bincode (standard config) writes a struct's fields
//! one after the other and `None` as the single byte 0x00, so a version-5
//! client becomes a version-6 one by appending 0x00. Registered clients are
//! few (one per fintech software), so one transaction holds them.

use super::migrate_v3::upgrade_value;
use super::ops::parse_tail;
use crate::store::keys::{self, Kind};
use crate::store::kv::{KvError, RangeOptions, Transaction};
use futures::future::BoxFuture;

/// The migration (see the module documentation).
pub fn migrate(tx: &Transaction) -> BoxFuture<'_, Result<(), KvError>> {
    Box::pin(async move {
        let range = keys::subspace_range(&keys::kind_subspace(Kind::Client));
        for (key, value) in tx.get_range(&range, RangeOptions::default()).await? {
            let (kind, _) = parse_tail(&key)?;
            if kind == Kind::Client {
                tx.set(&key, &upgrade_value(&value))?;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use crate::model::registered::RegisteredClient;
    use crate::protocol::client_auth::TokenEndpointAuthMethod;
    use crate::protocol::registration::metadata::ClientMetadata;
    use crate::store::codec;
    use crate::store::keys::{self, Kind};
    use crate::store::record::RecordMeta;
    use fiducia_hsm::JoseAlg;
    use serde::Serialize;

    /// `RegisteredClient` as schema 5 stored it.
    #[derive(Serialize)]
    struct RegisteredV5 {
        client_id: String,
        metadata: ClientMetadata,
        directory: String,
        software_id: String,
        org_id: String,
        software_statement: String,
        issued_at: u64,
        updated_at: u64,
        revision: u64,
        suspended: bool,
    }

    /// A version-5 store opens as version 6 (`Repo::open` runs the
    /// migration) and its registered client reads back without kept members.
    #[tokio::test]
    async fn opening_a_version_5_store_keeps_its_registered_clients() {
        use crate::store::embedded::{EmbeddedBackend, EmbeddedOptions};
        use crate::store::kv::Store;
        use crate::store::repo::Repo;
        use std::sync::Arc;
        let dir = tempfile::tempdir().unwrap();
        let backend = Arc::new(EmbeddedBackend::open(dir.path(), EmbeddedOptions::default()).unwrap());
        let store = Store::new(backend);
        Repo::open(store.clone()).await.unwrap();
        let meta = RecordMeta {
            expires_at: None,
            consumed: None,
            client_id: None,
            grant_id: None,
            account_id: None,
            uid: None,
            auth_req_hash: None,
        };
        let v5 = RegisteredV5 {
            client_id: "dcr-1".into(),
            metadata: ClientMetadata {
                client_name: "Registered".into(),
                redirect_uris: vec!["https://fintech.example/cb".into()],
                token_endpoint_auth_method: TokenEndpointAuthMethod::TlsClientAuth,
                token_endpoint_auth_signing_alg: None,
                scopes: vec!["openid".into()],
                jwks_uri: "https://fintech.example/jwks".into(),
                tls_client_auth_subject_dn: Some("CN=soft-1,OU=org-1".into()),
                id_token_signed_response_alg: JoseAlg::Es256,
                authorization_signed_response_alg: JoseAlg::Es256,
                request_object_signing_alg: None,
                require_signed_request_object: false,
                authorization_details_types: vec![],
                dpop_bound_access_tokens: false,
                tls_client_certificate_bound_access_tokens: true,
            },
            directory: "d".into(),
            software_id: "soft-1".into(),
            org_id: "org-1".into(),
            software_statement: "x.y.z".into(),
            issued_at: 1,
            updated_at: 2,
            revision: 3,
            suspended: false,
        };
        let bytes = codec::encode(&(meta, v5)).unwrap();
        assert!(codec::decode::<(RecordMeta, RegisteredClient)>(&bytes).is_err());
        let key = keys::record_key(Kind::Client, &Kind::Client.id_key("dcr-1"));
        store
            .run(|tx, _| {
                let (key, bytes) = (key.clone(), bytes.clone());
                async move {
                    tx.set(&key, &bytes)?;
                    tx.set(&keys::schema_version_key(), &5u32.to_be_bytes())
                }
            })
            .await
            .unwrap();
        let repo = Repo::open(store.clone()).await.unwrap();
        let found = repo.find::<RegisteredClient>("dcr-1", 10).await.unwrap().unwrap();
        assert_eq!(
            (found.payload.revision, found.payload.software_id.as_str()),
            (3, "soft-1")
        );
        assert_eq!(found.payload.descriptive_metadata, None);
        let version = store
            .run(|tx, _| async move { tx.get(&keys::schema_version_key()).await })
            .await
            .unwrap();
        assert_eq!(version, Some(keys::SCHEMA_VERSION.to_be_bytes().to_vec()));
    }
}
