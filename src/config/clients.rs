//! `[[clients]]`: clients configured statically (the sandbox's fintech,
//! a bank's own apps). Registered clients (DCR) live in the store; both are
//! found through one lookup.

use crate::protocol::client_auth::TokenEndpointAuthMethod;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// What the client's access tokens look like.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessTokenFormat {
    /// 256 random bits; resource servers ask `/introspect` (RFC 7662).
    #[default]
    Opaque,
    /// An RFC 9068 JWT signed by the OP's key (through the HSM), for
    /// gateways that validate tokens offline against `/jwks`; still stored
    /// by hash, so revocation and introspection work as for opaque tokens.
    Jwt,
}

/// One `[[clients]]` entry.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StaticClientConfig {
    /// RFC 7591 §3.2.1 `client_id`.
    pub client_id: String,
    /// Shown to the customer on the consent page.
    pub client_name: String,
    /// Exact redirect URIs (FAPI 2.0 §5.3.2.2: exact match, https).
    pub redirect_uris: Vec<String>,
    /// `private_key_jwt`, `tls_client_auth` or `self_signed_tls_client_auth`.
    pub token_endpoint_auth_method: TokenEndpointAuthMethod,
    /// Scopes the client may ask for.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// The client's public keys as a JWKS file (RFC 7517 §5).
    #[serde(default)]
    pub jwks_file: Option<PathBuf>,
    /// Or the URL they are fetched from (RFC 7591 §2 `jwks_uri`).
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// RFC 8705 §2.1.2 `tls_client_auth_subject_dn` (RFC 4514 string).
    #[serde(default)]
    pub tls_client_auth_subject_dn: Option<String>,
    /// OIDC Registration §2 `id_token_signed_response_alg`. Default ES256.
    #[serde(default = "default_alg")]
    pub id_token_signed_response_alg: fiducia_hsm::JoseAlg,
    /// JARM §3 `authorization_signed_response_alg`: the algorithm of the
    /// client's JWT authorization responses (`response_mode=jwt`). Default
    /// ES256; must be the OP's `signing.alg` (one signing key).
    /// No environment override: `[[clients]]` entries live in the file.
    #[serde(default = "default_alg")]
    pub authorization_signed_response_alg: fiducia_hsm::JoseAlg,
    /// RFC 9101 §10.5 `require_signed_request_object`: PAR refuses this
    /// client's requests unless they come as a signed request object.
    /// Default `false` (`true` for every client under the
    /// `fapi2-message-signing` and `fapi1-advanced` profiles).
    /// No environment override: `[[clients]]` entries live in the file.
    #[serde(default)]
    pub require_signed_request_object: bool,
    /// Requests per second this client may make to PAR and token (a token
    /// bucket per node: N nodes admit up to N × this; beyond it: 429 with
    /// `Retry-After`). Default `100`.
    #[serde(default = "default_rate")]
    pub requests_per_second: u32,
    /// Bucket size: the burst allowed above the rate. Default `200`.
    #[serde(default = "default_burst")]
    pub burst: u32,
    /// RFC 9396 types the client may ask for in `authorization_details`
    /// (`payment_initiation`, `account_information`); any other is refused
    /// with `invalid_authorization_details` (RFC 9396 §5). Default `[]`:
    /// no authorization details.
    #[serde(default)]
    pub authorization_details_types: Vec<crate::protocol::rar::DetailType>,
    /// `opaque` or `jwt` (RFC 9068 JWT access tokens). Default `opaque`.
    #[serde(default)]
    pub access_token_format: AccessTokenFormat,
    /// RFC 9068 §2.2 `aud` of this client's JWT access tokens (only with
    /// `access_token_format = "jwt"`), e.g. the Config API's
    /// `config_api.audience` for an operator's client. Default: the OP's
    /// `tokens.access_token_audience`, else the issuer.
    /// No environment override: `[[clients]]` entries live in the file.
    #[serde(default)]
    pub access_token_audience: Option<String>,
    /// The FAPI profile this client's flows follow: `fapi1-advanced`
    /// (hybrid `code id_token` or JARM, signed request objects, PS256/ES256
    /// only: FAPI 1.0 Part 2 §5.2.2), `fapi2-security` or
    /// `fapi2-message-signing`. Default: the OP's `[fapi] profile`.
    /// No environment override: `[[clients]]` entries live in the file.
    #[serde(default)]
    pub fapi_profile: Option<super::FapiProfile>,
    /// OIDC Registration §2 `id_token_encrypted_response_alg`: when set
    /// (`RSA-OAEP` or `RSA-OAEP-256`, RFC 7518 §4.3), the client's ID
    /// tokens are signed, then encrypted to an RSA key of its JWKS with
    /// `use: enc` or no `use` (OIDC Core §10.2), as the CDR requires.
    /// Default: none (signed only).
    /// No environment override: `[[clients]]` entries live in the file.
    #[serde(default)]
    pub id_token_encrypted_response_alg: Option<crate::protocol::jose::jwe::KeyManagementAlg>,
    /// OIDC Registration §2 `id_token_encrypted_response_enc`: `A256GCM`
    /// (RFC 7518 §5.3), the default when only the `alg` is given; only
    /// together with `id_token_encrypted_response_alg`.
    #[serde(default)]
    pub id_token_encrypted_response_enc: Option<crate::protocol::jose::jwe::ContentEncryption>,
    /// CIBA Core §4 `backchannel_token_delivery_mode` (`poll`, `ping` or
    /// `push`): set, the client may use the backchannel authentication
    /// endpoint (`[ciba]`). Default none: it may not.
    #[serde(default)]
    pub backchannel_token_delivery_mode: Option<crate::protocol::ciba::DeliveryMode>,
    /// CIBA Core §4 `backchannel_client_notification_endpoint`: the https
    /// URL pinged (ping) or sent the tokens (push); a public host unless
    /// `[ciba] danger_allow_private_notification_endpoints`. Default none.
    #[serde(default)]
    pub backchannel_client_notification_endpoint: Option<String>,
    /// CIBA Core §4 `backchannel_authentication_request_signing_alg`
    /// (PS256, ES256, EdDSA): set, only signed authentication requests
    /// with that algorithm are accepted. Default none.
    #[serde(default)]
    pub backchannel_authentication_request_signing_alg: Option<fiducia_hsm::JoseAlg>,
    /// CIBA Core §4 `backchannel_user_code_parameter`: its requests carry
    /// the customer's `user_code` (checked as the customer's password).
    /// Default `false`.
    #[serde(default)]
    pub backchannel_user_code_parameter: bool,
    /// Whether its CIBA requests follow the FAPI CIBA profile (signed
    /// requests, poll or ping only, a binding message unless the request
    /// carries authorization details or an intent). Default `true`;
    /// `false` is plain CIBA Core (push possible where `[ciba]
    /// push_enabled`).
    #[serde(default = "default_ciba_fapi")]
    pub ciba_fapi: bool,
    /// The interaction app (a `[[resource_servers]]` id with an
    /// `interaction_login_url`) that runs this client's login and consent;
    /// `"built-in"` for the built-in pages whatever `[login]
    /// interaction_app` says. Default: `[login] interaction_app`.
    #[serde(default)]
    pub interaction_app: Option<String>,
}

fn default_ciba_fapi() -> bool {
    true
}

impl StaticClientConfig {
    /// Its CIBA registration (CIBA Core §4), when it has a delivery mode.
    pub fn ciba_metadata(&self) -> Option<crate::protocol::ciba::CibaClientMetadata> {
        Some(crate::protocol::ciba::CibaClientMetadata {
            backchannel_token_delivery_mode: self.backchannel_token_delivery_mode?,
            backchannel_client_notification_endpoint: self.backchannel_client_notification_endpoint.clone(),
            backchannel_authentication_request_signing_alg: self
                .backchannel_authentication_request_signing_alg,
            backchannel_user_code_parameter: self.backchannel_user_code_parameter,
        })
    }

    /// Its ID token encryption, when it has the metadata (OIDC
    /// Registration §2: `enc` defaults to A256GCM when only `alg` is
    /// given; `config::checks` refuses an `enc` without an `alg`).
    pub fn id_token_encryption(&self) -> Option<crate::protocol::jose::jwe::IdTokenEncryption> {
        self.id_token_encrypted_response_alg
            .map(|alg| crate::protocol::jose::jwe::IdTokenEncryption {
                alg,
                enc: self
                    .id_token_encrypted_response_enc
                    .unwrap_or(crate::protocol::jose::jwe::ContentEncryption::A256Gcm),
            })
    }
}

fn default_rate() -> u32 {
    100
}

fn default_burst() -> u32 {
    200
}

fn default_scopes() -> Vec<String> {
    vec![
        "openid".into(),
        "profile".into(),
        "email".into(),
        // OIDC Core §11: refresh tokens (oauth/grants/refresh_token.rs).
        "offline_access".into(),
    ]
}

fn default_alg() -> fiducia_hsm::JoseAlg {
    fiducia_hsm::JoseAlg::Es256
}
