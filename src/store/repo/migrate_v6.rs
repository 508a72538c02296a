//! Schema 5 → 6: a registered client (`model::registered::RegisteredClient`,
//! kind `client`) gained two last fields, `trusted_since: u64` and
//! `revoked_certificates: Vec<String>`.
//!
//! bincode (standard config) writes a struct as its fields one after the
//! other, a `u64` as a varint (0 is the single byte 0x00) and `None` as the
//! length of an empty sequence as 0x00 too; a value is `(RecordMeta,
//! payload)` concatenated. So a version-5 client becomes a version-6 one by
//! appending 0x00 0x00: `trusted_since` 0 (never suspended since: every
//! token it holds is honoured, as before) and no revoked certificate (the
//! next trust check reads them from the directory). Registered clients are
//! few (one per fintech's software), so one transaction holds them all.

use super::ops::parse_tail;
use crate::store::keys::{self, Kind};
use crate::store::kv::{KvError, RangeOptions, Transaction};
use futures::future::BoxFuture;

/// The migration (see the module documentation).
pub fn migrate(tx: &Transaction) -> BoxFuture<'_, Result<(), KvError>> {
    Box::pin(async move {
        let range = keys::subspace_range(&keys::kind_subspace(Kind::Client));
        for (key, value) in tx.get_range(&range, RangeOptions::default()).await? {
            let (found, _) = parse_tail(&key)?;
            debug_assert_eq!(found, Kind::Client);
            tx.set(&key, &upgrade_value(&value))?;
        }
        Ok(())
    })
}

/// The version-6 bytes of a version-5 registered client.
pub fn upgrade_value(value: &[u8]) -> Vec<u8> {
    let mut upgraded = Vec::with_capacity(value.len() + 2);
    upgraded.extend_from_slice(value);
    upgraded.extend_from_slice(&[0x00, 0x00]);
    upgraded
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::registered::RegisteredClient;
    use crate::protocol::client_auth::TokenEndpointAuthMethod;
    use crate::protocol::registration::metadata::ClientMetadata;
    use crate::store::codec;
    use crate::store::record::RecordMeta;
    use fiducia_hsm::JoseAlg;
    use serde::Serialize;

    fn meta() -> RecordMeta {
        RecordMeta {
            expires_at: None,
            consumed: None,
            client_id: None,
            grant_id: None,
            account_id: None,
            uid: None,
            auth_req_hash: None,
        }
    }

    /// `model::registered::RegisteredClient` as schema 5 stored it.
    #[derive(Serialize)]
    struct RegisteredClientV5 {
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

    fn client_v5() -> RegisteredClientV5 {
        RegisteredClientV5 {
            client_id: "dcr-1".into(),
            metadata: ClientMetadata {
                client_name: "Registered".into(),
                redirect_uris: vec!["https://fintech.example/cb".into()],
                token_endpoint_auth_method: TokenEndpointAuthMethod::TlsClientAuth,
                token_endpoint_auth_signing_alg: None,
                scopes: vec!["openid".into()],
                jwks_uri: "https://fintech.example/jwks".into(),
                tls_client_auth_subject_dn: Some("CN=s,OU=o".into()),
                id_token_signed_response_alg: JoseAlg::Ps256,
                authorization_signed_response_alg: JoseAlg::Ps256,
                request_object_signing_alg: None,
                require_signed_request_object: false,
                authorization_details_types: vec![],
                dpop_bound_access_tokens: false,
                tls_client_certificate_bound_access_tokens: true,
            },
            directory: "d".into(),
            software_id: "s".into(),
            org_id: "o".into(),
            software_statement: "x.y.z".into(),
            issued_at: 1,
            updated_at: 2,
            revision: 3,
            suspended: true,
        }
    }

    #[test]
    fn a_version_5_client_reads_as_version_6_trusted_since_0_nothing_revoked() {
        let bytes = codec::encode(&(meta(), client_v5())).unwrap();
        assert!(codec::decode::<(RecordMeta, RegisteredClient)>(&bytes).is_err());
        let (_, client): (RecordMeta, RegisteredClient) = codec::decode(&upgrade_value(&bytes)).unwrap();
        assert_eq!((client.revision, client.suspended), (3, true));
        assert_eq!(client.trusted_since, 0);
        assert!(client.revoked_certificates.is_empty());
    }

    /// The whole path: a version-5 store opens as version 6 (`Repo::open`
    /// runs the migrations) and its registered client reads back.
    #[tokio::test]
    async fn opening_a_version_5_store_migrates_its_registered_clients() {
        use crate::store::embedded::{EmbeddedBackend, EmbeddedOptions};
        use crate::store::kv::Store;
        use crate::store::repo::Repo;
        use std::sync::Arc;
        let dir = tempfile::tempdir().unwrap();
        let backend = Arc::new(EmbeddedBackend::open(dir.path(), EmbeddedOptions::default()).unwrap());
        let store = Store::new(backend);
        Repo::open(store.clone()).await.unwrap();
        let value = codec::encode(&(meta(), client_v5())).unwrap();
        let key = keys::record_key(Kind::Client, &Kind::Client.id_key("dcr-1"));
        store
            .run(|tx, _| {
                let (key, value) = (key.clone(), value.clone());
                async move {
                    tx.set(&key, &value)?;
                    tx.set(&keys::schema_version_key(), &5u32.to_be_bytes())
                }
            })
            .await
            .unwrap();
        let repo = Repo::open(store.clone()).await.unwrap();
        let found = repo.find::<RegisteredClient>("dcr-1", 10).await.unwrap().unwrap();
        assert_eq!(found.payload.software_id, "s");
        assert_eq!(found.payload.trusted_since, 0);
        let version = store
            .run(|tx, _| async move { tx.get(&keys::schema_version_key()).await })
            .await
            .unwrap();
        assert_eq!(version, Some(keys::SCHEMA_VERSION.to_be_bytes().to_vec()));
    }
}
