//! Requested client metadata (RFC 7591 §2) checked against the software
//! statement and the FAPI policy; the result is what gets registered.
//!
//! Statement vs request (RFC 7591 §2.3: "values in the software statement
//! take precedence"; UK OBIE DCR 3.3):
//! - `software_id`, if sent, must be the statement's;
//! - `redirect_uris` ⊆ `software_redirect_uris` (default: those of them
//!   that pass the policy),
//!   each https without a fragment and not loopback unless the sandbox
//!   allows it (FAPI 2.0 §5.3.2.2; RFC 9700 §2.1; RFC 8252 §8.3);
//! - `scope` within the scopes the statement's `software_roles` allow
//!   (default: all of them); `authorization_details_types` likewise;
//! - `client_name` and the keys come from the statement when it names
//!   them; keys by value (`jwks`) in the request only where the profile
//!   accepts them (generic, when the statement names no keys), else
//!   refused: they must be the ones the directory publishes.
//!
//! The directory's profile (`profile`) first puts the statement's values
//! in place of the request's and says which scopes the statement allows.
//!
//! FAPI policy (FAPI 2.0 §5.3.2.1, §5.4.1, §5.3.2.2; RFC 8705 §2, §3.4;
//! RFC 9449 §5.2): `token_endpoint_auth_method` is `private_key_jwt`,
//! `tls_client_auth` or `self_signed_tls_client_auth`; algorithms PS256,
//! ES256 or EdDSA; ID token and JARM algorithms the OP's own; only `code`
//! and the grants the OP implements; access tokens sender-constrained
//! (certificate-bound unless DPoP-bound). Unknown members are ignored
//! (RFC 7591 §2).
//!
//! ID token encryption (OIDC Registration §2, `id_token_encryption.rs`):
//! accepted under every profile, required under `cdr`.

use super::RegistrationError;
use super::fields::{alg, boolean, own_alg, strings};
use super::id_token_encryption::id_token_encryption;
use super::profile::{RegistrationProfile, SoftwareKeys, keys_in};
use super::redirect_uri::check_redirect_uri;
use super::roles::role_detail_types;
use super::ssa::SoftwareStatement;
use crate::protocol::ciba::CibaClientMetadata;
use crate::protocol::ciba::fapi_policy::check_ciba_client_policy;
use crate::protocol::client_auth::{DistinguishedName, TokenEndpointAuthMethod};
use crate::protocol::jose::jwe::IdTokenEncryption;
use crate::protocol::rar::DetailType;
use crate::protocol::token_request::{CIBA_GRANT_TYPE, GRANT_TYPES};
use fiducia_hsm::JoseAlg;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// What the OP's configuration says about registrations.
#[derive(Debug, Clone)]
pub struct MetadataPolicy<'a> {
    /// The statement's directory's profile.
    pub profile: RegistrationProfile,
    /// The OP's signing algorithm: ID tokens and JARM responses.
    pub signing_alg: JoseAlg,
    /// `registration.danger_allow_localhost_redirects`.
    pub allow_localhost: bool,
    /// Scopes per software role (the statement's directory).
    pub role_scopes: &'a BTreeMap<String, Vec<String>>,
    /// Subject DNs a client may not register (the resource servers').
    pub reserved_dns: &'a [DistinguishedName],
    /// CIBA at this OP (`[ciba] enabled`); `None`: the CIBA members are
    /// ignored (RFC 7591 §2: metadata the server does not support).
    pub ciba: Option<CibaRegistration>,
}

/// What `[ciba]` says about registering CIBA clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CibaRegistration {
    /// `[ciba] push_enabled` (never for a registered client: every one
    /// follows FAPI CIBA).
    pub push_enabled: bool,
    /// `[ciba] danger_allow_private_notification_endpoints`.
    pub allow_private: bool,
}

/// The metadata of a registered client, as stored and as answered
/// (RFC 7591 §3.2.1 echoes it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientMetadata {
    /// `client_name` (the statement's `software_client_name`).
    pub client_name: String,
    /// `redirect_uris`.
    pub redirect_uris: Vec<String>,
    /// `token_endpoint_auth_method`.
    pub token_endpoint_auth_method: TokenEndpointAuthMethod,
    /// `token_endpoint_auth_signing_alg` (private_key_jwt).
    pub token_endpoint_auth_signing_alg: Option<JoseAlg>,
    /// `scope`, split.
    pub scopes: Vec<String>,
    /// `jwks_uri` (the statement's, e.g. UK `software_jwks_endpoint`).
    pub jwks_uri: Option<String>,
    /// `jwks` by value, as JSON text (exclusive with `jwks_uri`).
    pub jwks: Option<String>,
    /// RFC 8705 §2.1.2 `tls_client_auth_subject_dn` (tls_client_auth).
    pub tls_client_auth_subject_dn: Option<String>,
    /// OIDC Registration §2 `id_token_signed_response_alg`.
    pub id_token_signed_response_alg: JoseAlg,
    /// JARM §3 `authorization_signed_response_alg`.
    pub authorization_signed_response_alg: JoseAlg,
    /// OIDC Registration §2 `request_object_signing_alg`.
    pub request_object_signing_alg: Option<JoseAlg>,
    /// RFC 9101 §10.5 `require_signed_request_object`.
    pub require_signed_request_object: bool,
    /// RFC 9396 §10 `authorization_details_types`.
    pub authorization_details_types: Vec<DetailType>,
    /// RFC 9449 §5.2 `dpop_bound_access_tokens`.
    pub dpop_bound_access_tokens: bool,
    /// RFC 8705 §3.4 `tls_client_certificate_bound_access_tokens`.
    pub tls_client_certificate_bound_access_tokens: bool,
    /// OIDC Registration §2 `id_token_encrypted_response_alg` / `_enc`
    /// (`id_token_encryption.rs`): ID tokens encrypted to the client.
    /// Added in store schema 7 (`store/repo/migrate_v7.rs`).
    pub id_token_encryption: Option<IdTokenEncryption>,
    /// CIBA Core §4 metadata, when the client registered for CIBA (a
    /// registered client follows FAPI CIBA, §5.2.2). Added in store schema 7.
    pub ciba: Option<CibaClientMetadata>,
}

/// Checks `request` (the registration's JSON members) against `ssa` and
/// `policy`. `transport_dn`: the RFC 4514 subject of the transport
/// certificate, registered for `tls_client_auth`.
pub fn check_client_metadata(
    request: &Map<String, Value>,
    ssa: &SoftwareStatement,
    transport_dn: &str,
    policy: &MetadataPolicy<'_>,
) -> Result<ClientMetadata, RegistrationError> {
    policy.profile.check_request(request, ssa)?;
    let request = &policy.profile.effective_request(request, ssa);
    if let Some(id) = request.get("software_id")
        && id.as_str() != Some(ssa.software_id.as_str())
    {
        return Err(RegistrationError::statement(
            "software_id differs from the software statement's (RFC 7591 §2.3)",
        ));
    }
    if request.contains_key("jwks") && !policy.profile.accepts_request_jwks() {
        return Err(RegistrationError::metadata(
            "jwks by value is not accepted: the keys are those the software statement's directory publishes (its software_jwks_endpoint or software_jwks_uri)",
        ));
    }
    let keys = registered_keys(request, ssa)?;
    let redirect_uris = match (strings(request, "redirect_uris")?, &ssa.redirect_uris) {
        (Some(uris), _) => uris,
        // Not asked: the statement's that pass the policy.
        (None, Some(bound)) => bound
            .iter()
            .filter(|uri| check_redirect_uri(uri, policy.allow_localhost).is_ok())
            .cloned()
            .collect(),
        (None, None) => Vec::new(),
    };
    if redirect_uris.is_empty() {
        return Err(RegistrationError::RedirectUri("no usable redirect URI".into()));
    }
    for uri in &redirect_uris {
        if ssa
            .redirect_uris
            .as_ref()
            .is_some_and(|bound| !bound.contains(uri))
        {
            return Err(RegistrationError::RedirectUri(
                "a redirect URI is not among the software statement's redirect URIs (RFC 7591 §2.3)".into(),
            ));
        }
        check_redirect_uri(uri, policy.allow_localhost)?;
    }
    let auth_method: TokenEndpointAuthMethod = match request.get("token_endpoint_auth_method") {
        None => return Err(RegistrationError::metadata("token_endpoint_auth_method is required (FAPI 2.0 §5.3.2.1)")),
        Some(v) => serde_json::from_value(v.clone()).map_err(|_| {
            RegistrationError::metadata(
                "token_endpoint_auth_method must be private_key_jwt, tls_client_auth or self_signed_tls_client_auth (FAPI 2.0 §5.3.2.1)",
            )
        })?,
    };
    let token_endpoint_auth_signing_alg = alg(request, "token_endpoint_auth_signing_alg")?;
    let request_object_signing_alg = alg(request, "request_object_signing_alg")?;
    let id_token_signed_response_alg = own_alg(request, "id_token_signed_response_alg", policy.signing_alg)?;
    let authorization_signed_response_alg =
        own_alg(request, "authorization_signed_response_alg", policy.signing_alg)?;
    let ciba = ciba_metadata(request, policy)?;
    let ciba_polls = ciba
        .as_ref()
        .is_some_and(|c| c.backchannel_token_delivery_mode.uses_token_endpoint());
    if let Some(grants) = strings(request, "grant_types")?
        && grants
            .iter()
            .any(|g| !(GRANT_TYPES.contains(&g.as_str()) || (ciba_polls && g == CIBA_GRANT_TYPE)))
    {
        return Err(RegistrationError::metadata(
            "grant_types may be authorization_code, refresh_token and client_credentials (and urn:openid:params:grant-type:ciba for a CIBA poll or ping client)",
        ));
    }
    if let Some(types) = strings(request, "response_types")?
        && types.iter().any(|t| t != "code")
    {
        return Err(RegistrationError::metadata(
            "response_types may only be code (FAPI 2.0 §5.3.2.2)",
        ));
    }
    let allowed = policy.profile.allowed_scopes(ssa, policy.role_scopes);
    if allowed.is_empty() {
        return Err(RegistrationError::Unapproved(
            "the software statement allows no scope here (its scope or software_roles)".into(),
        ));
    }
    let scopes = match request.get("scope") {
        None => allowed.clone(),
        Some(Value::String(s)) => s
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        Some(_) => return Err(RegistrationError::metadata("scope must be a string")),
    };
    if scopes.iter().any(|s| !allowed.contains(s)) {
        return Err(RegistrationError::metadata(
            "a requested scope is not allowed by the software statement (its scope or software_roles)",
        ));
    }
    // A generic statement's own authorization_details_types bound them;
    // else the roles'.
    let allowed_types = match ssa.metadata.get("authorization_details_types") {
        Some(v) => serde_json::from_value::<Vec<DetailType>>(v.clone())
            .map_err(|_| RegistrationError::statement("authorization_details_types has an unknown type"))?,
        None => role_detail_types(&ssa.roles),
    };
    let authorization_details_types = match request.get("authorization_details_types") {
        None => allowed_types.clone(),
        Some(v) => serde_json::from_value::<Vec<DetailType>>(v.clone())
            .map_err(|_| RegistrationError::metadata("authorization_details_types has an unknown type"))?,
    };
    if authorization_details_types
        .iter()
        .any(|t| !allowed_types.contains(t))
    {
        return Err(RegistrationError::metadata(
            "an authorization_details_type is not allowed by the software statement",
        ));
    }
    let dpop_bound_access_tokens = boolean(request, "dpop_bound_access_tokens")?.unwrap_or(false);
    let tls_bound = boolean(request, "tls_client_certificate_bound_access_tokens")?.unwrap_or(true);
    if !tls_bound && !dpop_bound_access_tokens {
        return Err(RegistrationError::metadata(
            "access tokens must be sender-constrained: DPoP or certificate-bound (FAPI 2.0 §5.3.2.1)",
        ));
    }
    if keys.is_none()
        && matches!(
            auth_method,
            TokenEndpointAuthMethod::PrivateKeyJwt | TokenEndpointAuthMethod::SelfSignedTlsClientAuth
        )
    {
        return Err(RegistrationError::metadata(
            "this token_endpoint_auth_method needs the client's keys: jwks_uri or jwks (RFC 7591 §2)",
        ));
    }
    let (jwks_uri, jwks) = match keys {
        Some(SoftwareKeys::Uri(uri)) => (Some(uri), None),
        Some(SoftwareKeys::Jwks(text)) => (None, Some(text)),
        None => (None, None),
    };
    let client_name = match (&ssa.client_name, request.get("client_name")) {
        (Some(name), _) => name.clone(),
        (None, Some(Value::String(name))) if !name.is_empty() => name.clone(),
        (None, None) => ssa.software_id.clone(),
        (None, Some(_)) => {
            return Err(RegistrationError::metadata(
                "client_name must be a non-empty string",
            ));
        }
    };
    let id_token_encryption = id_token_encryption(request)?;
    if id_token_encryption.is_none() && policy.profile.requires_id_token_encryption() {
        return Err(RegistrationError::metadata(
            "id_token_encrypted_response_alg and id_token_encrypted_response_enc are required: ID tokens are encrypted to the software (CDR Register DCR)",
        ));
    }
    let tls_client_auth_subject_dn = match auth_method {
        TokenEndpointAuthMethod::TlsClientAuth => Some(subject_dn(request, transport_dn, policy)?),
        _ => None,
    };
    Ok(ClientMetadata {
        client_name,
        redirect_uris,
        token_endpoint_auth_method: auth_method,
        token_endpoint_auth_signing_alg,
        scopes,
        jwks_uri,
        jwks,
        tls_client_auth_subject_dn,
        id_token_signed_response_alg,
        authorization_signed_response_alg,
        request_object_signing_alg,
        require_signed_request_object: boolean(request, "require_signed_request_object")?.unwrap_or(false),
        authorization_details_types,
        dpop_bound_access_tokens,
        tls_client_certificate_bound_access_tokens: tls_bound,
        id_token_encryption,
        ciba,
    })
}

/// CIBA Core §4 members, checked with the FAPI CIBA policy (§5.2.2: poll
/// or ping; every registered client follows it), when CIBA is on.
fn ciba_metadata(
    request: &Map<String, Value>,
    policy: &MetadataPolicy<'_>,
) -> Result<Option<CibaClientMetadata>, RegistrationError> {
    let Some(ciba) = policy.ciba else {
        return Ok(None);
    };
    let refused = |e: crate::protocol::error::OAuthError| {
        RegistrationError::metadata(e.description.unwrap_or_else(|| "invalid CIBA metadata".into()))
    };
    let metadata = CibaClientMetadata::from_metadata(request, ciba.allow_private).map_err(refused)?;
    if let Some(metadata) = &metadata {
        check_ciba_client_policy(metadata, true, ciba.push_enabled).map_err(refused)?;
    }
    Ok(metadata)
}

/// RFC 8705 §2.1.2: the registered DN is the transport certificate's; a
/// requested one must be the same name (RFC 4517 distinguishedNameMatch).
fn subject_dn(
    request: &Map<String, Value>,
    transport_dn: &str,
    policy: &MetadataPolicy<'_>,
) -> Result<String, RegistrationError> {
    let actual = DistinguishedName::parse_rfc4514(transport_dn)
        .map_err(|_| RegistrationError::metadata("the transport certificate subject is not a DN"))?;
    if let Some(requested) = request.get("tls_client_auth_subject_dn") {
        let same = requested
            .as_str()
            .and_then(|dn| DistinguishedName::parse_rfc4514(dn).ok())
            .is_some_and(|dn| dn.matches(&actual));
        if !same {
            return Err(RegistrationError::metadata(
                "tls_client_auth_subject_dn is not the transport certificate's subject (RFC 8705 §2.1.2)",
            ));
        }
    }
    if policy.reserved_dns.iter().any(|dn| dn.matches(&actual)) {
        return Err(RegistrationError::metadata(
            "this certificate subject belongs to a resource server",
        ));
    }
    Ok(transport_dn.to_string())
}

/// The keys to register: the statement's when it names them (RFC 7591
/// §2.3), else the request's `jwks_uri` or `jwks` (whether the request
/// may carry `jwks` at all was checked against the profile).
fn registered_keys(
    request: &Map<String, Value>,
    ssa: &SoftwareStatement,
) -> Result<Option<SoftwareKeys>, RegistrationError> {
    match &ssa.keys {
        Some(keys) => Ok(Some(keys.clone())),
        None => keys_in(request),
    }
}
