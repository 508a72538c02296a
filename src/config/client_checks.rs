//! The rules one `[[clients]]` entry must pass, as a list with one message
//! per bad field: start-up (`checks.rs` `check_clients`) stops at the first;
//! a client document an operator writes live (`oauth/managed_clients/`)
//! gets them all, for the Config API's RFC 9457 problem details.

use super::load::ConfigError;
use super::{Config, FapiProfile, SenderConstraint, StaticClientConfig};

/// Every problem of `client` under `config`, in the order start-up checks
/// them (FAPI 2.0 §5.3.2.1: exact https redirect URIs; what the auth
/// method needs; keys; OIDC Registration §2 algorithms; CIBA Core §4;
/// FAPI 1.0 Part 2 §8.6). Empty: the entry is valid.
pub fn client_problems(config: &Config, client: &StaticClientConfig) -> Vec<ConfigError> {
    let field = |name: &str| format!("clients.{}.{name}", client.client_id);
    let mut problems = Vec::new();
    if client.redirect_uris.is_empty() || client.redirect_uris.iter().any(|u| !u.starts_with("https://")) {
        problems.push(ConfigError::new(
            field("redirect_uris"),
            "clients",
            "at least one, all https",
        ));
    }
    use crate::protocol::client_auth::TokenEndpointAuthMethod::*;
    let ok = match client.token_endpoint_auth_method {
        PrivateKeyJwt | SelfSignedTlsClientAuth => client.jwks_file.is_some() || client.jwks_uri.is_some(),
        TlsClientAuth => client.tls_client_auth_subject_dn.is_some(),
    };
    if !ok {
        problems.push(ConfigError::new(
            field("token_endpoint_auth_method"),
            "clients",
            "private_key_jwt and self_signed_tls_client_auth need jwks_file or jwks_uri; tls_client_auth needs tls_client_auth_subject_dn",
        ));
    }
    if client
        .jwks_uri
        .as_ref()
        .is_some_and(|u| !u.starts_with("https://"))
    {
        problems.push(ConfigError::new(
            field("jwks_uri"),
            "clients",
            "must be an https URL",
        ));
    } else if client.jwks_uri.is_some() && client.jwks_file.is_some() {
        problems.push(ConfigError::new(
            field("jwks_uri"),
            "clients",
            "give jwks_file or jwks_uri, not both",
        ));
    }
    problems.extend(check_id_token_encryption(client).err());
    problems.extend(check_client_ciba(config, client).err());
    if client.id_token_signed_response_alg != config.signing.alg {
        problems.push(ConfigError::new(
            field("id_token_signed_response_alg"),
            "clients",
            format!("the OP signs with {} (signing.alg)", config.signing.alg),
        ));
    }
    if client.authorization_signed_response_alg != config.signing.alg {
        problems.push(ConfigError::new(
            field("authorization_signed_response_alg"),
            "clients",
            format!("the OP signs with {} (signing.alg)", config.signing.alg),
        ));
    }
    if client.fapi_profile == Some(FapiProfile::Fapi1Advanced) {
        problems.extend(check_fapi1_client(config, &field("fapi_profile")).err());
    }
    problems
}

/// OIDC Registration §2: `id_token_encrypted_response_enc` only with
/// `id_token_encrypted_response_alg` (the values themselves are typed); an
/// encrypting client has keys, and a JWKS file holds an RSA key for that
/// `alg` (`use: enc` or none, at least 2048 bits: `protocol::jose::jwe`).
/// A `jwks_uri` is fetched later: the token endpoint then refuses to issue
/// an ID token it cannot encrypt.
fn check_id_token_encryption(client: &StaticClientConfig) -> Result<(), ConfigError> {
    let field = |name: &str| format!("clients.{}.{name}", client.client_id);
    if client.id_token_encrypted_response_enc.is_some() && client.id_token_encrypted_response_alg.is_none() {
        return Err(ConfigError::new(
            field("id_token_encrypted_response_enc"),
            "clients",
            "only with id_token_encrypted_response_alg (OIDC Registration §2)",
        ));
    }
    let Some(encryption) = client.id_token_encryption() else {
        return Ok(());
    };
    let refused = |why: String| ConfigError::new(field("id_token_encrypted_response_alg"), "clients", why);
    match (&client.jwks_file, &client.jwks_uri) {
        (None, None) => Err(refused(
            "needs jwks_file or jwks_uri with the client's encryption key".into(),
        )),
        (Some(path), _) => {
            let bytes = std::fs::read(path).map_err(|e| refused(format!("{}: {e}", path.display())))?;
            let jwks = crate::protocol::jose::ClientJwks::parse(&bytes)
                .map_err(|e| refused(format!("{}: {e}", path.display())))?;
            match crate::protocol::jose::jwe::select_key(&jwks.encryption, encryption.alg) {
                Some(_) => Ok(()),
                None => Err(refused(format!(
                    "{} has no RSA key of 2048 bits or more with use enc (or none) for {}",
                    path.display(),
                    encryption.alg
                ))),
            }
        }
        (None, Some(_)) => Ok(()),
    }
}

/// CIBA Core §4 / FAPI CIBA §5.2.2: a client's CIBA metadata is whole
/// (an endpoint exactly for ping and push, https on a public host unless
/// the sandbox allows private ones), and push only outside FAPI CIBA and
/// where `[ciba] push_enabled`.
fn check_client_ciba(config: &Config, client: &StaticClientConfig) -> Result<(), ConfigError> {
    let field = |name: &str| format!("clients.{}.{name}", client.client_id);
    let Some(metadata) = client.ciba_metadata() else {
        if client.backchannel_client_notification_endpoint.is_some()
            || client.backchannel_authentication_request_signing_alg.is_some()
            || client.backchannel_user_code_parameter
        {
            return Err(ConfigError::new(
                field("backchannel_token_delivery_mode"),
                "clients",
                "is required with the other CIBA metadata (CIBA Core §4)",
            ));
        }
        return Ok(());
    };
    let allow_private = config.ciba.danger_allow_private_notification_endpoints;
    metadata
        .check(allow_private)
        .and_then(|()| {
            crate::protocol::ciba::fapi_policy::check_ciba_client_policy(
                &metadata,
                client.ciba_fapi,
                config.ciba.push_enabled,
            )
        })
        .map_err(|e| {
            ConfigError::new(
                field("backchannel_token_delivery_mode"),
                "clients",
                e.description
                    .as_deref()
                    .unwrap_or("invalid CIBA metadata")
                    .to_string(),
            )
        })
}

/// A FAPI 1.0 Advanced client gets ID tokens and JARM responses signed with
/// PS256 or ES256 (FAPI 1.0 Part 2 §8.6) and certificate-bound access
/// tokens (FAPI 1.0 Part 2 §5.2.2-5, RFC 8705 §3).
fn check_fapi1_client(config: &Config, field: &str) -> Result<(), ConfigError> {
    if !FapiProfile::Fapi1Advanced.allows_alg(config.signing.alg) {
        return Err(ConfigError::new(
            field,
            "fapi_profile",
            format!(
                "FAPI 1.0 Advanced allows PS256 or ES256 only, the OP signs with {} (signing.alg; FAPI 1.0 Part 2 §8.6)",
                config.signing.alg
            ),
        ));
    }
    if !config.fapi.sender_constraints.contains(&SenderConstraint::Mtls) {
        return Err(ConfigError::new(
            field,
            "fapi_profile",
            "FAPI 1.0 Advanced binds access tokens with mTLS: include mtls in fapi.sender_constraints (FAPI 1.0 Part 2 §5.2.2-5)",
        ));
    }
    Ok(())
}
