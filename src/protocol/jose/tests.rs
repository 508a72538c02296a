use fiducia_hsm::{JoseAlg, Signer};
use serde_json::{Value, json};

use super::testing::*;
use super::*;

fn claims() -> Value {
    json!({"iss": "client-1", "jti": "j-1"})
}

fn ours(signer: &fiducia_hsm::SoftwareSigner) -> Vec<PublicJwk> {
    vec![signer.public_jwk().clone()]
}

#[test]
fn verifies_ps256_es256_eddsa_by_kid_fapi2_s5_4_1() {
    for alg in JoseAlg::ALL {
        let signer = key(alg);
        let jws = sign_hsm(&signer, json!({"typ": "JWT"}), &claims());
        let verified = verify_jws(&jws, &ours(&signer), Some("JWT")).unwrap();
        assert_eq!(verified.header.alg, alg);
        assert_eq!(verified.claims["iss"], "client-1");
        assert_eq!(&verified.key, signer.public_jwk());
    }
}

#[test]
fn alg_none_is_refused_rfc8725_s3_1() {
    let signer = key(JoseAlg::Es256);
    for alg in ["none", "None", "NONE"] {
        let jws = unsigned(&json!({"alg": alg, "kid": signer.key_id()}), &claims());
        assert_eq!(
            verify_jws(&jws, &ours(&signer), None).unwrap_err(),
            JoseError::AlgNone
        );
        // With a signature attached, the header alone decides.
        let jws = sign(&signer, &json!({"alg": alg, "kid": signer.key_id()}), &claims());
        assert_eq!(
            verify_jws(&jws, &ours(&signer), None).unwrap_err(),
            JoseError::AlgNone
        );
    }
    // An empty signature is unsecured whatever `alg` says.
    let jws = unsigned(&header(&signer, Some(signer.key_id()), json!({})), &claims());
    assert_eq!(
        verify_jws(&jws, &ours(&signer), None).unwrap_err(),
        JoseError::AlgNone
    );
}

#[test]
fn hmac_with_the_public_key_as_secret_is_refused_rfc8725_s3_1_s3_2() {
    let signer = key(JoseAlg::Ps256);
    let secret = serde_json::to_vec(signer.public_jwk()).unwrap();
    for alg in ["HS256", "HS384", "HS512"] {
        let jws = hs256(&secret, &json!({"alg": alg, "kid": signer.key_id()}), &claims());
        assert_eq!(
            verify_jws(&jws, &ours(&signer), None).unwrap_err(),
            JoseError::AlgSymmetric
        );
    }
}

#[test]
fn algorithms_outside_fapi_are_refused_fapi2_s5_4_1() {
    let signer = key(JoseAlg::Ps256);
    for alg in ["RS256", "ES384", "PS512", "ES256K", "Ed25519", ""] {
        let jws = sign(&signer, &json!({"alg": alg, "kid": signer.key_id()}), &claims());
        assert_eq!(
            verify_jws(&jws, &ours(&signer), None).unwrap_err(),
            JoseError::AlgUnsupported,
            "{alg}"
        );
    }
    let jws = sign(&signer, &json!({"kid": signer.key_id()}), &claims());
    assert_eq!(
        verify_jws(&jws, &ours(&signer), None).unwrap_err(),
        JoseError::MissingAlg
    );
}

#[test]
fn alg_is_pinned_to_the_key_rfc8725_s3_1() {
    let es = key(JoseAlg::Es256);
    let ed = key(JoseAlg::EdDsa);
    let keys = vec![es.public_jwk().clone(), ed.public_jwk().clone()];
    // The EdDSA key signs, but the header names the ES256 key and claims EdDSA.
    let jws = sign(&ed, &json!({"alg": "EdDSA", "kid": es.key_id()}), &claims());
    assert_eq!(
        verify_jws(&jws, &keys, None).unwrap_err(),
        JoseError::AlgKeyMismatch {
            header: JoseAlg::EdDsa,
            key: JoseAlg::Es256
        }
    );
    // Header claims PS256 for an ES256 key.
    let jws = sign(&es, &json!({"alg": "PS256", "kid": es.key_id()}), &claims());
    assert!(matches!(
        verify_jws(&jws, &keys, None),
        Err(JoseError::AlgKeyMismatch { .. })
    ));
}

#[test]
fn crit_is_refused_rfc7515_s4_1_11() {
    let signer = key(JoseAlg::Es256);
    for crit in [json!(["exp"]), json!([]), json!(["b64"])] {
        let jws = sign_hsm(&signer, json!({"crit": crit, "exp": 1}), &claims());
        assert_eq!(
            verify_jws(&jws, &ours(&signer), None).unwrap_err(),
            JoseError::CritHeader
        );
    }
}

#[test]
fn unencoded_payload_is_refused_rfc7797_s3() {
    let signer = key(JoseAlg::Es256);
    let jws = sign(
        &signer,
        &header(&signer, Some(signer.key_id()), json!({"b64": false})),
        &claims(),
    );
    assert_eq!(
        verify_jws(&jws, &ours(&signer), None).unwrap_err(),
        JoseError::UnencodedPayload
    );
    let jws = sign(
        &signer,
        &header(&signer, Some(signer.key_id()), json!({"b64": true})),
        &claims(),
    );
    assert!(verify_jws(&jws, &ours(&signer), None).is_ok());
}

#[test]
fn typ_compares_as_a_media_type_rfc7515_s4_1_9_rfc8725_s3_11() {
    let signer = key(JoseAlg::Es256);
    let keys = ours(&signer);
    for typ in [
        "dpop+jwt",
        "application/dpop+jwt",
        "DPoP+JWT",
        "Application/DPOP+jwt",
    ] {
        let jws = sign_hsm(&signer, json!({"typ": typ}), &claims());
        assert!(verify_jws(&jws, &keys, Some("dpop+jwt")).is_ok(), "{typ}");
    }
    let jws = sign_hsm(&signer, json!({"typ": "JWT"}), &claims());
    assert_eq!(
        verify_jws(&jws, &keys, Some("dpop+jwt")).unwrap_err(),
        JoseError::TypMismatch
    );
    let jws = sign_hsm(&signer, json!({}), &claims());
    assert_eq!(
        verify_jws(&jws, &keys, Some("dpop+jwt")).unwrap_err(),
        JoseError::TypMissing
    );
    assert!(verify_jws(&jws, &keys, None).is_ok());
}

#[test]
fn kid_selects_the_key_and_is_optional_with_one_key_per_alg_rfc7515_s4_1_4() {
    let a = key(JoseAlg::Es256);
    let b = key(JoseAlg::Es256);
    let ed = key(JoseAlg::EdDsa);
    let keys = vec![
        a.public_jwk().clone(),
        b.public_jwk().clone(),
        ed.public_jwk().clone(),
    ];
    let by_b = sign_hsm(&b, json!({}), &claims());
    assert_eq!(&verify_jws(&by_b, &keys, None).unwrap().key, b.public_jwk());

    let unknown = sign(&a, &header(&a, Some("nope"), json!({})), &claims());
    assert_eq!(
        verify_jws(&unknown, &keys, None).unwrap_err(),
        JoseError::UnknownKid
    );

    let no_kid_ed = sign(&ed, &header(&ed, None, json!({})), &claims());
    assert_eq!(&verify_jws(&no_kid_ed, &keys, None).unwrap().key, ed.public_jwk());

    let no_kid_es = sign(&a, &header(&a, None, json!({})), &claims());
    assert_eq!(
        verify_jws(&no_kid_es, &keys, None).unwrap_err(),
        JoseError::AmbiguousKey
    );

    let ps = key(JoseAlg::Ps256);
    let no_kid_ps = sign(&ps, &header(&ps, None, json!({})), &claims());
    assert_eq!(
        verify_jws(&no_kid_ps, &keys, None).unwrap_err(),
        JoseError::NoKeyForAlg
    );
}

#[test]
fn wrong_key_or_tampered_payload_fails_rfc7515_s5_2() {
    let signer = key(JoseAlg::Es256);
    let other = key(JoseAlg::Es256);
    // Signed by `other` under `signer`'s kid.
    let forged = sign(
        &other,
        &header(&other, Some(signer.key_id()), json!({})),
        &claims(),
    );
    assert_eq!(
        verify_jws(&forged, &ours(&signer), None).unwrap_err(),
        JoseError::BadSignature
    );

    let jws = sign_hsm(&signer, json!({}), &claims());
    let (head, rest) = jws.split_once('.').unwrap();
    let (_, signature) = rest.split_once('.').unwrap();
    let tampered = format!(
        "{head}.{}.{signature}",
        b64(json!({"iss": "someone-else"}).to_string())
    );
    assert_eq!(
        verify_jws(&tampered, &ours(&signer), None).unwrap_err(),
        JoseError::BadSignature
    );
}

#[test]
fn malformed_compact_forms_are_refused_rfc7515_s7_1() {
    let signer = key(JoseAlg::Es256);
    let keys = ours(&signer);
    let jws = sign_hsm(&signer, json!({}), &claims());
    for bad in [
        "",
        "a.b",
        "a.b.c.d",
        "!!.e30.c2ln",
        &format!("{jws}.x"),
        &format!("{jws}="),
    ] {
        assert!(
            matches!(
                verify_jws(bad, &keys, None),
                Err(JoseError::Malformed(_) | JoseError::BadSignature)
            ),
            "{bad}"
        );
    }
    let not_object = sign_raw(
        &signer,
        &header(&signer, Some(signer.key_id()), json!({})),
        b"[1]",
    );
    assert_eq!(
        verify_jws(&not_object, &keys, None).unwrap_err(),
        JoseError::PayloadNotJsonObject
    );
    let too_long = "a".repeat(MAX_COMPACT_JWS_LEN + 1);
    assert_eq!(
        verify_jws(&too_long, &keys, None).unwrap_err(),
        JoseError::TooLong
    );
}

#[test]
fn header_jwk_verifies_and_refuses_private_members_rfc9449_s4_3() {
    let signer = key(JoseAlg::EdDsa);
    let jwk = Value::Object(public_members(&signer));
    let jws = sign(
        &signer,
        &header(&signer, None, json!({"typ": "dpop+jwt", "jwk": jwk})),
        &claims(),
    );
    let verified = verify_jws_with_header_jwk(&jws, "dpop+jwt").unwrap();
    assert_eq!(verified.key.thumbprint(), signer.key_id());

    let mut with_d = public_members(&signer);
    with_d.insert("d".into(), b64([7u8; 32]).into());
    let jws = sign(
        &signer,
        &header(&signer, None, json!({"typ": "dpop+jwt", "jwk": with_d})),
        &claims(),
    );
    assert_eq!(
        verify_jws_with_header_jwk(&jws, "dpop+jwt").unwrap_err(),
        JoseError::HeaderJwk(JwkProblem::PrivateMembers)
    );
    let jws = sign(
        &signer,
        &header(&signer, None, json!({"typ": "dpop+jwt"})),
        &claims(),
    );
    assert_eq!(
        verify_jws_with_header_jwk(&jws, "dpop+jwt").unwrap_err(),
        JoseError::MissingHeaderJwk
    );
}

#[test]
fn client_jwks_keeps_usable_signature_keys_rfc7517_s4_s5() {
    let es = key(JoseAlg::Es256);
    let ps = key(JoseAlg::Ps256);
    let ed = key(JoseAlg::EdDsa);
    let cert = certificate(&ed, &[(rcgen::DnType::CommonName, "client-1".into())], vec![]);
    let other_cert = certificate(&es, &[(rcgen::DnType::CommonName, "client-1".into())], vec![]);
    let mut private = public_members(&es);
    private.insert("d".into(), b64([1u8; 32]).into());
    let jwks = json!({"keys": [
        client_jwk_json(&es, "sig-2024", json!({"use": "sig", "alg": "ES256"})),
        client_jwk_json(&ps, "rsa-enc", json!({"use": "enc"})),
        client_jwk_json(&ps, "rsa-rs256", json!({"alg": "RS256"})),
        client_jwk_json(&ps, "rsa-ps", json!({"key_ops": ["verify"]})),
        client_jwk_json(&ed, "ed-cert", json!({"x5c": x5c(&[&cert])})),
        client_jwk_json(&ed, "ed-wrong-cert", json!({"x5c": x5c(&[&other_cert])})),
        {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
        {"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA", "kid": "p384"},
        {"kty": "EC", "crv": "P-256", "x": b64([1u8; 32]), "y": b64([2u8; 32]), "kid": "off-curve"},
        private,
    ]});
    let parsed = ClientJwks::from_value(&jwks).unwrap();
    let kids: Vec<_> = parsed.keys.iter().map(|k| k.kid().unwrap()).collect();
    assert_eq!(kids, ["sig-2024", "rsa-ps", "ed-cert"]);
    assert_eq!(parsed.keys[2].certificate(), Some(cert.as_slice()));
    let problems: Vec<_> = parsed.skipped.iter().map(|s| s.problem).collect();
    assert_eq!(
        problems,
        [
            JwkProblem::NotForSignatures,
            JwkProblem::AlgNotUsable,
            JwkProblem::X5cKeyMismatch,
            JwkProblem::PrivateMembers,
            JwkProblem::UnsupportedCurve,
            JwkProblem::InvalidKey("not a valid P-256 point"),
            JwkProblem::PrivateMembers,
        ]
    );

    // Clients' kids are their own strings, not thumbprints.
    let jws = sign(&ps, &header(&ps, Some("rsa-ps"), json!({})), &claims());
    let verified = verify_jws(&jws, &parsed.keys, None).unwrap();
    assert_eq!(verified.key.kid(), Some("rsa-ps"));
    assert!(ClientJwks::parse(b"[]").is_err());
    assert!(ClientJwks::parse(b"not json").is_err());
}

#[test]
fn client_jwks_keeps_rsa_encryption_keys_apart_oidc_core_s10_2() {
    let (_, rsa) = jwe::testing::rsa_key(aws_lc_rs::rsa::KeySize::Rsa2048);
    let with = |extra: Value| {
        let mut jwk = rsa.clone();
        for (name, value) in extra.as_object().unwrap() {
            jwk[name] = value.clone();
        }
        jwk
    };
    let signer = key(JoseAlg::Es256);
    let jwks = json!({"keys": [
        signer.public_jwk(),
        with(json!({"use": "enc", "kid": "enc-1"})),
        with(json!({"use": "sig", "kid": "sig-rsa"})),
        with(json!({"kid": "both", "alg": "RSA-OAEP"})),
    ]});
    let parsed = ClientJwks::from_value(&jwks).unwrap();
    // The enc key and the key without `use`; not the `use: sig` one nor the EC key.
    let kids: Vec<_> = parsed.encryption.iter().map(|k| k.kid()).collect();
    assert_eq!(kids, vec![Some("enc-1"), Some("both")]);
    // The enc key is not a signature key; the RSA key without `use` is
    // kept for signatures too only if its alg were PS256: here it is not.
    assert!(parsed.keys.iter().all(|k| k.kid() != Some("enc-1")));
    let alg = jwe::KeyManagementAlg::RsaOaep256;
    assert_eq!(
        jwe::select_key(&parsed.encryption, alg).and_then(|k| k.kid()),
        Some("enc-1")
    );
}
