//! Unit tests of signed authentication requests (CIBA Core §7.1.1, FAPI
//! CIBA §5.2.2).

use fiducia_hsm::JoseAlg;
use serde_json::{Value, json};

use super::*;
use crate::protocol::authorization_params::ParamsSource;
use crate::protocol::jose::testing::{TestClient, header, hs256, sign, test_client, unsigned, with_changes};

const NOW: u64 = 1_800_000_000;
const CLIENT: &str = "client-1";
const ISSUER: &str = "https://op.example";
const KID: &str = "ciba-signing-1";

fn client(alg: JoseAlg) -> TestClient {
    test_client(alg, KID)
}

fn good_claims() -> Value {
    json!({
        "iss": CLIENT, "aud": ISSUER, "jti": "bc-1",
        "iat": NOW - 5, "nbf": NOW - 5, "exp": NOW + 300,
        "scope": "openid payments", "login_hint": "alice", "binding_message": "W4SCT",
        "requested_expiry": 120,
    })
}

fn with(changes: Value) -> Value {
    with_changes(good_claims(), changes)
}

fn jwt(client: &TestClient, claims: &Value) -> String {
    sign(
        &client.signer,
        &header(&client.signer, Some(KID), json!({})),
        claims,
    )
}

fn check(client: &TestClient, jwt: &str) -> Result<VerifiedSignedRequest, SignedRequestReason> {
    check_signed_request(jwt, CLIENT, &client.keys, None, ISSUER, NOW)
}

fn reason(claims: Value) -> SignedRequestReason {
    let c = client(JoseAlg::Es256);
    check(&c, &jwt(&c, &claims)).unwrap_err()
}

/// CIBA Core §7.1.1: a good request gives its claims as the parameters.
#[test]
fn a_good_signed_request_gives_its_claims_ciba_core_s7_1_1() {
    for alg in [JoseAlg::Ps256, JoseAlg::Es256, JoseAlg::EdDsa] {
        let c = client(alg);
        let verified = check(&c, &jwt(&c, &good_claims())).unwrap();
        assert_eq!((verified.jti.as_str(), verified.exp), ("bc-1", NOW + 300));
        assert_eq!(verified.params.source(), ParamsSource::RequestObject);
        assert_eq!(verified.params.get("login_hint"), Some("alice"));
        assert_eq!(verified.params.get("requested_expiry"), Some("120"));
    }
    // `aud` may be an array holding the issuer; `typ` a plain JWT.
    let c = client(JoseAlg::Es256);
    let array = jwt(&c, &with(json!({"aud": ["https://other.example", ISSUER]})));
    assert!(check(&c, &array).is_ok());
    let typed = sign(
        &c.signer,
        &header(&c.signer, Some(KID), json!({"typ": "JWT"})),
        &good_claims(),
    );
    assert!(check(&c, &typed).is_ok());
}

/// CIBA Core §7.1.1, RFC 8725 §3.1: unsigned, HMAC, or signed by another key.
#[test]
fn only_the_clients_asymmetric_signature_counts_ciba_core_s7_1_1() {
    let c = client(JoseAlg::Es256);
    let none = unsigned(&json!({"alg": "none"}), &good_claims());
    assert!(matches!(check(&c, &none), Err(SignedRequestReason::Jws(_))));
    let hmac = hs256(b"secret", &json!({"alg": "HS256", "kid": KID}), &good_claims());
    assert!(matches!(check(&c, &hmac), Err(SignedRequestReason::Jws(_))));
    let other = client(JoseAlg::Es256);
    let forged = jwt(&other, &good_claims());
    assert!(matches!(check(&c, &forged), Err(SignedRequestReason::Jws(_))));
}

/// CIBA Core §4: the registered `backchannel_authentication_request_signing_alg` only.
#[test]
fn the_registered_algorithm_is_enforced_ciba_core_s4() {
    let c = client(JoseAlg::Es256);
    let token = jwt(&c, &good_claims());
    let registered = |alg| check_signed_request(&token, CLIENT, &c.keys, Some(alg), ISSUER, NOW);
    assert!(registered(JoseAlg::Es256).is_ok());
    assert_eq!(
        registered(JoseAlg::Ps256).unwrap_err(),
        SignedRequestReason::RegisteredAlg
    );
}

/// RFC 8725 §3.11: a JWT typed as something else is not a request.
#[test]
fn another_kind_of_jwt_is_refused_rfc8725_s3_11() {
    let c = client(JoseAlg::Es256);
    let dpop = sign(
        &c.signer,
        &header(&c.signer, Some(KID), json!({"typ": "dpop+jwt"})),
        &good_claims(),
    );
    assert_eq!(
        check(&c, &dpop).unwrap_err(),
        SignedRequestReason::Jws(JoseError::TypMismatch)
    );
}

/// CIBA Core §7.1.1: `iss` is the client, `aud` the OP.
#[test]
fn iss_and_aud_ciba_core_s7_1_1() {
    assert_eq!(
        reason(with(json!({"iss": "client-2"}))),
        SignedRequestReason::IssMismatch
    );
    assert_eq!(
        reason(with(json!({"aud": "https://rp.example"}))),
        SignedRequestReason::AudienceMismatch
    );
    assert_eq!(
        reason(with(json!({"aud": ["https://rp.example"]}))),
        SignedRequestReason::AudienceMismatch
    );
    assert_eq!(
        reason(with(json!({"aud": null}))),
        SignedRequestReason::MissingClaim("aud")
    );
    assert_eq!(
        reason(with(json!({"aud": 7}))),
        SignedRequestReason::InvalidClaim("aud")
    );
    assert_eq!(
        reason(with(json!({"client_id": "client-2"}))),
        SignedRequestReason::ClientIdMismatch
    );
}

/// CIBA Core §7.1.1: `exp`, `iat`, `nbf` and `jti` are required.
#[test]
fn exp_iat_nbf_jti_are_required_ciba_core_s7_1_1() {
    for claim in ["exp", "iat", "nbf", "jti", "iss"] {
        assert_eq!(
            reason(with(json!({claim: null}))),
            SignedRequestReason::MissingClaim(claim),
            "{claim}"
        );
    }
    assert_eq!(
        reason(with(json!({"jti": ""}))),
        SignedRequestReason::InvalidClaim("jti")
    );
    assert_eq!(
        reason(with(json!({"jti": "j".repeat(257)}))),
        SignedRequestReason::InvalidClaim("jti")
    );
    assert_eq!(
        reason(with(json!({"exp": "soon"}))),
        SignedRequestReason::InvalidClaim("exp")
    );
}

/// RFC 7519 §4.1.4: `exp` has passed at `now` (the boundary included).
#[test]
fn an_expired_request_is_refused_rfc7519_s4_1_4() {
    assert_eq!(
        reason(with(json!({"nbf": NOW - 60, "exp": NOW}))),
        SignedRequestReason::Expired
    );
    let c = client(JoseAlg::Es256);
    assert!(check(&c, &jwt(&c, &with(json!({"nbf": NOW - 60, "exp": NOW + 1})))).is_ok());
}

/// FAPI CIBA §5.2.2: `exp - nbf` of exactly 60 minutes is accepted, one
/// second more is refused.
#[test]
fn lifetime_at_most_60_minutes_fapi_ciba_s5_2_2() {
    let c = client(JoseAlg::Es256);
    let exactly = with(json!({"nbf": NOW - 10, "exp": NOW - 10 + 3600}));
    assert!(check(&c, &jwt(&c, &exactly)).is_ok());
    let over = with(json!({"nbf": NOW - 10, "exp": NOW - 10 + 3601}));
    assert_eq!(reason(over), SignedRequestReason::LifetimeTooLong);
}

/// RFC 7519 §4.1.5, FAPI 2.0 §5.3.2.1: 10 seconds of skew, no more.
#[test]
fn nbf_and_iat_may_be_at_most_10_seconds_ahead() {
    let c = client(JoseAlg::Es256);
    let skewed = with(json!({"nbf": NOW + 10, "iat": NOW + 10}));
    assert!(check(&c, &jwt(&c, &skewed)).is_ok());
    assert_eq!(
        reason(with(json!({"nbf": NOW + 11}))),
        SignedRequestReason::NotYetValid
    );
    assert_eq!(
        reason(with(json!({"iat": NOW + 11}))),
        SignedRequestReason::IssuedInTheFuture
    );
}

/// CIBA Core §7.1.1: no nested request.
#[test]
fn nested_requests_are_refused() {
    assert_eq!(
        reason(with(json!({"request": "eyJ.a.b"}))),
        SignedRequestReason::Nested
    );
    assert_eq!(
        reason(with(json!({"request_uri": "urn:x"}))),
        SignedRequestReason::Nested
    );
}

/// CIBA Core §13: every reason is `invalid_request` on the wire.
#[test]
fn every_reason_is_invalid_request_ciba_core_s13() {
    let err = OAuthError::from(SignedRequestReason::AudienceMismatch);
    assert_eq!(err.code, crate::protocol::error::ErrorCode::InvalidRequest);
    assert!(err.to_string().contains("aud"));
}

fn form(body: &str) -> Form {
    Form::parse(body.as_bytes()).unwrap()
}

/// CIBA Core §7.1.1: beside `request`, only client authentication.
#[test]
fn only_client_authentication_beside_the_request_ciba_core_s7_1_1() {
    let ok = form("request=eyJ.a.b&client_id=c&client_assertion=x&client_assertion_type=t");
    assert!(matches!(
        request_source(&ok, true),
        Ok(RequestSource::Signed("eyJ.a.b"))
    ));
    let beside = form("request=eyJ.a.b&login_hint=alice");
    assert_eq!(
        request_source(&beside, false).unwrap_err(),
        SignedRequestReason::OuterParameter("login_hint".into())
    );
}

/// FAPI CIBA §5.2.2 / CIBA Core §4: an unsigned request where a signed one
/// is required; otherwise the form is the request.
#[test]
fn unsigned_requests_only_where_allowed_fapi_ciba_s5_2_2() {
    let plain = form("scope=openid&login_hint=alice");
    assert_eq!(
        request_source(&plain, true).unwrap_err(),
        SignedRequestReason::Unsigned
    );
    let Ok(RequestSource::Unsigned(params)) = request_source(&plain, false) else {
        panic!("expected the form")
    };
    assert_eq!(params.get("login_hint"), Some("alice"));
}
