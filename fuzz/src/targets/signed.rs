//! Signed JWTs whose claims an attacker writes: the input is the payload,
//! signed here with a key the checker trusts, so that the claims checks
//! behind the signature are fuzzed (a forged signature stops at the first
//! step; `jose::jws_compact` fuzzes that step). Request objects (RFC 9101),
//! client assertions (RFC 7523), DPoP proofs (RFC 9449), CIBA signed
//! authentication requests (CIBA Core §7.1.1), software statements and
//! the upstream OpenID Provider's ID tokens (OIDC Core §3.1.3.7).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fiducia::protocol::ciba::signed_request::check_signed_request;
use fiducia::protocol::client_auth::{AudiencePolicy, ClientAssertion, check_client_assertion};
use fiducia::protocol::dpop::{DpopRequest, check_dpop_proof};
use fiducia::protocol::jose::{ClientJwk, ClientJwks};
use fiducia::protocol::registration::profile::RegistrationProfile;
use fiducia::protocol::registration::ssa::verify_software_statement;
use fiducia::protocol::request_object::check_request_object;
use fiducia_hsm::{JoseAlg, Signer, SoftwareSigner};
use serde_json::{Value, json};
use std::sync::OnceLock;

const ISSUER: &str = "https://op.example";
const CLIENT_ID: &str = "fintech-1";
/// 2027-01-15: what every `now` is (a seed's `exp` and `iat` are near it).
const NOW: u64 = 1_800_000_000;

/// The one key every target signs with, and the client's JWKS holding it.
struct Key {
    signer: SoftwareSigner,
    keys: Vec<ClientJwk>,
}

fn key() -> Option<&'static Key> {
    static KEY: OnceLock<Option<Key>> = OnceLock::new();
    KEY.get_or_init(|| {
        let signer = SoftwareSigner::generate(JoseAlg::Es256).ok()?;
        let Value::Object(mut jwk) = serde_json::to_value(signer.public_jwk()).ok()? else {
            return None;
        };
        jwk.insert("kid".into(), "k1".into());
        jwk.insert("use".into(), "sig".into());
        let keys = ClientJwks::from_value(&json!({"keys": [jwk]})).ok()?.keys;
        Some(Key { signer, keys })
    })
    .as_ref()
}

/// `header` (its `alg` the key's) and `payload`, signed by the key.
fn signed(key: &Key, mut header: Value, payload: &[u8]) -> Option<String> {
    header["alg"] = key.signer.alg().as_str().into();
    let mut jws = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).ok()?);
    jws.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut jws);
    let signature = futures::executor::block_on(key.signer.sign(jws.as_bytes())).ok()?;
    jws.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut jws);
    Some(jws)
}

/// A request object (RFC 9101 §6.3: the OP's checks of its claims).
pub fn request_object(data: &[u8]) {
    let Some(key) = key() else { return };
    let header = json!({"kid": "k1", "typ": "oauth-authz-req+jwt"});
    if let Some(jwt) = signed(key, header, data) {
        let _ = check_request_object(&jwt, CLIENT_ID, &key.keys, ISSUER, NOW);
    }
}

/// A client assertion (RFC 7523 §3), under both audience policies.
pub fn client_assertion(data: &[u8]) {
    let Some(key) = key() else { return };
    let Some(jwt) = signed(key, json!({"kid": "k1", "typ": "JWT"}), data) else {
        return;
    };
    let Ok(assertion) =
        ClientAssertion::parse("urn:ietf:params:oauth:client-assertion-type:jwt-bearer", &jwt)
    else {
        return;
    };
    let audiences = [ISSUER, "https://op.example/token"];
    for audience in [
        AudiencePolicy::IssuerOnly(ISSUER),
        AudiencePolicy::AnyOf(&audiences),
    ] {
        let _ = check_client_assertion(assertion, CLIENT_ID, &key.keys, audience, NOW, 300);
    }
}

/// A DPoP proof (RFC 9449 §4.3) at the token endpoint and at a resource
/// with an access token and a nonce.
pub fn dpop_proof(data: &[u8]) {
    let Some(key) = key() else { return };
    let header = json!({"typ": "dpop+jwt", "jwk": key.signer.public_jwk()});
    let Some(proof) = signed(key, header, data) else {
        return;
    };
    let requests = [
        DpopRequest {
            method: "POST",
            url: "https://op.example/token",
            access_token: None,
            expected_nonce: None,
        },
        DpopRequest {
            method: "GET",
            url: "https://bank.example:443/accounts?page=2",
            access_token: Some("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            expected_nonce: Some("eyJ7S_zG.eyJH0-Z.HX4w-7v"),
        },
    ];
    for request in requests {
        let _ = check_dpop_proof(&proof, request, NOW, 60);
    }
}

/// An ID token of the bank's upstream OpenID Provider, validated as its
/// relying party (OIDC Core §3.1.3.7), with and without `max_age` sent.
pub fn upstream_id_token(data: &[u8]) {
    use fiducia::protocol::upstream_id_token::{Expected, hash, validate};
    let Some(key) = key() else { return };
    let Some(jwt) = signed(key, json!({"kid": "k1"}), data) else {
        return;
    };
    let jwks = ClientJwks {
        keys: key.keys.clone(),
        ..ClientJwks::default()
    };
    let nonce = hash("n-0S6_WzA2Mj");
    for max_age_sent in [false, true] {
        let expected = Expected {
            issuer: ISSUER,
            client_id: CLIENT_ID,
            nonce_hash: &nonce,
            started: NOW - 30,
            max_age_sent,
            now: NOW,
        };
        let _ = validate(&jwt, &jwks, &expected);
    }
}

/// A CIBA signed authentication request (CIBA Core §7.1.1).
pub fn ciba_signed_request(data: &[u8]) {
    let Some(key) = key() else { return };
    if let Some(jwt) = signed(key, json!({"kid": "k1"}), data) {
        for registered in [None, Some(JoseAlg::Es256)] {
            let _ = check_signed_request(&jwt, CLIENT_ID, &key.keys, registered, ISSUER, NOW);
        }
    }
}

/// A software statement from a trusted directory, read under every
/// registration profile.
pub fn software_statement(data: &[u8]) {
    let Some(key) = key() else { return };
    if let Some(jwt) = signed(key, json!({"kid": "k1", "typ": "JWT"}), data) {
        for profile in [
            RegistrationProfile::Generic,
            RegistrationProfile::Uk,
            RegistrationProfile::Brazil,
            RegistrationProfile::Cdr,
        ] {
            let _ = verify_software_statement(&jwt, &key.keys, "OpenBanking Ltd", profile, 86_400, NOW);
        }
    }
}
