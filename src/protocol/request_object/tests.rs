use fiducia_hsm::JoseAlg;
use serde_json::{Value, json};

use super::*;
use crate::protocol::authorization_params::ParamsSource;
use crate::protocol::jose::testing::{TestClient, header, hs256, sign, test_client, unsigned};

const NOW: u64 = 1_800_000_000;
const CLIENT: &str = "client-1";
const ISSUER: &str = "https://as.example";
const KID: &str = "client-signing-1";

fn client(alg: JoseAlg) -> TestClient {
    test_client(alg, KID)
}

fn good_claims() -> Value {
    json!({
        "iss": CLIENT, "aud": ISSUER, "client_id": CLIENT, "jti": "ro-1",
        "nbf": NOW - 5, "exp": NOW + 300, "iat": NOW - 5,
        "response_type": "code", "redirect_uri": "https://fintech.example/cb",
        "scope": "openid", "state": "s1", "code_challenge": "abc", "code_challenge_method": "S256",
        "authorization_details": [{"type": "payment_initiation"}],
    })
}

fn with(changes: Value) -> Value {
    let mut claims = good_claims();
    for (name, value) in changes.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    claims
}

fn object(client: &TestClient, claims: &Value) -> String {
    sign(
        &client.signer,
        &header(&client.signer, Some(KID), json!({"typ": REQUEST_OBJECT_TYP})),
        claims,
    )
}

fn check(client: &TestClient, jwt: &str) -> Result<VerifiedRequestObject, RequestObjectReason> {
    check_request_object(jwt, CLIENT, &client.keys, ISSUER, NOW)
}

#[test]
fn good_object_gives_its_parameters_rfc9101_s6_3() {
    for alg in [JoseAlg::Ps256, JoseAlg::Es256, JoseAlg::EdDsa] {
        let c = client(alg);
        let verified = check(&c, &object(&c, &good_claims())).unwrap();
        assert_eq!(verified.jti, "ro-1");
        assert_eq!(verified.exp, NOW + 300);
        assert_eq!(verified.params.source(), ParamsSource::RequestObject);
        assert_eq!(verified.params.get("scope"), Some("openid"));
        assert_eq!(
            verified.params.json("authorization_details").unwrap(),
            Some(json!([{"type": "payment_initiation"}]))
        );
    }
}

#[test]
fn typ_other_than_request_object_is_refused_rfc9101_s10_8() {
    let c = client(JoseAlg::Es256);
    let jwt = sign(
        &c.signer,
        &header(&c.signer, Some(KID), json!({"typ": "dpop+jwt"})),
        &good_claims(),
    );
    assert_eq!(
        check(&c, &jwt).unwrap_err(),
        RequestObjectReason::Jws(JoseError::TypMismatch)
    );
    // Absent typ is allowed; the media type compares without `application/`.
    let jwt = sign(
        &c.signer,
        &header(&c.signer, Some(KID), json!({})),
        &good_claims(),
    );
    assert!(check(&c, &jwt).is_ok());
    let jwt = sign(
        &c.signer,
        &header(
            &c.signer,
            Some(KID),
            json!({"typ": "application/oauth-authz-req+jwt"}),
        ),
        &good_claims(),
    );
    assert!(check(&c, &jwt).is_ok());
}

#[test]
fn alg_none_and_hmac_are_refused_rfc8725_s3_1() {
    let c = client(JoseAlg::Es256);
    let none = unsigned(&json!({"alg": "none", "typ": REQUEST_OBJECT_TYP}), &good_claims());
    assert_eq!(
        check(&c, &none).unwrap_err(),
        RequestObjectReason::Jws(JoseError::AlgNone)
    );
    let hs = hs256(b"secret", &json!({"alg": "HS256", "kid": KID}), &good_claims());
    assert_eq!(
        check(&c, &hs).unwrap_err(),
        RequestObjectReason::Jws(JoseError::AlgSymmetric)
    );
    let err: OAuthError = RequestObjectReason::Jws(JoseError::AlgNone).into();
    assert_eq!(err.code, ErrorCode::InvalidRequestObject, "RFC 9101 §7");
}

#[test]
fn foreign_key_is_refused_rfc9101_s6_2() {
    let c = client(JoseAlg::Es256);
    let stranger = client(JoseAlg::Es256);
    // Same kid, another key: the signature fails.
    let jwt = object(&stranger, &good_claims());
    assert_eq!(
        check(&c, &jwt).unwrap_err(),
        RequestObjectReason::Jws(JoseError::BadSignature)
    );
    // A kid the client never registered: the caller may refetch a jwks_uri once.
    let jwt = sign(
        &stranger.signer,
        &header(&stranger.signer, Some("other"), json!({})),
        &good_claims(),
    );
    assert_eq!(
        check(&c, &jwt).unwrap_err(),
        RequestObjectReason::Jws(JoseError::UnknownKid)
    );
}

#[test]
fn iss_must_be_the_client_rfc9101_s6_2() {
    let c = client(JoseAlg::Es256);
    let wrong = object(&c, &with(json!({"iss": "client-2"})));
    assert_eq!(check(&c, &wrong).unwrap_err(), RequestObjectReason::IssMismatch);
    let missing = object(&c, &with(json!({"iss": null})));
    assert_eq!(
        check(&c, &missing).unwrap_err(),
        RequestObjectReason::MissingClaim("iss")
    );
}

#[test]
fn aud_must_be_the_issuer_fapi2_ms_s5_3_1() {
    let c = client(JoseAlg::Es256);
    let wrong = object(&c, &with(json!({"aud": "https://as.example/par"})));
    assert_eq!(
        check(&c, &wrong).unwrap_err(),
        RequestObjectReason::AudienceMismatch
    );
    let missing = object(&c, &with(json!({"aud": null})));
    assert_eq!(
        check(&c, &missing).unwrap_err(),
        RequestObjectReason::MissingClaim("aud")
    );
    // FAPI 1.0 Advanced §5.2.2-15: "or an array containing".
    let array = object(&c, &with(json!({"aud": ["https://other.example", ISSUER]})));
    assert!(check(&c, &array).is_ok());
}

#[test]
fn client_id_inside_must_match_fapi2_ms_s5_3_1() {
    let c = client(JoseAlg::Es256);
    let wrong = object(&c, &with(json!({"client_id": "client-2"})));
    assert_eq!(
        check(&c, &wrong).unwrap_err(),
        RequestObjectReason::ClientIdMismatch
    );
    let missing = object(&c, &with(json!({"client_id": null})));
    assert_eq!(
        check(&c, &missing).unwrap_err(),
        RequestObjectReason::MissingClaim("client_id")
    );
}

#[test]
fn exp_and_nbf_are_required_and_bounded_fapi2_ms_s5_3_1() {
    let c = client(JoseAlg::Es256);
    let cases = [
        (json!({"exp": null}), RequestObjectReason::MissingClaim("exp")),
        (json!({"nbf": null}), RequestObjectReason::MissingClaim("nbf")),
        (json!({"exp": NOW}), RequestObjectReason::Expired),
        (json!({"nbf": NOW + 60}), RequestObjectReason::NotYetValid),
        // FAPI 1.0 Advanced §5.2.2-17: nbf no older than 60 minutes.
        (
            json!({"nbf": NOW - 3601, "exp": NOW + 60}),
            RequestObjectReason::NbfTooOld,
        ),
        // FAPI 1.0 Advanced §5.2.2-13: exp at most 60 minutes after nbf.
        (
            json!({"nbf": NOW, "exp": NOW + 3601}),
            RequestObjectReason::LifetimeTooLong,
        ),
        (json!({"exp": "soon"}), RequestObjectReason::InvalidClaim("exp")),
    ];
    for (changes, expected) in cases {
        let jwt = object(&c, &with(changes.clone()));
        assert_eq!(check(&c, &jwt).unwrap_err(), expected, "{changes}");
    }
    // Within the skew and the limits.
    let edge = object(&c, &with(json!({"nbf": NOW + 10, "exp": NOW + 3610})));
    assert!(check(&c, &edge).is_ok());
    let old = object(&c, &with(json!({"nbf": NOW - 3599, "exp": NOW + 1})));
    assert!(check(&c, &old).is_ok());
}

#[test]
fn jti_is_required_rfc7519_s4_1_7() {
    let c = client(JoseAlg::Es256);
    let missing = object(&c, &with(json!({"jti": null})));
    assert_eq!(
        check(&c, &missing).unwrap_err(),
        RequestObjectReason::MissingClaim("jti")
    );
    let long = object(&c, &with(json!({"jti": "x".repeat(MAX_JTI_LEN + 1)})));
    assert_eq!(
        check(&c, &long).unwrap_err(),
        RequestObjectReason::InvalidClaim("jti")
    );
}

#[test]
fn nested_request_is_refused_rfc9101_s4() {
    let c = client(JoseAlg::Es256);
    for member in ["request", "request_uri"] {
        let jwt = object(&c, &with(json!({ member: "x" })));
        assert_eq!(check(&c, &jwt).unwrap_err(), RequestObjectReason::Nested);
    }
}

#[test]
fn parameters_beside_the_object_must_agree_rfc9101_s6_3() {
    let c = client(JoseAlg::Es256);
    let verified = check(&c, &object(&c, &good_claims())).unwrap();
    let form = |body: &str| crate::protocol::form::Form::parse(body.as_bytes()).unwrap();
    // Client authentication and the object itself travel beside it; the same
    // value, or a parameter the object lacks, is harmless (only the object counts).
    let agreeing = form("client_id=client-1&request=x&client_assertion=y&scope=openid&prompt=login");
    assert!(check_outer_parameters(&agreeing, &verified.params).is_ok());
    let differing = form("client_id=client-1&request=x&scope=openid+accounts");
    assert_eq!(
        check_outer_parameters(&differing, &verified.params).unwrap_err(),
        RequestObjectReason::OuterParameterMismatch("scope".into())
    );
}

#[test]
fn not_a_jws_is_refused_not_a_panic_rfc7515_s7_1() {
    let c = client(JoseAlg::Es256);
    for garbage in ["", "abc", "a.b", "a.b.c", "..", &"x".repeat(70_000)] {
        let err = check(&c, garbage).unwrap_err();
        assert!(matches!(err, RequestObjectReason::Jws(_)), "{garbage:.20}: {err}");
        assert_eq!(OAuthError::from(err).code, ErrorCode::InvalidRequestObject);
    }
}
