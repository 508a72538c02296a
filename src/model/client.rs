//! A client as the flows see it: metadata plus its parsed public keys.

use crate::config::{AccessTokenFormat, FapiProfile, StaticClientConfig};
use crate::protocol::ciba::CibaClientMetadata;
use crate::protocol::client_auth::DistinguishedName;
use crate::protocol::client_auth::TlsClientAuthSubject;
use crate::protocol::client_auth::TokenEndpointAuthMethod;
use crate::protocol::jose::ClientJwks;
use crate::protocol::jose::jwe::IdTokenEncryption;
use crate::protocol::rar::DetailType;
use fiducia_hsm::JoseAlg;

/// A client's registered metadata and keys (immutable snapshot; the client
/// registry hands out `Arc<Client>`).
#[derive(Debug, Clone)]
pub struct Client {
    /// RFC 7591 `client_id`.
    pub client_id: String,
    /// Human-readable name (consent page).
    pub client_name: String,
    /// Registered redirect URIs, compared exactly (RFC 9700 §2.1, FAPI 2.0 §5.3.2.2).
    pub redirect_uris: Vec<String>,
    /// Client authentication method.
    pub auth_method: TokenEndpointAuthMethod,
    /// Scopes it may request.
    pub scopes: Vec<String>,
    /// Its public keys (private_key_jwt, self-signed mTLS, request objects).
    pub jwks: ClientJwks,
    /// Where its keys are fetched from, when not given inline (RFC 7591 §2).
    pub jwks_uri: Option<String>,
    /// RFC 8705 §2.1.2 registered subject for `tls_client_auth`.
    pub tls_subject: Option<TlsClientAuthSubject>,
    /// The algorithm its ID tokens are signed with.
    pub id_token_alg: JoseAlg,
    /// JARM §3: the algorithm of its JWT authorization responses.
    pub authorization_response_alg: JoseAlg,
    /// RFC 9101 §10.5: only signed request objects are accepted from it.
    pub require_signed_request_object: bool,
    /// Sustained requests per second allowed.
    pub requests_per_second: u32,
    /// Burst above the rate.
    pub burst: u32,
    /// RFC 9396 `authorization_details` types it may ask for.
    pub authorization_details_types: Vec<DetailType>,
    /// Opaque or RFC 9068 JWT access tokens.
    pub access_token_format: AccessTokenFormat,
    /// RFC 7591 §2 `token_endpoint_auth_signing_alg`: the only algorithm of
    /// its client assertions, when registered (any of the FAPI three else).
    pub token_endpoint_auth_signing_alg: Option<JoseAlg>,
    /// OIDC Registration §2 `request_object_signing_alg`: the only
    /// algorithm of its request objects, when registered.
    pub request_object_signing_alg: Option<JoseAlg>,
    /// RFC 9449 §5.2 `dpop_bound_access_tokens`: token requests without a
    /// DPoP proof are refused. Registered clients only (false for `[[clients]]`).
    pub dpop_bound_access_tokens: bool,
    /// Registration revision (`model::registered`); 0 for `[[clients]]`.
    pub revision: u64,
    /// Tokens issued before this time (Unix seconds) are not honoured: a
    /// registered client's `trusted_since` (`model::registered`); 0 for
    /// `[[clients]]`.
    pub trusted_since: u64,
    /// `x5t#S256` of transport certificates its directory revoked
    /// (`model::registered`); empty for `[[clients]]`.
    pub revoked_certificates: Vec<String>,
    /// The FAPI profile of its flows, when it has its own; `None` follows
    /// the OP's `[fapi] profile` ([`Client::profile`]).
    pub fapi_profile: Option<FapiProfile>,
    /// OIDC Registration §2 `id_token_encrypted_response_alg` / `_enc`: its
    /// ID tokens are encrypted to its `enc` key (OIDC Core §10.2).
    pub id_token_encryption: Option<IdTokenEncryption>,
    /// Its CIBA registration (CIBA Core §4), when it may use the
    /// backchannel authentication endpoint.
    pub ciba: Option<ClientCiba>,
}

/// A client's CIBA registration and profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCiba {
    /// CIBA Core §4 metadata.
    pub metadata: CibaClientMetadata,
    /// Whether its requests follow FAPI CIBA (§5.2.2: signed, no push).
    pub fapi: bool,
}

impl ClientCiba {
    /// FAPI CIBA §5.2.2 / CIBA Core §4: only signed requests from it.
    pub fn signed_request_required(&self) -> bool {
        crate::protocol::ciba::fapi_policy::signed_request_required(&self.metadata, self.fapi)
    }
}

impl Client {
    /// Builds a client from a `[[clients]]` entry, reading its JWKS file.
    pub fn from_static(config: &StaticClientConfig) -> anyhow::Result<Self> {
        let jwks = match &config.jwks_file {
            Some(path) => {
                let bytes = std::fs::read(path).map_err(|e| {
                    anyhow::anyhow!("clients.{}.jwks_file {}: {e}", config.client_id, path.display())
                })?;
                ClientJwks::parse(&bytes).map_err(|e| {
                    anyhow::anyhow!("clients.{}.jwks_file {}: {e}", config.client_id, path.display())
                })?
            }
            None => ClientJwks::default(),
        };
        Ok(Self {
            client_id: config.client_id.clone(),
            client_name: config.client_name.clone(),
            redirect_uris: config.redirect_uris.clone(),
            auth_method: config.token_endpoint_auth_method,
            scopes: config.scopes.clone(),
            jwks,
            jwks_uri: config.jwks_uri.clone(),
            tls_subject: match &config.tls_client_auth_subject_dn {
                Some(dn) => Some(TlsClientAuthSubject::SubjectDn(
                    DistinguishedName::parse_rfc4514(dn).map_err(|e| {
                        anyhow::anyhow!("clients.{}.tls_client_auth_subject_dn: {e}", config.client_id)
                    })?,
                )),
                None => None,
            },
            id_token_alg: config.id_token_signed_response_alg,
            authorization_response_alg: config.authorization_signed_response_alg,
            require_signed_request_object: config.require_signed_request_object,
            requests_per_second: config.requests_per_second,
            burst: config.burst,
            authorization_details_types: config.authorization_details_types.clone(),
            access_token_format: config.access_token_format,
            token_endpoint_auth_signing_alg: None,
            request_object_signing_alg: None,
            dpop_bound_access_tokens: false,
            revision: 0,
            trusted_since: 0,
            revoked_certificates: Vec::new(),
            fapi_profile: config.fapi_profile,
            id_token_encryption: config.id_token_encryption(),
            ciba: config.ciba_metadata().map(|metadata| ClientCiba {
                metadata,
                fapi: config.ciba_fapi,
            }),
        })
    }

    /// Whether a token issued to it at `issued_at` and bound by `binding`
    /// is still honoured: not one from before its `trusted_since` (a
    /// registered client reinstated after a suspension does not get back
    /// what it held before), nor one bound to a revoked certificate.
    pub fn honours_token(&self, issued_at: u64, binding: &super::Binding) -> bool {
        let revoked = matches!(binding, super::Binding::Mtls(x5t) if self.certificate_revoked(x5t));
        issued_at >= self.trusted_since && !revoked
    }

    /// Whether its directory revoked the certificate with this `x5t#S256`.
    pub fn certificate_revoked(&self, x5t_s256: &str) -> bool {
        self.revoked_certificates.iter().any(|r| r == x5t_s256)
    }

    /// The profile its flows follow: its own, else the OP's `default`.
    pub fn profile(&self, default: FapiProfile) -> FapiProfile {
        self.fapi_profile.unwrap_or(default)
    }

    /// Whether `uri` is one of the registered redirect URIs, character for character.
    pub fn has_redirect_uri(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|r| r == uri)
    }
}
