//! OpenID Provider metadata (OpenID Connect Discovery 1.0 §3, RFC 8414 §2),
//! derived from the validated configuration.
//!
//! Only what the OP really implements is advertised: each member is added by
//! the change that implements it, so a client that trusts this document never
//! tries a flow the OP would refuse.

use crate::config::ValidatedConfig;
use crate::oauth::profile_metadata::ServedClients;
use crate::protocol::jose::jwe::{ContentEncryption, KeyManagementAlg};
use crate::protocol::paths;
use serde::Serialize;
use std::collections::BTreeMap;

/// The metadata document served at `/.well-known/openid-configuration`.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderMetadata {
    /// RFC 8414 §2 `issuer`.
    pub issuer: String,
    /// RFC 8414 §2 `jwks_uri`: the OP's public signing keys.
    pub jwks_uri: String,
    /// RFC 8414 §2 `authorization_endpoint`.
    pub authorization_endpoint: String,
    /// RFC 8414 §2 `token_endpoint`.
    pub token_endpoint: String,
    /// RFC 9126 §5 `pushed_authorization_request_endpoint`.
    pub pushed_authorization_request_endpoint: String,
    /// RFC 9126 §5: authorization requests only through PAR.
    pub require_pushed_authorization_requests: bool,
    /// OIDC Discovery §3 `userinfo_endpoint`.
    pub userinfo_endpoint: String,
    /// RFC 8414 §2 `revocation_endpoint` (RFC 7009).
    pub revocation_endpoint: String,
    /// RFC 8414 §2: the same client authentication as at the token endpoint.
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    /// RFC 8414 §2 `introspection_endpoint` (RFC 7662).
    pub introspection_endpoint: String,
    /// RFC 8414 §2: the same client authentication as at the token endpoint.
    pub introspection_endpoint_auth_methods_supported: Vec<&'static str>,
    /// RFC 9701 §7: the algorithm of the OP's signing key.
    pub introspection_signing_alg_values_supported: Vec<String>,
    /// RFC 8414 §2: the grants of `oauth::grants`.
    pub grant_types_supported: Vec<&'static str>,
    /// RFC 8414 §2; FAPI 2.0 §5.3.2.1: private_key_jwt and the two mTLS methods.
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    /// RFC 8414 §2: algorithms for private_key_jwt assertions.
    pub token_endpoint_auth_signing_alg_values_supported: Vec<&'static str>,
    /// RFC 9449 §5.1.
    pub dpop_signing_alg_values_supported: Vec<&'static str>,
    /// RFC 8705 §3.3.
    pub tls_client_certificate_bound_access_tokens: bool,
    /// RFC 9207 §3: `iss` in authorization responses.
    pub authorization_response_iss_parameter_supported: bool,
    /// OIDC Discovery §3 / RFC 9101 §10.5: request objects (at PAR, RFC 9126 §3).
    pub request_parameter_supported: bool,
    /// OIDC Discovery §3: the `acr` values the built-in login reaches, the
    /// UK OBIE ones (`urn:openbanking:psd2:ca`, password;
    /// `urn:openbanking:psd2:sca`, password and TOTP: `oauth/sca.rs`).
    pub acr_values_supported: Vec<&'static str>,
    /// RFC 8414 §2 / RFC 9101 §10.5: algorithms for signed request objects.
    pub request_object_signing_alg_values_supported: Vec<&'static str>,
    /// RFC 9101 §10.5: every request must be a signed request object (the
    /// `fapi2-message-signing` and `fapi1-advanced` profiles).
    pub require_signed_request_object: bool,
    /// RFC 8414 §2 / JARM §3: `query` and the JWT modes.
    pub response_modes_supported: Vec<&'static str>,
    /// JARM §3: the algorithm of the OP's signing key.
    pub authorization_signing_alg_values_supported: Vec<String>,
    /// RFC 8414 §2 `scopes_supported`: every scope a client can be
    /// granted (`scopes_supported.rs`).
    pub scopes_supported: Vec<String>,
    /// OIDC Discovery §3 `claims_supported`.
    pub claims_supported: Vec<&'static str>,
    /// RFC 8414 §2 `response_types_supported` (FAPI 2.0 §5.3.2.2: `code`;
    /// FAPI 1.0 Part 2 §5.2.2-2 adds `code id_token`: `profile_metadata`).
    pub response_types_supported: Vec<&'static str>,
    /// OIDC Discovery §3 `subject_types_supported`.
    pub subject_types_supported: Vec<&'static str>,
    /// OIDC Discovery §3 `id_token_signing_alg_values_supported`: the algorithm
    /// of the OP's signing key.
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// OIDC Discovery §3 `id_token_encryption_alg_values_supported`: the
    /// JWE `alg`s an ID token can be encrypted with (`protocol::jose::jwe`).
    pub id_token_encryption_alg_values_supported: Vec<&'static str>,
    /// OIDC Discovery §3 `id_token_encryption_enc_values_supported`.
    pub id_token_encryption_enc_values_supported: Vec<&'static str>,
    /// RFC 7636 §4.2 / RFC 8414 §2 `code_challenge_methods_supported`.
    pub code_challenge_methods_supported: Vec<String>,
    /// RFC 9396 §10: the `authorization_details` types understood.
    pub authorization_details_types_supported: Vec<&'static str>,
    /// Grant Management for OAuth 2.0 §7.1: the endpoint, the actions and
    /// whether one is required.
    #[serde(flatten)]
    pub grant_management: GrantManagementMetadata,
    /// RFC 8414 §2 `registration_endpoint` (RFC 7591 §3), when
    /// `registration.enabled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    /// CIBA Core §4 (when `[ciba] enabled`): the backchannel
    /// authentication endpoint and what it accepts.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub ciba: Option<CibaMetadata>,
    /// RFC 8705 §5: endpoints also served on the mTLS alias listener.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub mtls_endpoint_aliases: BTreeMap<&'static str, String>,
    /// OpenID Connect for Identity Assurance 1.0 §7 and OIDC Discovery §3
    /// `claims_parameter_supported`: `verified_claims_supported`,
    /// `trust_frameworks_supported`, `evidence_supported` and the evidence
    /// detail lists, `claims_in_verified_claims_supported`
    /// (`protocol::ekyc::discovery`).
    #[serde(flatten)]
    pub identity_assurance: serde_json::Map<String, serde_json::Value>,
}

/// Grant Management for OAuth 2.0 §7.1 "Authorization server metadata".
#[derive(Debug, Clone, Serialize)]
pub struct GrantManagementMetadata {
    /// `grant_management_endpoint`: a grant is `{endpoint}/{grant_id}` (§6.3).
    pub grant_management_endpoint: String,
    /// `grant_management_actions_supported`: `create`, `merge`, `replace`
    /// (§5.2), `query` (§6.4) and `revoke` (§6.5).
    pub grant_management_actions_supported: Vec<&'static str>,
    /// `grant_management_action_required` (`[grant_management]
    /// action_required`).
    pub grant_management_action_required: bool,
}

/// CIBA Core §4 "Registration and Discovery Metadata", OP side.
#[derive(Debug, Clone, Serialize)]
pub struct CibaMetadata {
    /// `backchannel_authentication_endpoint`.
    pub backchannel_authentication_endpoint: String,
    /// `backchannel_token_delivery_modes_supported`: poll and ping, and
    /// push where `[ciba] push_enabled` (never for FAPI CIBA clients).
    pub backchannel_token_delivery_modes_supported: Vec<&'static str>,
    /// `backchannel_authentication_request_signing_alg_values_supported`.
    pub backchannel_authentication_request_signing_alg_values_supported: Vec<&'static str>,
    /// `backchannel_user_code_parameter_supported`.
    pub backchannel_user_code_parameter_supported: bool,
}

impl CibaMetadata {
    fn from_config(config: &ValidatedConfig) -> Option<Self> {
        let ciba = &config.get().ciba;
        ciba.enabled.then(|| Self {
            backchannel_authentication_endpoint: config.endpoint_url(paths::BACKCHANNEL_AUTHENTICATION),
            backchannel_token_delivery_modes_supported: crate::protocol::ciba::DeliveryMode::ALL
                .iter()
                .filter(|m| ciba.push_enabled || **m != crate::protocol::ciba::DeliveryMode::Push)
                .map(|m| m.as_str())
                .collect(),
            backchannel_authentication_request_signing_alg_values_supported: vec!["PS256", "ES256", "EdDSA"],
            backchannel_user_code_parameter_supported: true,
        })
    }
}

impl ProviderMetadata {
    /// Builds the document for `config` and its file's clients, whose
    /// signing key uses `signing_alg`.
    pub fn from_config(config: &ValidatedConfig, signing_alg: &str) -> Self {
        Self::for_clients(config, signing_alg, &ServedClients::of_file(config.get()))
    }

    /// Builds the document for `config` serving `clients` (the configured
    /// clients a node serves now: `discovery_document.rs`).
    pub fn for_clients(config: &ValidatedConfig, signing_alg: &str, clients: &ServedClients) -> Self {
        let mut mtls_endpoint_aliases = BTreeMap::new();
        for (name, path) in [
            ("token_endpoint", paths::TOKEN),
            ("pushed_authorization_request_endpoint", paths::PAR),
            ("userinfo_endpoint", paths::USERINFO),
            ("revocation_endpoint", paths::REVOCATION),
            ("introspection_endpoint", paths::INTROSPECTION),
            ("grant_management_endpoint", paths::GRANTS),
        ] {
            if let Some(url) = config.mtls_endpoint_url(path) {
                mtls_endpoint_aliases.insert(name, url);
            }
        }
        if config.get().registration.enabled
            && let Some(url) = config.mtls_endpoint_url(paths::REGISTRATION)
        {
            mtls_endpoint_aliases.insert("registration_endpoint", url);
        }
        if config.get().ciba.enabled
            && let Some(url) = config.mtls_endpoint_url(paths::BACKCHANNEL_AUTHENTICATION)
        {
            mtls_endpoint_aliases.insert("backchannel_authentication_endpoint", url);
        }
        let mut grant_types_supported = crate::protocol::token_request::GRANT_TYPES.to_vec();
        if config.get().ciba.enabled {
            grant_types_supported.push(crate::protocol::token_request::CIBA_GRANT_TYPE);
        }
        let fapi = &config.get().fapi;
        let mtls = fapi
            .sender_constraints
            .contains(&crate::config::SenderConstraint::Mtls);
        let dpop = fapi
            .sender_constraints
            .contains(&crate::config::SenderConstraint::Dpop);
        let algs = super::profile_metadata::client_signing_algs(config.get(), clients);
        let auth_methods = vec![
            "private_key_jwt",
            "tls_client_auth",
            "self_signed_tls_client_auth",
        ];
        Self {
            issuer: config.issuer().to_string(),
            jwks_uri: config.endpoint_url(paths::JWKS),
            authorization_endpoint: config.endpoint_url(paths::AUTHORIZE),
            token_endpoint: config.endpoint_url(paths::TOKEN),
            pushed_authorization_request_endpoint: config.endpoint_url(paths::PAR),
            require_pushed_authorization_requests: fapi.require_pushed_authorization_requests,
            userinfo_endpoint: config.endpoint_url(paths::USERINFO),
            grant_types_supported,
            revocation_endpoint: config.endpoint_url(paths::REVOCATION),
            revocation_endpoint_auth_methods_supported: auth_methods.clone(),
            introspection_endpoint: config.endpoint_url(paths::INTROSPECTION),
            introspection_endpoint_auth_methods_supported: auth_methods.clone(),
            introspection_signing_alg_values_supported: vec![signing_alg.to_string()],
            token_endpoint_auth_methods_supported: auth_methods,
            token_endpoint_auth_signing_alg_values_supported: algs.clone(),
            dpop_signing_alg_values_supported: if dpop {
                vec!["ES256", "PS256", "EdDSA"]
            } else {
                Vec::new()
            },
            tls_client_certificate_bound_access_tokens: mtls,
            authorization_response_iss_parameter_supported: true,
            request_parameter_supported: true,
            acr_values_supported: vec![crate::protocol::acr::CA, crate::protocol::acr::SCA],
            request_object_signing_alg_values_supported: algs.clone(),
            require_signed_request_object: fapi.profile.requires_signed_request_objects(),
            response_modes_supported: super::profile_metadata::response_modes(config.get(), clients),
            authorization_signing_alg_values_supported: vec![signing_alg.to_string()],
            scopes_supported: super::scopes_supported::scopes_supported(config.get(), clients),
            claims_supported: claims_supported(),
            response_types_supported: super::profile_metadata::response_types(config.get(), clients),
            grant_management: GrantManagementMetadata {
                grant_management_endpoint: config.endpoint_url(paths::GRANTS),
                grant_management_actions_supported: crate::protocol::grant_management::ACTIONS_SUPPORTED
                    .to_vec(),
                grant_management_action_required: config.get().grant_management.action_required,
            },
            registration_endpoint: config
                .get()
                .registration
                .enabled
                .then(|| config.endpoint_url(paths::REGISTRATION)),
            subject_types_supported: vec!["public"],
            id_token_signing_alg_values_supported: vec![signing_alg.to_string()],
            id_token_encryption_alg_values_supported: KeyManagementAlg::ALL
                .iter()
                .map(|a| a.as_str())
                .collect(),
            id_token_encryption_enc_values_supported: ContentEncryption::ALL
                .iter()
                .map(|e| e.as_str())
                .collect(),
            code_challenge_methods_supported: config.get().fapi.pkce_methods.clone(),
            authorization_details_types_supported: crate::protocol::rar::DetailType::ALL
                .iter()
                .map(|t| t.as_str())
                .collect(),
            ciba: CibaMetadata::from_config(config),
            mtls_endpoint_aliases,
            identity_assurance: crate::protocol::ekyc::discovery::metadata(),
        }
    }
}

/// OIDC Discovery §3 `claims_supported`: the OP's own claims and every
/// end-user claim a customer record answers (`protocol::ekyc::discovery`),
/// `verified_claims` included.
fn claims_supported() -> Vec<&'static str> {
    let mut names = vec!["sub", "iss", "aud", "auth_time", "acr", "amr", "nonce"];
    names.extend(crate::protocol::ekyc::discovery::claims_supported());
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{load_from_str, validate};
    use std::path::Path;

    fn config(extra: &str) -> ValidatedConfig {
        let text = format!("[tls]\ndev_generate = true\n[signing]\nbackend = \"software\"\n{extra}");
        validate(load_from_str(&text, Vec::new()).unwrap(), Path::new("/tmp")).unwrap()
    }

    #[test]
    fn urls_hang_off_the_issuer_oidc_discovery_s3() {
        let m = ProviderMetadata::from_config(
            &config("[server]\nissuer = \"https://op.bank.example/fapi\"\n"),
            "ES256",
        );
        assert_eq!(m.issuer, "https://op.bank.example/fapi");
        assert_eq!(m.jwks_uri, "https://op.bank.example/fapi/jwks");
        assert_eq!(m.token_endpoint, "https://op.bank.example/fapi/token");
        assert_eq!(m.code_challenge_methods_supported, vec!["S256".to_string()]);
        assert!(m.mtls_endpoint_aliases.is_empty());
        assert_eq!(
            m.pushed_authorization_request_endpoint,
            "https://op.bank.example/fapi/par"
        );
        assert!(m.require_pushed_authorization_requests);
        // FAPI 2.0: nothing with plain, none or token response types.
        assert_eq!(m.response_types_supported, vec!["code"]);
        let json = serde_json::to_string(&m).unwrap();
        for forbidden in ["\"plain\"", "\"none\"", "\"token\"", "client_secret", "HS256"] {
            assert!(!json.contains(forbidden), "{forbidden} advertised: {json}");
        }
        let json = serde_json::to_value(&m).unwrap();
        assert!(json.get("mtls_endpoint_aliases").is_none());
    }

    #[test]
    fn token_lifecycle_members_rfc8414_s2_rfc9701_s7() {
        let m = ProviderMetadata::from_config(&config(""), "ES256");
        assert_eq!(m.revocation_endpoint, "https://localhost:8443/revoke");
        assert_eq!(m.introspection_endpoint, "https://localhost:8443/introspect");
        for grant in ["authorization_code", "refresh_token", "client_credentials"] {
            assert!(m.grant_types_supported.contains(&grant), "{grant}");
        }
        assert!(m.scopes_supported.iter().any(|s| s == "offline_access"));
        assert_eq!(
            m.introspection_signing_alg_values_supported,
            vec!["ES256".to_string()]
        );
        assert_eq!(
            m.revocation_endpoint_auth_methods_supported,
            m.token_endpoint_auth_methods_supported
        );
        assert_eq!(
            m.introspection_endpoint_auth_methods_supported,
            m.token_endpoint_auth_methods_supported
        );
    }

    /// CIBA Core §4: the members only when `[ciba] enabled`; push only
    /// where enabled; the grant type with them.
    #[test]
    fn ciba_members_only_when_enabled_ciba_core_s4() {
        let off = serde_json::to_value(ProviderMetadata::from_config(&config(""), "ES256")).unwrap();
        assert!(off.get("backchannel_authentication_endpoint").is_none());
        assert!(
            !off["grant_types_supported"]
                .as_array()
                .unwrap()
                .contains(&serde_json::json!(
                    crate::protocol::token_request::CIBA_GRANT_TYPE
                ))
        );
        let on = config(
            "[ciba]\nenabled = true\ndevice_notification_url = \"https://device.bank.example/r\"\ndevice_subject_dn = \"CN=d,O=b\"\n",
        );
        let on = serde_json::to_value(ProviderMetadata::from_config(&on, "ES256")).unwrap();
        assert_eq!(
            on["backchannel_authentication_endpoint"],
            "https://localhost:8443/bc-authorize"
        );
        assert_eq!(
            on["backchannel_token_delivery_modes_supported"],
            serde_json::json!(["poll", "ping"])
        );
        assert_eq!(on["backchannel_user_code_parameter_supported"], true);
        assert!(
            on["grant_types_supported"]
                .as_array()
                .unwrap()
                .contains(&serde_json::json!(
                    crate::protocol::token_request::CIBA_GRANT_TYPE
                ))
        );
    }

    #[test]
    fn registration_endpoint_only_when_enabled_rfc8414_s2() {
        let off = serde_json::to_value(ProviderMetadata::from_config(&config(""), "ES256")).unwrap();
        assert!(off.get("registration_endpoint").is_none());
        let dir = std::env::temp_dir().join("fiducia-discovery-directory.json");
        std::fs::write(&dir, "{\"keys\": []}").unwrap();
        let on = ProviderMetadata::from_config(
            &config(&format!(
                "[registration]\nenabled = true\n[[registration.trusted_directories]]\nissuer = \"d\"\njwks_file = \"{}\"\n",
                dir.display()
            )),
            "ES256",
        );
        assert_eq!(
            on.registration_endpoint.as_deref(),
            Some("https://localhost:8443/register")
        );
    }

    #[test]
    fn jar_and_jarm_members_rfc9101_s10_5_jarm_s3() {
        let m = ProviderMetadata::from_config(&config(""), "ES256");
        assert!(m.request_parameter_supported);
        // OIDC Discovery §3: the OBIE acr values (OBIE Security Profile).
        assert_eq!(
            m.acr_values_supported,
            ["urn:openbanking:psd2:ca", "urn:openbanking:psd2:sca"]
        );
        assert_eq!(
            m.request_object_signing_alg_values_supported,
            vec!["ES256", "PS256", "EdDSA"]
        );
        // FAPI 2.0 Security alone accepts plain parameters at PAR.
        assert!(!m.require_signed_request_object);
        for mode in ["query", "query.jwt", "jwt"] {
            assert!(m.response_modes_supported.contains(&mode), "{mode}");
        }
        assert_eq!(
            m.authorization_signing_alg_values_supported,
            vec!["ES256".to_string()]
        );
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(json["require_signed_request_object"], false);
        // FAPI 2.0 Message Signing §5.3.1: signed request objects are required.
        let signed =
            ProviderMetadata::from_config(&config("[fapi]\nprofile = \"fapi2-message-signing\"\n"), "PS256");
        assert!(signed.require_signed_request_object);
        assert_eq!(
            signed.authorization_signing_alg_values_supported,
            vec!["PS256".to_string()]
        );
    }

    #[test]
    fn authorization_details_types_are_advertised_rfc9396_s10() {
        let m = ProviderMetadata::from_config(&config(""), "ES256");
        assert_eq!(
            m.authorization_details_types_supported,
            vec!["payment_initiation", "account_information"]
        );
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(
            json["authorization_details_types_supported"],
            serde_json::json!(["payment_initiation", "account_information"])
        );
    }

    /// Identity Assurance 1.0 §7 and OIDC Discovery §3: the eKYC members
    /// sit at the top level of the document beside `claims_supported`.
    #[test]
    fn identity_assurance_members_ida_s7_oidc_discovery_s3() {
        let json = serde_json::to_value(ProviderMetadata::from_config(&config(""), "ES256")).unwrap();
        assert_eq!(json["claims_parameter_supported"], true);
        assert_eq!(json["verified_claims_supported"], true);
        let frameworks = json["trust_frameworks_supported"].as_array().unwrap();
        assert!(frameworks.contains(&"uk_tfida".into()) && frameworks.contains(&"eidas".into()));
        let evidence = json["evidence_supported"].as_array().unwrap();
        assert!(evidence.contains(&"document".into()) && evidence.contains(&"electronic_record".into()));
        assert!(
            json["documents_supported"]
                .as_array()
                .unwrap()
                .contains(&"passport".into())
        );
        let verifiable = json["claims_in_verified_claims_supported"].as_array().unwrap();
        assert!(verifiable.contains(&"birthdate".into()) && !verifiable.contains(&"sub".into()));
        let claims = json["claims_supported"].as_array().unwrap();
        for name in [
            "sub",
            "acr",
            "verified_claims",
            "address",
            "place_of_birth",
            "email",
        ] {
            assert!(claims.contains(&name.into()), "{name}");
        }
    }

    #[test]
    fn mtls_aliases_appear_when_configured_rfc8705_s5() {
        let m = ProviderMetadata::from_config(
            &config(
                "[server]\nmtls_listen = \"127.0.0.1:8444\"\nmtls_base_url = \"https://mtls.localhost:8444\"\n",
            ),
            "PS256",
        );
        assert_eq!(
            m.mtls_endpoint_aliases["token_endpoint"],
            "https://mtls.localhost:8444/token"
        );
        assert_eq!(
            m.mtls_endpoint_aliases["revocation_endpoint"],
            "https://mtls.localhost:8444/revoke"
        );
        assert_eq!(
            m.mtls_endpoint_aliases["introspection_endpoint"],
            "https://mtls.localhost:8444/introspect"
        );
        assert_eq!(
            m.introspection_signing_alg_values_supported,
            vec!["PS256".to_string()]
        );
        assert_eq!(m.id_token_signing_alg_values_supported, vec!["PS256".to_string()]);
        // OIDC Discovery §3: the JWE algorithms of encrypted ID tokens.
        assert_eq!(
            m.id_token_encryption_alg_values_supported,
            vec!["RSA-OAEP", "RSA-OAEP-256"]
        );
        assert_eq!(m.id_token_encryption_enc_values_supported, vec!["A256GCM"]);
    }
}
