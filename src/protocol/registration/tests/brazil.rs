//! The `brazil` profile (Open Finance Brasil DCR 1.0): `software_*` claims,
//! keys at `software_jwks_uri`, a request `jwks_uri` must be the
//! statement's, the Brazil certificate binding by default.

use super::*;
use crate::protocol::registration::profile::SoftwareKeys;
use crate::protocol::registration::ssa::SoftwareStatement;

const JWKS_URI: &str = "https://keystore.directory.example/org-br/soft-br/application.jwks";

fn brazil_claims(changes: Value) -> Value {
    with_changes(
        json!({
            "iss": DIRECTORY, "iat": NOW - 10, "exp": NOW + 290, "jti": "5e0f3a2c-0000-4000-8000-000000000003",
            "software_id": "soft-br", "org_id": "org-br", "org_name": "Fintech Brasil SA",
            "software_client_id": "directory-client-id", "software_client_name": "Fintech BR App",
            "software_redirect_uris": ["https://fintech.example.br/cb"],
            "software_roles": ["DADOS"],
            "software_jwks_uri": JWKS_URI,
            "software_status": "Active", "org_status": "Active",
        }),
        changes,
    )
}

fn verify_brazil(changes: Value) -> Result<SoftwareStatement, SsaError> {
    let (signer, keys) = directory(JoseAlg::Ps256);
    let compact = signed(&signer, &brazil_claims(changes));
    verify_software_statement(&compact, &keys, DIRECTORY, RegistrationProfile::Brazil, 300, NOW)
}

fn check_brazil(
    ssa: &SoftwareStatement,
    request: Value,
) -> Result<crate::protocol::registration::metadata::ClientMetadata, RegistrationError> {
    let roles = [(
        "DADOS".to_string(),
        vec!["openid".to_string(), "accounts".to_string()],
    )]
    .into();
    let policy = MetadataPolicy {
        profile: RegistrationProfile::Brazil,
        signing_alg: JoseAlg::Ps256,
        allow_localhost: false,
        role_scopes: &roles,
        reserved_dns: &[],
        ciba: None,
    };
    let Value::Object(map) = request else { panic!() };
    check_client_metadata(&map, ssa, "UID=soft-br,2.5.4.97=OFBBR-org-br,C=BR", &policy)
}

#[test]
fn brazil_statement_reads_software_claims_open_finance_brasil_dcr_1_0() {
    let ssa = verify_brazil(json!({})).unwrap();
    assert_eq!(
        (ssa.software_id.as_str(), ssa.org_id.as_str()),
        ("soft-br", "org-br")
    );
    assert_eq!(ssa.client_name.as_deref(), Some("Fintech BR App"));
    assert_eq!(ssa.keys, Some(SoftwareKeys::Uri(JWKS_URI.into())));
    assert_eq!(
        ssa.redirect_uris,
        Some(vec!["https://fintech.example.br/cb".to_string()])
    );
    assert_eq!(ssa.roles, vec!["DADOS".to_string()]);
    // Without a client name, the software_id names the client.
    let ssa = verify_brazil(json!({"software_client_name": null})).unwrap();
    assert_eq!(ssa.client_name.as_deref(), Some("soft-br"));
    // Required claims, and the keys only over https.
    for claim in [
        "software_id",
        "org_id",
        "software_jwks_uri",
        "software_redirect_uris",
        "software_roles",
    ] {
        assert_eq!(
            verify_brazil(json!({ claim: null })).unwrap_err(),
            SsaError::Claim(claim),
            "{claim}"
        );
    }
    assert_eq!(
        verify_brazil(json!({"software_jwks_uri": "http://keystore.example/jwks"})).unwrap_err(),
        SsaError::Claim("software_jwks_uri")
    );
    // The UK name of the keys is not the Brazilian one.
    assert_eq!(
        verify_brazil(json!({"software_jwks_uri": null, "software_jwks_endpoint": JWKS_URI})).unwrap_err(),
        SsaError::Claim("software_jwks_uri")
    );
    // Statuses: Active when present.
    assert_eq!(
        verify_brazil(json!({"org_status": "Suspended"})).unwrap_err(),
        SsaError::NotActive("org_status")
    );
    assert!(verify_brazil(json!({"org_status": null, "software_status": null})).is_ok());
}

#[test]
fn brazil_request_jwks_uri_must_be_the_statements_open_finance_brasil_dcr_1_0_s7_1() {
    let ssa = verify_brazil(json!({})).unwrap();
    let base = json!({
        "token_endpoint_auth_method": "private_key_jwt",
        "redirect_uris": ["https://fintech.example.br/cb"],
        "scope": "openid accounts",
    });
    // Not sent: the statement's keys are registered.
    let registered = check_brazil(&ssa, base.clone()).unwrap();
    assert_eq!(registered.jwks_uri.as_deref(), Some(JWKS_URI));
    assert_eq!(registered.client_name, "Fintech BR App");
    // Sent and equal: accepted.
    let mut same = base.clone();
    same["jwks_uri"] = json!(JWKS_URI);
    assert_eq!(
        check_brazil(&ssa, same).unwrap().jwks_uri.as_deref(),
        Some(JWKS_URI)
    );
    // Sent and different, or not a string: invalid_client_metadata.
    for other in [json!("https://elsewhere.example/jwks"), json!(7)] {
        let mut request = base.clone();
        request["jwks_uri"] = other;
        let err = check_brazil(&ssa, request).unwrap_err();
        assert!(
            matches!(&err, RegistrationError::Metadata(why) if why.contains("software_jwks_uri")),
            "{err:?}"
        );
    }
    // Keys by value are never taken from the request.
    let mut by_value = base.clone();
    by_value["jwks"] = json!({"keys": []});
    assert!(matches!(
        check_brazil(&ssa, by_value).unwrap_err(),
        RegistrationError::Metadata(_)
    ));
    // Redirect URIs within software_redirect_uris; scopes within the roles'.
    let mut redirect = base.clone();
    redirect["redirect_uris"] = json!(["https://fintech.example.br/other"]);
    assert!(matches!(
        check_brazil(&ssa, redirect).unwrap_err(),
        RegistrationError::RedirectUri(_)
    ));
    let mut scope = base;
    scope["scope"] = json!("openid payments");
    assert!(matches!(
        check_brazil(&ssa, scope).unwrap_err(),
        RegistrationError::Metadata(_)
    ));
}

#[test]
fn brazil_profile_defaults_binding_and_one_registration_per_software() {
    let profile = RegistrationProfile::Brazil;
    assert_eq!(profile.default_binding(), CertificateBinding::Brazil);
    assert!(!profile.accepts_request_jwks());
    assert!(profile.one_registration_per_software());
    assert!(!RegistrationProfile::Uk.one_registration_per_software());
    assert!(!RegistrationProfile::Generic.one_registration_per_software());
    // The config value is `brazil`.
    let parsed: RegistrationProfile = serde_json::from_value(json!("brazil")).unwrap();
    assert_eq!(parsed, profile);
}
