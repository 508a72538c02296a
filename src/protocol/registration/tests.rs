//! Unit tests of the registration checks, each citing the rule it covers.

use super::RegistrationError;
use super::cert_binding::{check_certificate_binding, subject_dn_rfc4514};
use super::metadata::{MetadataPolicy, check_client_metadata};
use super::request::{RegistrationBody, parse_body, software_statement, verify_signed_request};
use super::ssa::{SsaError, peek_issuer, verify_software_statement};
use crate::config::{CertificateBinding, TokenEndpointAuthMethod, default_role_scopes};
use crate::protocol::client_auth::DistinguishedName;
use crate::protocol::jose::testing::{certificate, client_jwk_json, header, hs256, key, sign, unsigned};
use crate::protocol::jose::{ClientJwk, ClientJwks, JoseError};
use crate::protocol::rar::DetailType;
use fiducia_hsm::{JoseAlg, SoftwareSigner};
use rcgen::{DnType, DnValue};
use serde_json::{Map, Value, json};

const NOW: u64 = 1_800_000_000;
const DIRECTORY: &str = "sandbox-directory";
const KID: &str = "directory-key-1";
const OP: &str = "https://op.example";

fn directory(alg: JoseAlg) -> (SoftwareSigner, Vec<ClientJwk>) {
    let signer = key(alg);
    let jwks = json!({"keys": [client_jwk_json(&signer, KID, json!({}))]});
    let keys = ClientJwks::from_value(&jwks).unwrap().keys;
    (signer, keys)
}

fn ssa_claims(changes: Value) -> Value {
    let mut claims = json!({
        "iss": DIRECTORY, "iat": NOW - 10, "exp": NOW + 290, "jti": "5e0f3a2c-0000-4000-8000-000000000001",
        "software_id": "soft-1", "org_id": "org-1", "org_name": "Fintech Ltd",
        "software_client_name": "Fintech App",
        "software_redirect_uris": ["https://fintech.example/cb", "https://fintech.example/cb2", "https://localhost/cb"],
        "software_roles": ["AISP"],
        "software_jwks_endpoint": "https://directory.example/soft-1/jwks",
        "software_status": "Active", "org_status": "Active",
    });
    for (name, value) in changes.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    claims
}

fn signed(signer: &SoftwareSigner, claims: &Value) -> String {
    sign(signer, &header(signer, Some(KID), json!({})), claims)
}

fn verify(compact: &str, keys: &[ClientJwk]) -> Result<super::ssa::SoftwareStatement, SsaError> {
    verify_software_statement(compact, keys, DIRECTORY, 300, NOW)
}

#[test]
fn statement_from_the_directory_verifies_rfc7591_s2_3() {
    for alg in [JoseAlg::Es256, JoseAlg::Ps256] {
        let (signer, keys) = directory(alg);
        let compact = signed(&signer, &ssa_claims(json!({})));
        assert_eq!(peek_issuer(&compact).unwrap(), DIRECTORY);
        let ssa = verify(&compact, &keys).unwrap();
        assert_eq!(ssa.software_id, "soft-1");
        assert_eq!(ssa.org_id, "org-1");
        assert_eq!(ssa.roles, vec!["AISP"]);
        assert_eq!(ssa.client_name, "Fintech App");
    }
}

#[test]
fn unknown_kid_asks_for_a_refetch_and_wrong_key_fails_rfc7515_s4_1_4() {
    let (_, keys) = directory(JoseAlg::Es256);
    let (other, _) = directory(JoseAlg::Es256);
    let unknown = sign(
        &other,
        &header(&other, Some("other-kid"), json!({})),
        &ssa_claims(json!({})),
    );
    assert!(verify(&unknown, &keys).unwrap_err().is_unknown_kid());
    // Signed by another key under the trusted kid.
    let forged = signed(&other, &ssa_claims(json!({})));
    assert_eq!(
        verify(&forged, &keys).unwrap_err(),
        SsaError::Jose(JoseError::BadSignature)
    );
}

#[test]
fn alg_none_hmac_and_eddsa_are_refused_rfc8725_s3_1() {
    let (signer, keys) = directory(JoseAlg::Es256);
    let none = unsigned(&json!({"alg": "none", "kid": KID}), &ssa_claims(json!({})));
    assert!(matches!(
        peek_issuer(&none),
        Err(SsaError::Jose(JoseError::AlgNone))
    ));
    assert!(verify(&none, &keys).is_err());
    let hmac = hs256(
        b"secret",
        &json!({"alg": "HS256", "kid": KID}),
        &ssa_claims(json!({})),
    );
    assert!(matches!(
        peek_issuer(&hmac),
        Err(SsaError::Jose(JoseError::AlgSymmetric))
    ));
    let (ed, ed_keys) = directory(JoseAlg::EdDsa);
    assert_eq!(
        verify(&signed(&ed, &ssa_claims(json!({}))), &ed_keys),
        Err(SsaError::Alg)
    );
    let _ = signer;
}

#[test]
fn freshness_expiry_and_claims_rfc7591_s2_3_obie_dcr_3_3() {
    let (signer, keys) = directory(JoseAlg::Es256);
    let check = |changes: Value| verify(&signed(&signer, &ssa_claims(changes)), &keys);
    assert_eq!(check(json!({"exp": NOW})), Err(SsaError::Expired));
    assert_eq!(check(json!({"iat": NOW - 301})), Err(SsaError::TooOld));
    assert_eq!(check(json!({"iat": NOW + 60})), Err(SsaError::IssuedInFuture));
    assert_eq!(check(json!({"iat": null})), Err(SsaError::Claim("iat")));
    assert_eq!(check(json!({"jti": null})), Err(SsaError::Claim("jti")));
    assert_eq!(check(json!({"iss": "other-directory"})), Err(SsaError::Issuer));
    assert_eq!(
        check(json!({"software_id": null})),
        Err(SsaError::Claim("software_id"))
    );
    assert_eq!(
        check(json!({"software_redirect_uris": []})),
        Err(SsaError::Claim("software_redirect_uris"))
    );
    // A statement with no exp is accepted within the iat window.
    assert!(check(json!({"exp": null})).is_ok());
}

#[test]
fn revoked_software_or_organisation_is_unapproved_rfc7591_s3_2_2() {
    let (signer, keys) = directory(JoseAlg::Es256);
    for status in ["software_status", "org_status"] {
        let err = verify(&signed(&signer, &ssa_claims(json!({status: "Revoked"}))), &keys).unwrap_err();
        assert_eq!(err, SsaError::NotActive(status));
        assert!(matches!(
            RegistrationError::from(err),
            RegistrationError::Unapproved(_)
        ));
    }
}

fn ssa() -> super::ssa::SoftwareStatement {
    let (signer, keys) = directory(JoseAlg::Es256);
    verify(&signed(&signer, &ssa_claims(json!({}))), &keys).unwrap()
}

const DN: &str = "CN=soft-1,OU=org-1,O=Fintech Ltd,C=GB";

fn check(
    request: Value,
    allow_localhost: bool,
    reserved: &[DistinguishedName],
) -> Result<super::metadata::ClientMetadata, RegistrationError> {
    let roles = default_role_scopes();
    let policy = MetadataPolicy {
        signing_alg: JoseAlg::Es256,
        allow_localhost,
        role_scopes: &roles,
        reserved_dns: reserved,
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
    assert_eq!(m.jwks_uri, "https://directory.example/soft-1/jwks");
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

fn uk_cert(cn: &str, ou: &str) -> Vec<u8> {
    certificate(
        &key(JoseAlg::Es256),
        &[
            (
                DnType::CountryName,
                DnValue::PrintableString("GB".try_into().unwrap()),
            ),
            (
                DnType::OrganizationName,
                DnValue::Utf8String("Fintech, Ltd".into()),
            ),
            (DnType::OrganizationalUnitName, DnValue::Utf8String(ou.into())),
            (DnType::CommonName, DnValue::Utf8String(cn.into())),
        ],
        vec![],
    )
}

#[test]
fn uk_certificate_binds_cn_and_ou_obie_certificate_profile() {
    let cert = uk_cert("soft-1", "org-1");
    assert!(check_certificate_binding(CertificateBinding::Uk, &cert, "soft-1", "org-1").is_ok());
    for (software, org) in [("soft-2", "org-1"), ("soft-1", "org-2")] {
        assert!(matches!(
            check_certificate_binding(CertificateBinding::Uk, &cert, software, org),
            Err(RegistrationError::Unapproved(_))
        ));
    }
    // Under the Brazil profile the same certificate names nothing.
    assert!(check_certificate_binding(CertificateBinding::Brazil, &cert, "soft-1", "org-1").is_err());
    // RFC 4514: last RDN first, the comma escaped, matching the certificate.
    assert_eq!(
        subject_dn_rfc4514(&cert).unwrap(),
        "CN=soft-1,OU=org-1,O=Fintech\\, Ltd,C=GB"
    );
}

#[test]
fn brazil_certificate_binds_uid_and_organization_identifier() {
    let uid = DnType::CustomDnType(vec![0, 9, 2342, 19_200_300, 100, 1, 1]);
    let org_identifier = DnType::CustomDnType(vec![2, 5, 4, 97]);
    let cert = certificate(
        &key(JoseAlg::Es256),
        &[
            (
                DnType::CountryName,
                DnValue::PrintableString("BR".try_into().unwrap()),
            ),
            (DnType::OrganizationName, DnValue::Utf8String("Fintech SA".into())),
            (org_identifier, DnValue::Utf8String("OFBBR-org-1".into())),
            (uid, DnValue::Utf8String("soft-1".into())),
            (
                DnType::CommonName,
                DnValue::Utf8String("fintech.example.br".into()),
            ),
        ],
        vec![],
    );
    assert!(check_certificate_binding(CertificateBinding::Brazil, &cert, "soft-1", "org-1").is_ok());
    assert!(check_certificate_binding(CertificateBinding::Brazil, &cert, "soft-1", "org-2").is_err());
    let dn = subject_dn_rfc4514(&cert).unwrap();
    assert!(
        dn.starts_with("CN=fintech.example.br,UID=soft-1,2.5.4.97=OFBBR-org-1"),
        "{dn}"
    );
}

#[test]
fn body_is_json_or_a_jwt_and_needs_a_statement_rfc7591_s3_1() {
    assert!(matches!(
        parse_body("application/json", b"{}"),
        Ok(RegistrationBody::Json(_))
    ));
    assert!(matches!(
        parse_body("application/jwt", b"a.b.c"),
        Ok(RegistrationBody::Signed(_))
    ));
    assert!(matches!(
        parse_body("text/plain", b"{}"),
        Err(RegistrationError::Request(_))
    ));
    assert!(matches!(
        parse_body("application/json", b"[]"),
        Err(RegistrationError::Metadata(_))
    ));
    assert!(matches!(
        software_statement(&Map::new()),
        Err(RegistrationError::SoftwareStatement(_))
    ));
}

#[test]
fn signed_request_claims_obie_dcr_3_3() {
    let (signer, keys) = directory(JoseAlg::Es256);
    let claims = |changes: Value| {
        let mut c = json!({"iss": "soft-1", "aud": OP, "iat": NOW, "exp": NOW + 60, "jti": "req-1",
            "token_endpoint_auth_method": "private_key_jwt", "software_statement": "x.y.z"});
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        signed(&signer, &c)
    };
    let (metadata, jti) = verify_signed_request(&claims(json!({})), &keys, OP, "soft-1", NOW).unwrap();
    assert_eq!(jti, "req-1");
    assert_eq!(metadata["token_endpoint_auth_method"], "private_key_jwt");
    for changes in [
        json!({"iss": "soft-2"}),
        json!({"aud": "https://other.example"}),
        json!({"exp": NOW}),
        json!({"exp": null}),
        json!({"jti": null}),
        json!({"iat": NOW + 120}),
    ] {
        assert!(
            verify_signed_request(&claims(changes.clone()), &keys, OP, "soft-1", NOW).is_err(),
            "{changes}"
        );
    }
}
