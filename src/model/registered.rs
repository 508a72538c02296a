//! Dynamically registered clients (RFC 7591) and their registration access
//! tokens (RFC 7592 §3), as the store keeps them.
//!
//! A registered client is found by the client registry like a `[[clients]]`
//! one. Beside its metadata it keeps where it came from (directory,
//! `software_id`, `org_id`, the statement as sent) and a `suspended` flag
//! the registry honours, so that a later trust check (directory status,
//! certificate revocation) can suspend it without deleting it.

use crate::config::AccessTokenFormat;
use crate::protocol::client_auth::{DistinguishedName, TlsClientAuthSubject};
use crate::protocol::registration::metadata::ClientMetadata;
use crate::store::keys::Kind;
use crate::store::record::{Links, StoredRecord};
use serde::{Deserialize, Serialize};

/// Request budget of registered clients (as the `[[clients]]` defaults).
const REQUESTS_PER_SECOND: u32 = 100;
/// Burst of registered clients.
const BURST: u32 = 200;

/// A registered client, by `client_id` (store kind `client`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredClient {
    /// RFC 7591 §3.2.1 `client_id` (a UUID drawn by the OP).
    pub client_id: String,
    /// The metadata in force.
    pub metadata: ClientMetadata,
    /// The directory (`iss` of the statement).
    pub directory: String,
    /// The statement's `software_id`.
    pub software_id: String,
    /// The statement's `org_id`.
    pub org_id: String,
    /// The last software statement, as sent (echoed, RFC 7591 §3.2.1).
    pub software_statement: String,
    /// RFC 7591 §3.2.1 `client_id_issued_at`.
    pub issued_at: u64,
    /// Last change (registration or RFC 7592 update).
    pub updated_at: u64,
    /// Incremented by every update; a client actor holding a snapshot of
    /// another revision is replaced.
    pub revision: u64,
    /// A suspended client is unknown to every endpoint but management.
    pub suspended: bool,
}

impl StoredRecord for RegisteredClient {
    const KIND: Kind = Kind::Client;
    fn links(&self) -> Links {
        Links::default()
    }
}

/// A registration access token (RFC 7592 §3), stored by its SHA-256 only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationAccessToken {
    /// The client it manages.
    pub client_id: String,
}

impl StoredRecord for RegistrationAccessToken {
    const KIND: Kind = Kind::RegistrationAccessToken;
    fn links(&self) -> Links {
        Links {
            client_id: Some(self.client_id.clone()),
            ..Links::default()
        }
    }
}

impl super::Client {
    /// The client a registration describes. Its keys come from `jwks_uri`
    /// (fetched by its actor).
    pub fn from_registered(r: &RegisteredClient) -> Result<Self, String> {
        let m = &r.metadata;
        let tls_subject = match &m.tls_client_auth_subject_dn {
            Some(dn) => Some(TlsClientAuthSubject::SubjectDn(
                DistinguishedName::parse_rfc4514(dn).map_err(|e| format!("client {}: {e}", r.client_id))?,
            )),
            None => None,
        };
        Ok(Self {
            client_id: r.client_id.clone(),
            client_name: m.client_name.clone(),
            redirect_uris: m.redirect_uris.clone(),
            auth_method: m.token_endpoint_auth_method,
            scopes: m.scopes.clone(),
            jwks: Default::default(),
            jwks_uri: Some(m.jwks_uri.clone()),
            tls_subject,
            id_token_alg: m.id_token_signed_response_alg,
            authorization_response_alg: m.authorization_signed_response_alg,
            require_signed_request_object: m.require_signed_request_object,
            requests_per_second: REQUESTS_PER_SECOND,
            burst: BURST,
            authorization_details_types: m.authorization_details_types.clone(),
            access_token_format: AccessTokenFormat::Opaque,
            token_endpoint_auth_signing_alg: m.token_endpoint_auth_signing_alg,
            request_object_signing_alg: m.request_object_signing_alg,
            dpop_bound_access_tokens: m.dpop_bound_access_tokens,
            revision: r.revision,
            // Registered clients follow the OP's `[fapi] profile` until
            // their metadata carries one of its own.
            fapi_profile: None,
        })
    }
}
