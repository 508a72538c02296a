//! Schema 5 → 6: registered clients (`model::registered::RegisteredClient`)
//! gained
//! - keys by value and the transport certificate's subject (registration
//!   profiles, RFC 7591 §2 `jwks`): in their metadata `jwks_uri` became
//!   optional and `jwks` (the JWKS as JSON text) follows it, and the record
//!   has `transport_subject_dn`;
//! - `trusted_since` (a reinstated client's older tokens are not honoured)
//!   and `revoked_certificates` (its directory's revoked transport
//!   certificates, as the trust checks last read them);
//! - `descriptive_metadata`: the RFC 7591 §2 members kept and returned
//!   (`contacts`, `client_uri`, ...), a JSON object as text.
//!
//! The change is in the middle of the value, so each registered client is
//! decoded with its schema-5 shape ([`ClientV5`]) and written again: its
//! `jwks_uri` kept, no `jwks`, no subject (its directory's binding is `uk`
//! or `brazil`, which never reads it), `trusted_since` 0 (every token it
//! holds is honoured, as before), no revoked certificate (the next trust
//! check reads them from the directory), no descriptive members. One transaction, like every
//! migration; registered clients are few.

use super::migrate_v7::{ClientV6, MetadataV6};
use super::ops::parse_tail;
use crate::protocol::client_auth::TokenEndpointAuthMethod;
use crate::protocol::rar::DetailType;
use crate::store::codec;
use crate::store::keys::{self, Kind};
use crate::store::kv::{KvError, RangeOptions, Transaction};
use crate::store::record::RecordMeta;
use fiducia_hsm::JoseAlg;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

/// `ClientMetadata` as schema 5 stored it.
#[derive(Serialize, Deserialize)]
pub(super) struct MetadataV5 {
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    pub token_endpoint_auth_method: TokenEndpointAuthMethod,
    pub token_endpoint_auth_signing_alg: Option<JoseAlg>,
    pub scopes: Vec<String>,
    pub jwks_uri: String,
    pub tls_client_auth_subject_dn: Option<String>,
    pub id_token_signed_response_alg: JoseAlg,
    pub authorization_signed_response_alg: JoseAlg,
    pub request_object_signing_alg: Option<JoseAlg>,
    pub require_signed_request_object: bool,
    pub authorization_details_types: Vec<DetailType>,
    pub dpop_bound_access_tokens: bool,
    pub tls_client_certificate_bound_access_tokens: bool,
}

/// `RegisteredClient` as schema 5 stored it.
#[derive(Serialize, Deserialize)]
pub(super) struct ClientV5 {
    pub client_id: String,
    pub metadata: MetadataV5,
    pub directory: String,
    pub software_id: String,
    pub org_id: String,
    pub software_statement: String,
    pub issued_at: u64,
    pub updated_at: u64,
    pub revision: u64,
    pub suspended: bool,
}

/// The migration (see the module documentation).
pub fn migrate(tx: &Transaction) -> BoxFuture<'_, Result<(), KvError>> {
    Box::pin(async move {
        let range = keys::subspace_range(&keys::kind_subspace(Kind::Client));
        for (key, value) in tx.get_range(&range, RangeOptions::default()).await? {
            let (kind, _) = parse_tail(&key)?;
            debug_assert_eq!(kind, Kind::Client);
            tx.set(&key, &upgrade_value(&value)?)?;
        }
        Ok(())
    })
}

/// The schema-6 bytes of a schema-5 registered client (the 6 → 7
/// migration, `migrate_v7.rs`, then brings them to the current shape).
pub(super) fn upgrade_value(value: &[u8]) -> Result<Vec<u8>, KvError> {
    let (meta, old): (RecordMeta, ClientV5) = codec::decode(value)?;
    let m = old.metadata;
    let new = ClientV6 {
        client_id: old.client_id,
        metadata: MetadataV6 {
            client_name: m.client_name,
            redirect_uris: m.redirect_uris,
            token_endpoint_auth_method: m.token_endpoint_auth_method,
            token_endpoint_auth_signing_alg: m.token_endpoint_auth_signing_alg,
            scopes: m.scopes,
            jwks_uri: Some(m.jwks_uri),
            jwks: None,
            tls_client_auth_subject_dn: m.tls_client_auth_subject_dn,
            id_token_signed_response_alg: m.id_token_signed_response_alg,
            authorization_signed_response_alg: m.authorization_signed_response_alg,
            request_object_signing_alg: m.request_object_signing_alg,
            require_signed_request_object: m.require_signed_request_object,
            authorization_details_types: m.authorization_details_types,
            dpop_bound_access_tokens: m.dpop_bound_access_tokens,
            tls_client_certificate_bound_access_tokens: m.tls_client_certificate_bound_access_tokens,
        },
        directory: old.directory,
        software_id: old.software_id,
        org_id: old.org_id,
        software_statement: old.software_statement,
        issued_at: old.issued_at,
        updated_at: old.updated_at,
        revision: old.revision,
        suspended: old.suspended,
        trusted_since: 0,
        revoked_certificates: Vec::new(),
        transport_subject_dn: None,
        descriptive_metadata: None,
    };
    Ok(codec::encode(&(&meta, &new))?)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn client_v5() -> ClientV5 {
        ClientV5 {
            client_id: "c".into(),
            metadata: MetadataV5 {
                client_name: "n".into(),
                redirect_uris: vec!["https://c.example/cb".into()],
                token_endpoint_auth_method: TokenEndpointAuthMethod::PrivateKeyJwt,
                token_endpoint_auth_signing_alg: Some(JoseAlg::Es256),
                scopes: vec!["openid".into()],
                jwks_uri: "https://c.example/jwks".into(),
                tls_client_auth_subject_dn: None,
                id_token_signed_response_alg: JoseAlg::Ps256,
                authorization_signed_response_alg: JoseAlg::Ps256,
                request_object_signing_alg: None,
                require_signed_request_object: false,
                authorization_details_types: vec![DetailType::AccountInformation],
                dpop_bound_access_tokens: true,
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

    /// A schema-5 registered client reads as schema 6 with its `jwks_uri`,
    /// `trusted_since` 0 and nothing revoked.
    #[test]
    fn a_version_5_registered_client_reads_as_version_6() {
        let (meta, old) = (meta(), client_v5());
        let bytes = codec::encode(&(&meta, &old)).unwrap();
        assert!(codec::decode::<(RecordMeta, ClientV6)>(&bytes).is_err());
        let (m, new): (RecordMeta, ClientV6) = codec::decode(&upgrade_value(&bytes).unwrap()).unwrap();
        assert_eq!(m, meta);
        assert_eq!(new.metadata.jwks_uri.as_deref(), Some("https://c.example/jwks"));
        assert_eq!(new.metadata.jwks, None);
        assert_eq!(
            new.metadata.authorization_details_types,
            vec![DetailType::AccountInformation]
        );
        assert_eq!(
            (new.revision, new.suspended, new.transport_subject_dn),
            (3, true, None)
        );
        assert_eq!(new.trusted_since, 0);
        assert!(new.revoked_certificates.is_empty());
        assert_eq!(new.descriptive_metadata, None);
    }

    /// The whole path: a version-5 store opens as the current version
    /// (`Repo::open` runs the migrations, 5 → 6 → 7) and its registered
    /// client reads back.
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
        let found = repo
            .find::<crate::model::registered::RegisteredClient>("dcr-1", 10)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.payload.software_id, "s");
        assert_eq!(found.payload.trusted_since, 0);
        assert_eq!(found.payload.metadata.id_token_encryption, None);
        let version = store
            .run(|tx, _| async move { tx.get(&keys::schema_version_key()).await })
            .await
            .unwrap();
        assert_eq!(version, Some(keys::SCHEMA_VERSION.to_be_bytes().to_vec()));
    }
}
