//! Dynamically registered clients (RFC 7591) and their registration access
//! tokens (RFC 7592 §3), as the store keeps them.
//!
//! A registered client is found by the client registry like a `[[clients]]`
//! one. Beside its metadata it keeps where it came from (directory,
//! `software_id`, `org_id`, the statement as sent) and a `suspended` flag
//! the registry honours, so that a later trust check (directory status)
//! can suspend it without deleting it, `trusted_since` (no token from
//! before a reinstatement) and the revoked certificates of its software.

use super::registered_budget::RequestBudget;
use crate::config::AccessTokenFormat;
use crate::protocol::client_auth::{DistinguishedName, TlsClientAuthSubject};
use crate::protocol::jose::ClientJwks;
use crate::protocol::registration::metadata::ClientMetadata;
use crate::store::keys::Kind;
use crate::store::record::{Links, StoredRecord};
use serde::{Deserialize, Serialize};

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
    /// "Trusted since" (Unix seconds): set when a suspension is lifted;
    /// a token issued before it is not honoured (`oauth/trusted_since.rs`),
    /// so a reinstated client does not get back what it held before.
    /// 0: never suspended. Added in store schema 6 (`repo/migrate_v6.rs`).
    pub trusted_since: u64,
    /// `x5t#S256` (RFC 8705 §3.1) of its software's transport certificates
    /// that its directory revoked, as the trust checks last read them
    /// (`oauth/registration/trust.rs`): such a certificate authenticates
    /// nothing of this client and its tokens are not honoured. Added in
    /// store schema 6.
    pub revoked_certificates: Vec<String>,
    /// The RFC 4514 subject of the transport certificate of the last
    /// registration or update (schema 6; `None` for earlier ones). Under
    /// the certificate binding `none` it is what management calls must
    /// present.
    pub transport_subject_dn: Option<String>,
    /// The RFC 7591 §2 members kept and returned but not acted on
    /// (`protocol::registration::descriptive`: `contacts`, `client_uri`,
    /// `logo_uri`, ...), a JSON object as text: self-describing, so a later
    /// member of that kind needs no new schema. `None` for none (and for
    /// clients registered before schema 6).
    pub descriptive_metadata: Option<String>,
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
    /// The client a registration describes, with request budget `budget`
    /// (`registered_budget`). Its keys come from `jwks_uri` (fetched by its
    /// actor) or `jwks` by value.
    pub fn from_registered(r: &RegisteredClient, budget: RequestBudget) -> Result<Self, String> {
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
            jwks: match &m.jwks {
                Some(text) => ClientJwks::parse(text.as_bytes())
                    .map_err(|e| format!("client {}: jwks: {e}", r.client_id))?,
                None => ClientJwks::default(),
            },
            jwks_uri: m.jwks_uri.clone(),
            tls_subject,
            id_token_alg: m.id_token_signed_response_alg,
            authorization_response_alg: m.authorization_signed_response_alg,
            require_signed_request_object: m.require_signed_request_object,
            requests_per_second: budget.requests_per_second,
            burst: budget.burst,
            authorization_details_types: m.authorization_details_types.clone(),
            access_token_format: AccessTokenFormat::Opaque,
            token_endpoint_auth_signing_alg: m.token_endpoint_auth_signing_alg,
            request_object_signing_alg: m.request_object_signing_alg,
            dpop_bound_access_tokens: m.dpop_bound_access_tokens,
            revision: r.revision,
            trusted_since: r.trusted_since,
            revoked_certificates: r.revoked_certificates.clone(),
            // Registered clients follow the OP's `[fapi] profile` until
            // their metadata carries one of its own.
            fapi_profile: None,
            id_token_encryption: m.id_token_encryption,
            // FAPI CIBA §5.2.2: every registered CIBA client follows it.
            ciba: m
                .ciba
                .clone()
                .map(|metadata| super::ClientCiba { metadata, fapi: true }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Binding;
    use crate::protocol::client_auth::TokenEndpointAuthMethod;
    use fiducia_hsm::JoseAlg;

    fn registered(trusted_since: u64, revoked: &[&str]) -> RegisteredClient {
        RegisteredClient {
            client_id: "dcr-1".into(),
            metadata: ClientMetadata {
                client_name: "Registered".into(),
                redirect_uris: vec!["https://fintech.example/cb".into()],
                token_endpoint_auth_method: TokenEndpointAuthMethod::TlsClientAuth,
                token_endpoint_auth_signing_alg: None,
                scopes: vec!["accounts".into()],
                jwks_uri: Some("https://fintech.example/jwks".into()),
                jwks: None,
                tls_client_auth_subject_dn: Some("CN=s,OU=o".into()),
                id_token_signed_response_alg: JoseAlg::Ps256,
                authorization_signed_response_alg: JoseAlg::Ps256,
                request_object_signing_alg: None,
                require_signed_request_object: false,
                authorization_details_types: vec![],
                dpop_bound_access_tokens: false,
                tls_client_certificate_bound_access_tokens: true,
                id_token_encryption: None,
                ciba: None,
            },
            directory: "d".into(),
            software_id: "s".into(),
            org_id: "o".into(),
            software_statement: "x.y.z".into(),
            issued_at: 1,
            updated_at: 1,
            revision: 1,
            suspended: false,
            trusted_since,
            revoked_certificates: revoked.iter().map(|r| r.to_string()).collect(),
            transport_subject_dn: None,
            descriptive_metadata: None,
        }
    }

    /// "Trusted since": a token from before the client's reinstatement is
    /// not honoured, one from its second on is; RFC 8705 §3: nor is a
    /// token bound to a certificate the directory revoked (a DPoP-bound
    /// one is not concerned).
    #[test]
    fn tokens_before_trusted_since_or_bound_to_a_revoked_certificate_are_not_honoured() {
        let client =
            super::super::Client::from_registered(&registered(1_000, &["revoked"]), Default::default())
                .unwrap();
        let bound = Binding::Mtls("current".into());
        assert!(!client.honours_token(999, &bound));
        assert!(client.honours_token(1_000, &bound));
        assert!(!client.honours_token(1_001, &Binding::Mtls("revoked".into())));
        assert!(client.honours_token(1_001, &Binding::Dpop("revoked".into())));
        assert!(client.certificate_revoked("revoked"));
        assert!(!client.certificate_revoked("current"));
        // Never suspended, nothing revoked: every token, as before.
        let fresh = super::super::Client::from_registered(&registered(0, &[]), Default::default()).unwrap();
        assert!(fresh.honours_token(0, &bound));
    }
}
