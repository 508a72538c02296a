use fiducia_hsm::{JoseAlg, Signer, SoftwareSigner};
use serde_json::{Value, json};

use super::*;
use crate::protocol::jose::JwkProblem;
use crate::protocol::jose::testing::{b64, header, hs256, key, public_members, sign, unsigned};

const NOW: u64 = 1_800_000_000;
const URL: &str = "https://as.example/token";

fn request() -> DpopRequest<'static> {
    DpopRequest {
        method: "POST",
        url: URL,
        access_token: None,
        expected_nonce: None,
    }
}

fn proof_header(signer: &SoftwareSigner) -> Value {
    header(
        signer,
        None,
        json!({"typ": "dpop+jwt", "jwk": public_members(signer)}),
    )
}

fn proof_claims() -> Value {
    json!({"jti": "e1j3V_bKic8-LAEB", "htm": "POST", "htu": URL, "iat": NOW})
}

/// A proof by `signer` with `changes` applied to the claims (`null` removes).
fn proof(signer: &SoftwareSigner, changes: Value) -> String {
    let mut claims = proof_claims();
    for (name, value) in changes.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    sign(signer, &proof_header(signer), &claims)
}

fn check(proof: &str, request: &DpopRequest<'_>) -> Result<DpopProof, DpopReason> {
    let request = *request;
    check_dpop_proof(proof, request, NOW, 60)
}

#[test]
fn valid_proof_gives_jkt_jti_iat_rfc9449_s4_3_s6_1() {
    for alg in JoseAlg::ALL {
        let signer = key(alg);
        let accepted = check(&proof(&signer, json!({})), &request()).unwrap();
        assert_eq!(accepted.jkt, signer.key_id());
        assert_eq!(accepted.jkt, jkt_of(signer.public_jwk()));
        assert_eq!((accepted.jti.as_str(), accepted.iat), ("e1j3V_bKic8-LAEB", NOW));
    }
}

#[test]
fn typ_must_be_dpop_jwt_rfc9449_s4_3_item_4() {
    let signer = key(JoseAlg::Es256);
    for typ in [json!("JWT"), Value::Null] {
        let h = header(&signer, None, json!({"typ": typ, "jwk": public_members(&signer)}));
        let err = check(&sign(&signer, &h, &proof_claims()), &request()).unwrap_err();
        assert!(
            matches!(
                err,
                DpopReason::Jws(JoseError::TypMismatch | JoseError::TypMissing)
            ),
            "{err:?}"
        );
    }
}

#[test]
fn alg_none_hmac_and_alg_jwk_mismatch_are_refused_rfc9449_s4_3_item_5() {
    let signer = key(JoseAlg::Es256);
    let none = json!({"alg": "none", "typ": "dpop+jwt", "jwk": public_members(&signer)});
    assert_eq!(
        check(&unsigned(&none, &proof_claims()), &request()),
        Err(DpopReason::Jws(JoseError::AlgNone))
    );
    let hs = json!({"alg": "HS256", "typ": "dpop+jwt", "jwk": public_members(&signer)});
    let err = check(&hs256(b"secret", &hs, &proof_claims()), &request()).unwrap_err();
    assert_eq!(err, DpopReason::Jws(JoseError::AlgSymmetric));
    // An EdDSA header over a P-256 jwk.
    let ed = key(JoseAlg::EdDsa);
    let lying = json!({"alg": "EdDSA", "typ": "dpop+jwt", "jwk": public_members(&signer)});
    let err = check(&sign(&ed, &lying, &proof_claims()), &request()).unwrap_err();
    assert!(
        matches!(err, DpopReason::Jws(JoseError::AlgKeyMismatch { .. })),
        "{err:?}"
    );
}

#[test]
fn signature_must_verify_with_the_header_jwk_rfc9449_s4_3_item_6() {
    let signer = key(JoseAlg::Es256);
    let other = key(JoseAlg::Es256);
    let forged = sign(&other, &proof_header(&signer), &proof_claims());
    assert_eq!(
        check(&forged, &request()),
        Err(DpopReason::Jws(JoseError::BadSignature))
    );
    let h = header(&signer, None, json!({"typ": "dpop+jwt"}));
    let err = check(&sign(&signer, &h, &proof_claims()), &request()).unwrap_err();
    assert_eq!(err, DpopReason::Jws(JoseError::MissingHeaderJwk));
}

#[test]
fn jwk_with_private_key_is_refused_rfc9449_s4_3_item_7() {
    let signer = key(JoseAlg::Ps256);
    for member in ["d", "p", "q", "dp", "dq", "qi"] {
        let mut jwk = public_members(&signer);
        jwk.insert(member.into(), b64([5u8; 16]).into());
        let h = header(&signer, None, json!({"typ": "dpop+jwt", "jwk": jwk}));
        let err = check(&sign(&signer, &h, &proof_claims()), &request()).unwrap_err();
        assert_eq!(
            err,
            DpopReason::Jws(JoseError::HeaderJwk(JwkProblem::PrivateMembers)),
            "{member}"
        );
    }
}

#[test]
fn required_claims_rfc9449_s4_2_s4_3_item_3() {
    let signer = key(JoseAlg::EdDsa);
    for claim in ["jti", "htm", "htu", "iat"] {
        let err = check(&proof(&signer, json!({claim: null})), &request()).unwrap_err();
        assert_eq!(err, DpopReason::MissingClaim(claim));
    }
    let err = check(&proof(&signer, json!({"iat": "yesterday"})), &request()).unwrap_err();
    assert_eq!(err, DpopReason::InvalidClaim("iat"));
    let err = check(&proof(&signer, json!({"jti": ""})), &request()).unwrap_err();
    assert_eq!(err, DpopReason::InvalidClaim("jti"));
}

#[test]
fn htm_must_match_the_method_rfc9449_s4_3_item_8() {
    let signer = key(JoseAlg::Es256);
    for htm in ["GET", "post"] {
        let err = check(&proof(&signer, json!({"htm": htm})), &request()).unwrap_err();
        assert_eq!(err, DpopReason::HtmMismatch, "{htm}");
    }
}

#[test]
fn htu_must_match_the_uri_without_query_rfc9449_s4_3_item_9() {
    let signer = key(JoseAlg::Es256);
    for htu in [
        "https://as.example/userinfo",
        "https://as.example:8443/token",
        "http://as.example/token",
        "token",
    ] {
        let err = check(&proof(&signer, json!({"htu": htu})), &request()).unwrap_err();
        assert_eq!(err, DpopReason::HtuMismatch, "{htu}");
    }
    // Query and fragment ignored; scheme, host and default port normalized (RFC 3986 §6).
    let with_query = DpopRequest {
        url: "https://as.example/token?state=x",
        ..request()
    };
    assert!(
        check(
            &proof(&signer, json!({"htu": "HTTPS://AS.EXAMPLE:443/token#f"})),
            &with_query
        )
        .is_ok()
    );
}

#[test]
fn stale_or_future_iat_is_refused_rfc9449_s4_3_item_11_s11_1() {
    let signer = key(JoseAlg::Es256);
    assert_eq!(
        check(&proof(&signer, json!({"iat": NOW - 61})), &request()),
        Err(DpopReason::IatTooOld)
    );
    assert!(check(&proof(&signer, json!({"iat": NOW - 60})), &request()).is_ok());
    assert!(check(&proof(&signer, json!({"iat": NOW + 10})), &request()).is_ok());
    assert_eq!(
        check(&proof(&signer, json!({"iat": NOW + 11})), &request()),
        Err(DpopReason::IatInFuture)
    );
}

#[test]
fn ath_must_hash_the_presented_token_rfc9449_s4_3_item_12_s7_1() {
    let signer = key(JoseAlg::Es256);
    let token = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
    let at_resource = DpopRequest {
        method: "GET",
        url: "https://as.example/userinfo",
        access_token: Some(token),
        expected_nonce: None,
    };
    let base = json!({"htm": "GET", "htu": "https://as.example/userinfo"});
    let with = |ath: Value| {
        let mut changes = base.clone();
        changes["ath"] = ath;
        proof(&signer, changes)
    };
    assert!(check(&with(json!(ath_of(token))), &at_resource).is_ok());
    assert_eq!(
        check(&with(json!(ath_of("another"))), &at_resource),
        Err(DpopReason::AthMismatch)
    );
    assert_eq!(
        check(&with(Value::Null), &at_resource),
        Err(DpopReason::AthMissing)
    );
    // RFC 9449 §7.1 example token and ath.
    assert_eq!(ath_of(token), "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
    // No token presented: `ath` is not required, and an `ath` is not an error.
    assert!(
        check(
            &with(json!(ath_of(token))),
            &DpopRequest {
                access_token: None,
                ..at_resource
            }
        )
        .is_ok()
    );
}

#[test]
fn server_nonce_is_required_when_set_rfc9449_s8_s9() {
    let signer = key(JoseAlg::Es256);
    let needs_nonce = DpopRequest {
        expected_nonce: Some("eyJ7S_zG.eyJH0-Z.HX4w-7v"),
        ..request()
    };
    let missing = check(&proof(&signer, json!({})), &needs_nonce).unwrap_err();
    assert_eq!(missing, DpopReason::NonceMissing);
    assert_eq!(OAuthError::from(missing).code, ErrorCode::UseDpopNonce);
    let stale = check(&proof(&signer, json!({"nonce": "old"})), &needs_nonce).unwrap_err();
    assert_eq!(stale, DpopReason::NonceMismatch);
    assert!(
        check(
            &proof(&signer, json!({"nonce": "eyJ7S_zG.eyJH0-Z.HX4w-7v"})),
            &needs_nonce
        )
        .is_ok()
    );
    // Other failures stay invalid_dpop_proof (RFC 9449 §7).
    assert_eq!(
        OAuthError::from(DpopReason::HtuMismatch).code,
        ErrorCode::InvalidDpopProof
    );
}
