//! Metadata against the statement and the FAPI policy.

use super::*;

fn ssa() -> crate::protocol::registration::ssa::SoftwareStatement {
    let (signer, keys) = directory(JoseAlg::Es256);
    verify(&signed(&signer, &ssa_claims(json!({}))), &keys).unwrap()
}

const DN: &str = "CN=soft-1,OU=org-1,O=Fintech Ltd,C=GB";

fn check(
    request: Value,
    allow_localhost: bool,
    reserved: &[DistinguishedName],
) -> Result<crate::protocol::registration::metadata::ClientMetadata, RegistrationError> {
    let roles = default_role_scopes();
    let policy = MetadataPolicy {
        profile: RegistrationProfile::Uk,
        signing_alg: JoseAlg::Es256,
        allow_localhost,
        role_scopes: &roles,
        reserved_dns: reserved,
        ciba: None,
    };
    let Value::Object(map) = request else { panic!() };
    check_client_metadata(&map, &ssa(), DN, &policy)
}

#[test]
fn statement_values_win_and_defaults_come_from_it_rfc7591_s2_3() {
    let m = check(
        json!({"token_endpoint_auth_method": "private_key_jwt", "client_name": "Other", "jwks_uri": "https://evil.example/jwks"}),
        false,
        &[],
    )
    .unwrap();
    assert_eq!(m.client_name, "Fintech App");
    assert_eq!(
        m.jwks_uri.as_deref(),
        Some("https://directory.example/soft-1/jwks")
    );
    assert_eq!(m.jwks, None);
    // Without redirect_uris: the statement's that pass the policy.
    assert_eq!(
        m.redirect_uris,
        vec!["https://fintech.example/cb", "https://fintech.example/cb2"]
    );
    assert_eq!(m.scopes, vec!["openid", "accounts", "offline_access"]);
    assert_eq!(
        m.authorization_details_types,
        vec![DetailType::AccountInformation]
    );
    assert_eq!(m.tls_client_auth_subject_dn, None);
    assert!(m.tls_client_certificate_bound_access_tokens);
}

#[test]
fn redirect_uris_within_the_statement_https_no_loopback_fapi2_s5_3_2_2() {
    let base = |uris: Value| json!({"token_endpoint_auth_method": "private_key_jwt", "redirect_uris": uris});
    let ok = check(base(json!(["https://fintech.example/cb2"])), false, &[]).unwrap();
    assert_eq!(ok.redirect_uris, vec!["https://fintech.example/cb2"]);
    for uris in [
        json!(["https://attacker.example/cb"]),
        json!(["https://localhost/cb"]),
        json!([]),
    ] {
        assert!(matches!(
            check(base(uris), false, &[]),
            Err(RegistrationError::RedirectUri(_))
        ));
    }
    // The statement's loopback URI only with the sandbox switch (RFC 8252 §8.3).
    assert!(check(base(json!(["https://localhost/cb"])), true, &[]).is_ok());
    // But the statement's set always bounds the request, sandbox or not.
    assert!(matches!(
        check(base(json!(["https://127.0.0.1/cb"])), true, &[]),
        Err(RegistrationError::RedirectUri(_))
    ));
}

#[test]
fn fapi_metadata_policy_fapi2_s5_3_2_1_s5_4_1() {
    let bad = |request: Value| matches!(check(request, false, &[]), Err(RegistrationError::Metadata(_)));
    assert!(bad(json!({})), "token_endpoint_auth_method is required");
    assert!(bad(json!({"token_endpoint_auth_method": "client_secret_basic"})));
    assert!(bad(
        json!({"token_endpoint_auth_method": "private_key_jwt", "token_endpoint_auth_signing_alg": "RS256"})
    ));
    assert!(bad(
        json!({"token_endpoint_auth_method": "private_key_jwt", "id_token_signed_response_alg": "PS256"})
    ));
    assert!(bad(
        json!({"token_endpoint_auth_method": "private_key_jwt", "response_types": ["code id_token"]})
    ));
    assert!(bad(
        json!({"token_endpoint_auth_method": "private_key_jwt", "grant_types": ["implicit"]})
    ));
    assert!(bad(
        json!({"token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": []}})
    ));
    // RFC 8705 §3.4 / RFC 9449 §5.2: some sender constraint.
    assert!(bad(
        json!({"token_endpoint_auth_method": "private_key_jwt", "tls_client_certificate_bound_access_tokens": false})
    ));
    let dpop = check(
        json!({"token_endpoint_auth_method": "private_key_jwt", "tls_client_certificate_bound_access_tokens": false, "dpop_bound_access_tokens": true}),
        false,
        &[],
    )
    .unwrap();
    assert!(dpop.dpop_bound_access_tokens);
}

#[test]
fn scopes_and_detail_types_within_the_roles_obie_dcr_3_3() {
    let base = |extra: Value| {
        let mut r = json!({"token_endpoint_auth_method": "private_key_jwt"});
        r.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        r
    };
    assert_eq!(
        check(base(json!({"scope": "openid accounts"})), false, &[])
            .unwrap()
            .scopes,
        vec!["openid", "accounts"]
    );
    assert!(matches!(
        check(base(json!({"scope": "openid payments"})), false, &[]),
        Err(RegistrationError::Metadata(_))
    ));
    assert!(matches!(
        check(
            base(json!({"authorization_details_types": ["payment_initiation"]})),
            false,
            &[]
        ),
        Err(RegistrationError::Metadata(_))
    ));
    assert!(matches!(
        check(base(json!({"software_id": "soft-2"})), false, &[]),
        Err(RegistrationError::SoftwareStatement(_))
    ));
}

#[test]
fn tls_client_auth_registers_the_transport_subject_rfc8705_s2_1_2() {
    let base = |extra: Value| {
        let mut r = json!({"token_endpoint_auth_method": "tls_client_auth"});
        r.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        r
    };
    let m = check(base(json!({})), false, &[]).unwrap();
    assert_eq!(
        m.token_endpoint_auth_method,
        TokenEndpointAuthMethod::TlsClientAuth
    );
    assert_eq!(m.tls_client_auth_subject_dn.as_deref(), Some(DN));
    // The same name written differently matches (RFC 4517 §4.2.15).
    assert!(
        check(
            base(json!({"tls_client_auth_subject_dn": "cn=SOFT-1, ou=org-1, o=Fintech Ltd, c=GB"})),
            false,
            &[]
        )
        .is_ok()
    );
    assert!(matches!(
        check(
            base(json!({"tls_client_auth_subject_dn": "CN=other,OU=org-1,O=Fintech Ltd,C=GB"})),
            false,
            &[]
        ),
        Err(RegistrationError::Metadata(_))
    ));
    // A resource server's subject cannot be registered.
    let reserved = [DistinguishedName::parse_rfc4514(DN).unwrap()];
    assert!(matches!(
        check(base(json!({})), false, &reserved),
        Err(RegistrationError::Metadata(_))
    ));
}
