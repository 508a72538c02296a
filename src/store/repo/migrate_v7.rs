//! Schema 6 → 7: a registered client's metadata
//! (`protocol::registration::metadata::ClientMetadata`) gained
//! `id_token_encryption` (OIDC Registration §2
//! `id_token_encrypted_response_alg` / `_enc`: ID tokens encrypted to the
//! client, required by the `cdr` registration profile) and `ciba` (CIBA
//! Core §4 metadata).
//!
//! The field is at the end of the metadata, which is in the middle of the
//! record, so each registered client is decoded with its schema-6 shape
//! ([`ClientV6`]) and written again with no encryption and no CIBA: every
//! client registered before asked for neither (registration did not accept
//! the members). One transaction, like every migration; registered clients
//! are few.

use super::ops::parse_tail;
use crate::model::registered::RegisteredClient;
use crate::protocol::client_auth::TokenEndpointAuthMethod;
use crate::protocol::rar::DetailType;
use crate::protocol::registration::metadata::ClientMetadata;
use crate::store::codec;
use crate::store::keys::{self, Kind};
use crate::store::kv::{KvError, RangeOptions, Transaction};
use crate::store::record::RecordMeta;
use fiducia_hsm::JoseAlg;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

/// `ClientMetadata` as schema 6 stored it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct MetadataV6 {
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    pub token_endpoint_auth_method: TokenEndpointAuthMethod,
    pub token_endpoint_auth_signing_alg: Option<JoseAlg>,
    pub scopes: Vec<String>,
    pub jwks_uri: Option<String>,
    pub jwks: Option<String>,
    pub tls_client_auth_subject_dn: Option<String>,
    pub id_token_signed_response_alg: JoseAlg,
    pub authorization_signed_response_alg: JoseAlg,
    pub request_object_signing_alg: Option<JoseAlg>,
    pub require_signed_request_object: bool,
    pub authorization_details_types: Vec<DetailType>,
    pub dpop_bound_access_tokens: bool,
    pub tls_client_certificate_bound_access_tokens: bool,
}

/// `RegisteredClient` as schema 6 stored it (also what the 5 → 6
/// migration writes, `migrate_v6.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct ClientV6 {
    pub client_id: String,
    pub metadata: MetadataV6,
    pub directory: String,
    pub software_id: String,
    pub org_id: String,
    pub software_statement: String,
    pub issued_at: u64,
    pub updated_at: u64,
    pub revision: u64,
    pub suspended: bool,
    pub trusted_since: u64,
    pub revoked_certificates: Vec<String>,
    pub transport_subject_dn: Option<String>,
    pub descriptive_metadata: Option<String>,
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

/// The schema-7 bytes of a schema-6 registered client.
pub(super) fn upgrade_value(value: &[u8]) -> Result<Vec<u8>, KvError> {
    let (meta, old): (RecordMeta, ClientV6) = codec::decode(value)?;
    let m = old.metadata;
    let new = RegisteredClient {
        client_id: old.client_id,
        metadata: ClientMetadata {
            client_name: m.client_name,
            redirect_uris: m.redirect_uris,
            token_endpoint_auth_method: m.token_endpoint_auth_method,
            token_endpoint_auth_signing_alg: m.token_endpoint_auth_signing_alg,
            scopes: m.scopes,
            jwks_uri: m.jwks_uri,
            jwks: m.jwks,
            tls_client_auth_subject_dn: m.tls_client_auth_subject_dn,
            id_token_signed_response_alg: m.id_token_signed_response_alg,
            authorization_signed_response_alg: m.authorization_signed_response_alg,
            request_object_signing_alg: m.request_object_signing_alg,
            require_signed_request_object: m.require_signed_request_object,
            authorization_details_types: m.authorization_details_types,
            dpop_bound_access_tokens: m.dpop_bound_access_tokens,
            tls_client_certificate_bound_access_tokens: m.tls_client_certificate_bound_access_tokens,
            id_token_encryption: None,
            ciba: None,
        },
        directory: old.directory,
        software_id: old.software_id,
        org_id: old.org_id,
        software_statement: old.software_statement,
        issued_at: old.issued_at,
        updated_at: old.updated_at,
        revision: old.revision,
        suspended: old.suspended,
        trusted_since: old.trusted_since,
        revoked_certificates: old.revoked_certificates,
        transport_subject_dn: old.transport_subject_dn,
        descriptive_metadata: old.descriptive_metadata,
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

    fn client_v6() -> ClientV6 {
        ClientV6 {
            client_id: "c".into(),
            metadata: MetadataV6 {
                client_name: "n".into(),
                redirect_uris: vec!["https://c.example/cb".into()],
                token_endpoint_auth_method: TokenEndpointAuthMethod::PrivateKeyJwt,
                token_endpoint_auth_signing_alg: Some(JoseAlg::Es256),
                scopes: vec!["openid".into()],
                jwks_uri: None,
                jwks: Some("{\"keys\":[]}".into()),
                tls_client_auth_subject_dn: None,
                id_token_signed_response_alg: JoseAlg::Ps256,
                authorization_signed_response_alg: JoseAlg::Ps256,
                request_object_signing_alg: None,
                require_signed_request_object: true,
                authorization_details_types: vec![DetailType::AccountInformation],
                dpop_bound_access_tokens: true,
                tls_client_certificate_bound_access_tokens: false,
            },
            directory: "d".into(),
            software_id: "s".into(),
            org_id: "o".into(),
            software_statement: "x.y.z".into(),
            issued_at: 1,
            updated_at: 2,
            revision: 3,
            suspended: false,
            trusted_since: 4,
            revoked_certificates: vec!["t".into()],
            transport_subject_dn: Some("CN=x".into()),
            descriptive_metadata: Some("{\"contacts\":[\"a@b.example\"]}".into()),
        }
    }

    /// A schema-6 registered client reads as schema 7 with everything it
    /// had and no ID token encryption.
    #[test]
    fn a_version_6_registered_client_reads_as_version_7() {
        let (meta, old) = (meta(), client_v6());
        let bytes = codec::encode(&(&meta, &old)).unwrap();
        assert!(codec::decode::<(RecordMeta, RegisteredClient)>(&bytes).is_err());
        let (m, new): (RecordMeta, RegisteredClient) =
            codec::decode(&upgrade_value(&bytes).unwrap()).unwrap();
        assert_eq!(m, meta);
        assert_eq!(new.metadata.id_token_encryption, None);
        assert_eq!(new.metadata.ciba, None);
        assert_eq!(new.metadata.jwks.as_deref(), Some("{\"keys\":[]}"));
        assert!(new.metadata.require_signed_request_object);
        assert!(!new.metadata.tls_client_certificate_bound_access_tokens);
        assert_eq!(
            (
                new.trusted_since,
                new.revoked_certificates,
                new.transport_subject_dn
            ),
            (4, vec!["t".to_string()], Some("CN=x".to_string()))
        );
        assert_eq!(new.descriptive_metadata, old.descriptive_metadata);
    }
}
