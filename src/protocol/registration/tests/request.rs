//! The request body and its signed form (UK OBIE DCR 3.3).

use super::*;

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
