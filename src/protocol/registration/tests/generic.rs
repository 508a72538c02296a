//! The `generic` profile (RFC 7591 §2, §2.3, §3.1.1): statements under
//! the metadata's own names.

use super::*;
use crate::protocol::registration::profile::SoftwareKeys;
use crate::protocol::registration::ssa::SoftwareStatement;

fn generic_claims(signer: &SoftwareSigner, changes: Value) -> Value {
    with_changes(
        json!({
            "iss": DIRECTORY, "iat": NOW - 10, "exp": NOW + 290, "jti": "5e0f3a2c-0000-4000-8000-000000000002",
            "software_id": "soft-g", "client_name": "Generic App",
            "redirect_uris": ["https://fintech.example/cb", "https://fintech.example/cb2"],
            "jwks": {"keys": [client_jwk_json(signer, "client-key", json!({}))]},
            "token_endpoint_auth_method": "private_key_jwt",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "scope": "openid accounts",
        }),
        changes,
    )
}

fn verify_generic(changes: Value) -> Result<SoftwareStatement, SsaError> {
    let (signer, keys) = directory(JoseAlg::Es256);
    let client = key(JoseAlg::Es256);
    let compact = signed(&signer, &generic_claims(&client, changes));
    verify_software_statement(&compact, &keys, DIRECTORY, RegistrationProfile::Generic, 300, NOW)
}

fn check_generic(
    ssa: &SoftwareStatement,
    request: Value,
) -> Result<crate::protocol::registration::metadata::ClientMetadata, RegistrationError> {
    let roles = default_role_scopes();
    let policy = MetadataPolicy {
        profile: RegistrationProfile::Generic,
        signing_alg: JoseAlg::Es256,
        allow_localhost: false,
        role_scopes: &roles,
        reserved_dns: &[],
        ciba: None,
    };
    let Value::Object(map) = request else { panic!() };
    check_client_metadata(&map, ssa, "CN=soft-g,O=Fintech,C=GB", &policy)
}

#[test]
fn generic_statement_reads_rfc7591_names_statuses_optional_rfc7591_s2_3() {
    let ssa = verify_generic(json!({})).unwrap();
    assert_eq!(ssa.software_id, "soft-g");
    assert_eq!(ssa.org_id, "");
    assert_eq!(ssa.client_name.as_deref(), Some("Generic App"));
    assert!(matches!(ssa.keys, Some(SoftwareKeys::Jwks(_))));
    assert_eq!(
        ssa.scopes,
        Some(vec!["openid".to_string(), "accounts".to_string()])
    );
    assert_eq!(ssa.metadata["token_endpoint_auth_method"], "private_key_jwt");
    // Statuses: optional; when present, Active or unapproved.
    assert_eq!(
        verify_generic(json!({"software_status": "Inactive"})).unwrap_err(),
        SsaError::NotActive("software_status")
    );
    assert!(verify_generic(json!({"software_status": "Active"})).is_ok());
    // software_id is required here; jwks and jwks_uri never both (RFC 7591 §2).
    assert_eq!(
        verify_generic(json!({"software_id": null})).unwrap_err(),
        SsaError::Claim("software_id")
    );
    assert_eq!(
        verify_generic(json!({"jwks_uri": "https://fintech.example/jwks"})).unwrap_err(),
        SsaError::Claim("jwks")
    );
    assert_eq!(
        verify_generic(json!({"jwks": null, "jwks_uri": "http://fintech.example/jwks"})).unwrap_err(),
        SsaError::Claim("jwks_uri")
    );
    // A private key by value is never accepted.
    let mut private = json!({"keys": [{"kty": "EC", "crv": "P-256", "x": "x", "y": "y", "d": "d"}]});
    private["keys"][0]["d"] = json!("AAAA");
    assert_eq!(
        verify_generic(json!({"jwks": private})).unwrap_err(),
        SsaError::Claim("jwks")
    );
}

#[test]
fn generic_statement_values_take_precedence_rfc7591_s2_3() {
    let ssa = verify_generic(json!({})).unwrap();
    let m = check_generic(
        &ssa,
        json!({
            "client_name": "Request Name",
            "token_endpoint_auth_method": "tls_client_auth",
            "redirect_uris": ["https://fintech.example/cb"],
            "jwks_uri": "https://elsewhere.example/jwks",
        }),
    )
    .unwrap();
    assert_eq!(m.client_name, "Generic App");
    assert_eq!(
        m.token_endpoint_auth_method,
        TokenEndpointAuthMethod::PrivateKeyJwt
    );
    assert_eq!(m.jwks_uri, None);
    assert!(m.jwks.as_deref().is_some_and(|j| j.contains("client-key")));
    assert_eq!(m.redirect_uris, vec!["https://fintech.example/cb"]);
    assert_eq!(m.scopes, vec!["openid", "accounts"]);
    // The statement's redirect_uris bound the request's.
    let err = check_generic(&ssa, json!({"redirect_uris": ["https://attacker.example/cb"]})).unwrap_err();
    assert!(matches!(err, RegistrationError::RedirectUri(_)));
    // Its scope bounds the request's.
    let err = check_generic(&ssa, json!({"scope": "openid payments"})).unwrap_err();
    assert!(matches!(err, RegistrationError::Metadata(_)));
}

#[test]
fn generic_keys_by_value_from_the_request_when_the_statement_has_none_rfc7591_s2() {
    let client = key(JoseAlg::Es256);
    let jwks = json!({"keys": [client_jwk_json(&client, "k1", json!({}))]});
    let ssa =
        verify_generic(json!({"jwks": null, "client_name": null, "redirect_uris": null, "scope": null}))
            .unwrap();
    assert_eq!(ssa.keys, None);
    let m = check_generic(
        &ssa,
        json!({"jwks": jwks, "redirect_uris": ["https://rp.example/cb"], "client_name": "RP"}),
    )
    .unwrap();
    assert_eq!(m.client_name, "RP");
    assert!(m.jwks.is_some());
    assert_eq!(m.redirect_uris, vec!["https://rp.example/cb"]);
    // No scope and no roles in the statement: the directory's role scopes.
    assert!(m.scopes.contains(&"payments".to_string()));
    // private_key_jwt without any keys is refused.
    let err = check_generic(&ssa, json!({"redirect_uris": ["https://rp.example/cb"]})).unwrap_err();
    assert!(matches!(err, RegistrationError::Metadata(_)));
    // Without statement redirect URIs the request must name some.
    let err = check_generic(&ssa, json!({"jwks": jwks})).unwrap_err();
    assert!(matches!(err, RegistrationError::RedirectUri(_)));
}

#[test]
fn uk_profile_still_refuses_jwks_by_value_obie_dcr_3_3() {
    let (signer, keys) = directory(JoseAlg::Es256);
    let ssa = verify(&signed(&signer, &ssa_claims(json!({}))), &keys).unwrap();
    let client = key(JoseAlg::Es256);
    let roles = default_role_scopes();
    let policy = MetadataPolicy {
        profile: RegistrationProfile::Uk,
        signing_alg: JoseAlg::Es256,
        allow_localhost: false,
        role_scopes: &roles,
        reserved_dns: &[],
        ciba: None,
    };
    let request = json!({"token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [client_jwk_json(&client, "k", json!({}))]}});
    let Value::Object(map) = request else { panic!() };
    let err = check_client_metadata(&map, &ssa, "CN=soft-1", &policy).unwrap_err();
    assert!(matches!(err, RegistrationError::Metadata(_)));
}
