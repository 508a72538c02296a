//! Test helpers: JWTs signed with software keys, well-formed ones through
//! `fiducia_hsm::sign_jws` and hand-made ones (lying headers, `alg: none`,
//! HMAC with a public key as the secret, clients' own `kid`s) for the
//! negative tests. Certificates with rcgen.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use fiducia_hsm::{JoseAlg, Signer, SoftwareSigner, sign_jws};
use rcgen::{CertificateParams, DistinguishedName, DnType, DnValue, KeyPair, SanType};
use serde_json::{Map, Value, json};

/// A fresh software key.
pub(crate) fn key(alg: JoseAlg) -> SoftwareSigner {
    SoftwareSigner::generate(alg).unwrap()
}

/// base64url without padding.
pub(crate) fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A JWS as the HSM seam signs it: `alg` and `kid` (the thumbprint) from the
/// signer, plus `extra` header members.
pub(crate) fn sign_hsm(signer: &SoftwareSigner, extra: Value, claims: &Value) -> String {
    let Value::Object(extra) = extra else {
        panic!("header extra must be an object")
    };
    futures::executor::block_on(sign_jws(signer, extra, claims.to_string().as_bytes())).unwrap()
}

/// A JWS with exactly this header (which may lie about `alg` or `kid`),
/// signed by `signer`.
pub(crate) fn sign_raw(signer: &SoftwareSigner, header: &Value, payload: &[u8]) -> String {
    let input = format!("{}.{}", b64(header.to_string()), b64(payload));
    let signature = futures::executor::block_on(signer.sign(input.as_bytes())).unwrap();
    format!("{input}.{}", b64(signature))
}

/// [`sign_raw`] of a JSON claims object.
pub(crate) fn sign(signer: &SoftwareSigner, header: &Value, claims: &Value) -> String {
    sign_raw(signer, header, claims.to_string().as_bytes())
}

/// `{"alg": <signer's>, "kid": kid}` merged with `extra`; a `null` in
/// `extra` removes that member.
pub(crate) fn header(signer: &SoftwareSigner, kid: Option<&str>, extra: Value) -> Value {
    let mut header = Map::new();
    header.insert("alg".into(), signer.alg().as_str().into());
    if let Some(kid) = kid {
        header.insert("kid".into(), kid.into());
    }
    let Value::Object(extra) = extra else {
        panic!("header extra must be an object")
    };
    for (name, value) in extra {
        if value.is_null() {
            header.remove(&name);
        } else {
            header.insert(name, value);
        }
    }
    Value::Object(header)
}

/// `base` (a JSON object) with `changes` applied: each member set, a
/// `null` one removed.
pub(crate) fn with_changes(mut base: Value, changes: Value) -> Value {
    let Value::Object(changes) = changes else {
        panic!("changes must be an object")
    };
    for (name, value) in changes {
        if value.is_null() {
            base.as_object_mut().expect("an object").remove(&name);
        } else {
            base[name] = value;
        }
    }
    base
}

/// An unsecured JWS: empty signature (RFC 7519 §6).
pub(crate) fn unsigned(header: &Value, claims: &Value) -> String {
    format!("{}.{}.", b64(header.to_string()), b64(claims.to_string()))
}

/// HS256 with `secret` (the classic attack uses the server's public key).
pub(crate) fn hs256(secret: &[u8], header: &Value, claims: &Value) -> String {
    let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
    let tag = aws_lc_rs::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", b64(tag.as_ref()))
}

/// The signer's public key members only (no `kid`, `alg`, `use`), as a
/// client's JWKS or a DPoP header carries them.
pub(crate) fn public_members(signer: &SoftwareSigner) -> Map<String, Value> {
    let Value::Object(mut jwk) = serde_json::to_value(signer.public_jwk()).unwrap() else {
        unreachable!()
    };
    for member in ["kid", "alg", "use"] {
        jwk.remove(member);
    }
    jwk
}

/// A client JWK: the signer's key with the client's own `kid` and `extra` members.
pub(crate) fn client_jwk_json(signer: &SoftwareSigner, kid: &str, extra: Value) -> Value {
    let mut jwk = public_members(signer);
    jwk.insert("kid".into(), kid.into());
    if let Value::Object(extra) = extra {
        jwk.extend(extra);
    }
    Value::Object(jwk)
}

/// A self-signed certificate for the signer's key with `subject` given in
/// ASN.1 order (RFC 4514 strings list it reversed) and `sans`.
pub(crate) fn certificate(
    signer: &SoftwareSigner,
    subject: &[(DnType, DnValue)],
    sans: Vec<SanType>,
) -> Vec<u8> {
    let pkcs8 = signer.to_pkcs8_der().unwrap();
    let key_pair = KeyPair::try_from(pkcs8.as_slice()).unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    let mut name = DistinguishedName::new();
    for (ty, value) in subject {
        name.push(ty.clone(), value.clone());
    }
    params.distinguished_name = name;
    params.subject_alt_names = sans;
    params.self_signed(&key_pair).unwrap().der().to_vec()
}

/// The `x5c` member for these certificates.
pub(crate) fn x5c(certs: &[&[u8]]) -> Value {
    json!(certs.iter().map(|c| STANDARD.encode(c)).collect::<Vec<_>>())
}

/// A client's signing key and its JWKS as the OP parses it (one key,
/// `kid`), for tests of what clients sign (request objects, CIBA signed
/// requests).
pub struct TestClient {
    /// Signs the client's JWTs.
    pub signer: SoftwareSigner,
    /// Its public key as `ClientJwks` reads it.
    pub keys: Vec<super::ClientJwk>,
}

/// A [`TestClient`] with a fresh `alg` key under `kid`.
pub fn test_client(alg: JoseAlg, kid: &str) -> TestClient {
    let signer = key(alg);
    let jwks = json!({"keys": [client_jwk_json(&signer, kid, json!({}))]});
    let keys = super::ClientJwks::from_value(&jwks).unwrap().keys;
    TestClient { signer, keys }
}
