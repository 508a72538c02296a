use fiducia_hsm::{JoseAlg, Signer, SoftwareSigner};
use serde_json::{Value, json};

use crate::protocol::client_auth::*;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::jose::testing::{client_jwk_json, header, hs256, key, sign, unsigned};
use crate::protocol::jose::{ClientJwks, JoseError};

const NOW: u64 = 1_800_000_000;
const CLIENT: &str = "client-1";
const ISSUER: &str = "https://as.example";
const PAR: &str = "https://as.example/par";

struct Client {
    signer: SoftwareSigner,
    keys: Vec<crate::protocol::jose::ClientJwk>,
}

fn client(alg: JoseAlg) -> Client {
    let signer = key(alg);
    let jwks = json!({"keys": [client_jwk_json(&signer, "client-key-2026", json!({"use": "sig"}))]});
    let keys = ClientJwks::from_value(&jwks).unwrap().keys;
    Client { signer, keys }
}

fn good_claims() -> Value {
    json!({"iss": CLIENT, "sub": CLIENT, "aud": ISSUER, "jti": "0f1c6c8e-6c5e-4f59", "iat": NOW, "exp": NOW + 60})
}

/// An assertion by the client's key with `changes` applied (`null` removes).
fn assertion(client: &Client, changes: Value) -> String {
    let mut claims = good_claims();
    for (name, value) in changes.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    sign(
        &client.signer,
        &header(&client.signer, Some("client-key-2026"), json!({})),
        &claims,
    )
}

fn check_with(
    client: &Client,
    jwt: &str,
    audience: AudiencePolicy<'_>,
) -> Result<AssertionClaims, ClientAuthReason> {
    let assertion = ClientAssertion::parse(JWT_BEARER_ASSERTION_TYPE, jwt)?;
    check_client_assertion(assertion, CLIENT, &client.keys, audience, NOW, 300)
}

fn check(client: &Client, jwt: &str) -> Result<AssertionClaims, ClientAuthReason> {
    check_with(client, jwt, AudiencePolicy::IssuerOnly(ISSUER))
}

#[test]
fn valid_assertion_returns_jti_and_exp_rfc7523_s3_oidc_core_s9() {
    for alg in JoseAlg::ALL {
        let c = client(alg);
        let claims = check(&c, &assertion(&c, json!({}))).unwrap();
        assert_eq!(
            (claims.jti.as_str(), claims.exp),
            ("0f1c6c8e-6c5e-4f59", NOW + 60)
        );
        assert_eq!(claims.key.kid(), Some("client-key-2026"));
    }
}

#[test]
fn assertion_type_must_be_jwt_bearer_rfc7523_s2_2() {
    let c = client(JoseAlg::Es256);
    let jwt = assertion(&c, json!({}));
    for kind in [
        "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
        "",
        "jwt-bearer",
    ] {
        assert_eq!(
            ClientAssertion::parse(kind, &jwt).unwrap_err(),
            ClientAuthReason::AssertionType
        );
    }
}

#[test]
fn alg_none_and_hmac_are_refused_rfc8725_s3_1_fapi2_s5_4_1() {
    let c = client(JoseAlg::Es256);
    let none = unsigned(&json!({"alg": "none", "kid": "client-key-2026"}), &good_claims());
    assert_eq!(
        check(&c, &none).unwrap_err(),
        ClientAuthReason::Jws(JoseError::AlgNone)
    );
    let secret = serde_json::to_vec(c.signer.public_jwk()).unwrap();
    let hmac = hs256(
        &secret,
        &json!({"alg": "HS256", "kid": "client-key-2026"}),
        &good_claims(),
    );
    assert_eq!(
        check(&c, &hmac).unwrap_err(),
        ClientAuthReason::Jws(JoseError::AlgSymmetric)
    );
    let err = OAuthError::from(check(&c, &hmac).unwrap_err());
    assert_eq!(err.code, ErrorCode::InvalidClient);
}

#[test]
fn signature_by_another_key_or_alg_is_refused_rfc7523_s3_item_9() {
    let c = client(JoseAlg::Es256);
    let attacker = key(JoseAlg::Es256);
    let forged = sign(
        &attacker,
        &header(&attacker, Some("client-key-2026"), json!({})),
        &good_claims(),
    );
    assert_eq!(
        check(&c, &forged).unwrap_err(),
        ClientAuthReason::Jws(JoseError::BadSignature)
    );
    let ed = key(JoseAlg::EdDsa);
    let other_alg = sign(
        &ed,
        &header(&ed, Some("client-key-2026"), json!({})),
        &good_claims(),
    );
    assert!(matches!(
        check(&c, &other_alg),
        Err(ClientAuthReason::Jws(JoseError::AlgKeyMismatch { .. }))
    ));
    let unknown = sign(
        &c.signer,
        &header(&c.signer, Some("rotated"), json!({})),
        &good_claims(),
    );
    assert_eq!(
        check(&c, &unknown).unwrap_err(),
        ClientAuthReason::Jws(JoseError::UnknownKid)
    );
}

#[test]
fn crit_and_foreign_typ_are_refused_rfc7515_s4_1_11_rfc8725_s3_11() {
    let c = client(JoseAlg::Ps256);
    let crit = header(
        &c.signer,
        Some("client-key-2026"),
        json!({"crit": ["http://example/ext"]}),
    );
    assert_eq!(
        check(&c, &sign(&c.signer, &crit, &good_claims())).unwrap_err(),
        ClientAuthReason::Jws(JoseError::CritHeader)
    );
    for (typ, ok) in [
        ("JWT", true),
        ("client-authentication+jwt", true),
        ("dpop+jwt", false),
        ("oauth-authz-req+jwt", false),
    ] {
        let h = header(&c.signer, Some("client-key-2026"), json!({"typ": typ}));
        assert_eq!(
            check(&c, &sign(&c.signer, &h, &good_claims())).is_ok(),
            ok,
            "{typ}"
        );
    }
}

#[test]
fn iss_and_sub_must_be_the_client_id_rfc7523_s3_items_1_2() {
    let c = client(JoseAlg::Es256);
    assert_eq!(
        check(&c, &assertion(&c, json!({"iss": "client-2"}))).unwrap_err(),
        ClientAuthReason::IssMismatch
    );
    assert_eq!(
        check(&c, &assertion(&c, json!({"sub": "client-2"}))).unwrap_err(),
        ClientAuthReason::SubMismatch
    );
    assert_eq!(
        check(&c, &assertion(&c, json!({"sub": null}))).unwrap_err(),
        ClientAuthReason::MissingClaim("sub")
    );
    assert_eq!(
        check(&c, &assertion(&c, json!({"iss": 7}))).unwrap_err(),
        ClientAuthReason::InvalidClaim("iss")
    );
}

#[test]
fn fapi2_accepts_only_the_issuer_as_a_string_fapi2_s5_3_2_1_item_8() {
    let c = client(JoseAlg::Es256);
    for (aud, reason) in [
        (json!([ISSUER]), ClientAuthReason::AudienceNotString),
        (json!([ISSUER, PAR]), ClientAuthReason::AudienceNotString),
        (json!(PAR), ClientAuthReason::AudienceNotAccepted),
        (
            json!("https://as.example/token"),
            ClientAuthReason::AudienceNotAccepted,
        ),
        (
            json!("https://other.example"),
            ClientAuthReason::AudienceNotAccepted,
        ),
        (
            json!("https://as.example/"),
            ClientAuthReason::AudienceNotAccepted,
        ),
        (Value::Null, ClientAuthReason::MissingClaim("aud")),
    ] {
        assert_eq!(
            check(&c, &assertion(&c, json!({"aud": aud}))).unwrap_err(),
            reason,
            "{aud}"
        );
    }
}

#[test]
fn any_of_accepts_issuer_or_endpoint_string_or_array_rfc7523_s3_item_3_rfc9126_s2() {
    let c = client(JoseAlg::Es256);
    let accepted = [ISSUER, PAR];
    let policy = AudiencePolicy::AnyOf(&accepted);
    for aud in [json!(ISSUER), json!(PAR), json!(["https://x.example", PAR])] {
        assert!(
            check_with(&c, &assertion(&c, json!({"aud": aud})), policy).is_ok(),
            "{aud}"
        );
    }
    let wrong = assertion(&c, json!({"aud": ["https://x.example"]}));
    assert_eq!(
        check_with(&c, &wrong, policy).unwrap_err(),
        ClientAuthReason::AudienceNotAccepted
    );
}

#[test]
fn exp_is_required_and_must_not_have_passed_rfc7523_s3_item_4() {
    let c = client(JoseAlg::Es256);
    assert_eq!(
        check(&c, &assertion(&c, json!({"exp": null}))).unwrap_err(),
        ClientAuthReason::MissingClaim("exp")
    );
    for exp in [NOW, NOW - 1] {
        let jwt = assertion(&c, json!({"iat": NOW - 30, "exp": exp}));
        assert_eq!(check(&c, &jwt).unwrap_err(), ClientAuthReason::Expired);
    }
    assert_eq!(
        check(&c, &assertion(&c, json!({"exp": "soon"}))).unwrap_err(),
        ClientAuthReason::InvalidClaim("exp")
    );
}

#[test]
fn iat_and_nbf_in_the_future_fapi2_s5_3_2_1_item_13_rfc7523_s3_items_5_6() {
    let c = client(JoseAlg::Es256);
    assert!(check(&c, &assertion(&c, json!({"iat": NOW + 10, "nbf": NOW + 10}))).is_ok());
    let far = assertion(&c, json!({"iat": NOW + 3600, "exp": NOW + 3660}));
    assert_eq!(check(&c, &far).unwrap_err(), ClientAuthReason::IssuedInFuture);
    let nbf = assertion(&c, json!({"nbf": NOW + 11}));
    assert_eq!(check(&c, &nbf).unwrap_err(), ClientAuthReason::NotYetValid);
}

#[test]
fn lifetime_is_bounded_rfc7523_s3_item_6() {
    let c = client(JoseAlg::Es256);
    assert!(check(&c, &assertion(&c, json!({"exp": NOW + 300}))).is_ok());
    let long = assertion(&c, json!({"exp": NOW + 301}));
    assert_eq!(check(&c, &long).unwrap_err(), ClientAuthReason::LifetimeTooLong);
    // Without `iat`, the lifetime counts from now.
    let no_iat = assertion(&c, json!({"iat": null, "exp": NOW + 3600}));
    assert_eq!(check(&c, &no_iat).unwrap_err(), ClientAuthReason::LifetimeTooLong);
    // An old `iat` with a far `exp`.
    let stale = assertion(&c, json!({"iat": NOW - 3000, "exp": NOW + 10}));
    assert_eq!(check(&c, &stale).unwrap_err(), ClientAuthReason::LifetimeTooLong);
}

#[test]
fn jti_is_required_oidc_core_s9_rfc7523_s3_item_7() {
    let c = client(JoseAlg::Es256);
    assert_eq!(
        check(&c, &assertion(&c, json!({"jti": null}))).unwrap_err(),
        ClientAuthReason::MissingClaim("jti")
    );
    assert_eq!(
        check(&c, &assertion(&c, json!({"jti": ""}))).unwrap_err(),
        ClientAuthReason::InvalidClaim("jti")
    );
    let long = "j".repeat(257);
    assert_eq!(
        check(&c, &assertion(&c, json!({"jti": long}))).unwrap_err(),
        ClientAuthReason::InvalidClaim("jti")
    );
}
