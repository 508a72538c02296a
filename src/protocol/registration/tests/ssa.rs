//! The software statement (RFC 7591 §2.3).

use super::*;

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
        assert_eq!(ssa.client_name.as_deref(), Some("Fintech App"));
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
    // OBIE DCR 3.3 (uk profile): statuses are checked when present; a
    // statement without them is not refused.
    let ssa = verify(
        &signed(
            &signer,
            &ssa_claims(json!({"software_status": null, "org_status": null})),
        ),
        &keys,
    )
    .unwrap();
    assert_eq!(ssa.software_id, "soft-1");
    let err = verify(&signed(&signer, &ssa_claims(json!({"org_status": 1}))), &keys).unwrap_err();
    assert_eq!(err, SsaError::Claim("org_status"));
}
