//! RFC 7516 / RFC 7518 §4.3, §5.3: round trips, the header, tampering and
//! the keys refused.

use super::testing::{decrypt, rsa_key};
use super::*;
use aws_lc_rs::rsa::KeySize;
use serde_json::json;

const JWS: &str = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl";

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => panic!("not an object"),
    }
}

fn with(mut jwk: Value, extra: Value) -> Map<String, Value> {
    for (name, value) in object(extra) {
        jwk[name] = value;
    }
    object(jwk)
}

fn encryption(alg: KeyManagementAlg) -> IdTokenEncryption {
    IdTokenEncryption {
        alg,
        enc: ContentEncryption::A256Gcm,
    }
}

#[test]
fn round_trip_for_rsa_oaep_and_rsa_oaep_256_rfc7518_s4_3() {
    let (private, jwk) = rsa_key(KeySize::Rsa2048);
    let key = EncryptionJwk::from_json(&with(jwk, json!({"use": "enc", "kid": "enc-1"}))).unwrap();
    for alg in KeyManagementAlg::ALL {
        let jwe = encrypt_jws(JWS, &key, encryption(alg)).unwrap();
        assert_eq!(jwe.split('.').count(), 5, "RFC 7516 §7.1 compact form");
        let (header, plain) = decrypt(&jwe, &private).unwrap();
        assert_eq!(plain, JWS.as_bytes());
        // OIDC Core §10.2: alg, enc, the client's kid, cty JWT (nested JWT).
        assert_eq!(
            header,
            json!({"alg": alg.as_str(), "enc": "A256GCM", "kid": "enc-1", "cty": "JWT"})
        );
    }
}

#[test]
fn each_token_has_its_own_cek_and_iv() {
    let (_, jwk) = rsa_key(KeySize::Rsa2048);
    let key = EncryptionJwk::from_json(&object(jwk)).unwrap();
    let a = encrypt_jws(JWS, &key, encryption(KeyManagementAlg::RsaOaep256)).unwrap();
    let b = encrypt_jws(JWS, &key, encryption(KeyManagementAlg::RsaOaep256)).unwrap();
    let (a, b): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
    assert_ne!(a[1], b[1], "encrypted key");
    assert_ne!(a[2], b[2], "IV");
    assert_eq!(URL_SAFE_NO_PAD.decode(a[2]).unwrap().len(), 12, "96-bit IV");
    // No kid on the key: none in the header.
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(a[0]).unwrap()).unwrap();
    assert!(header.get("kid").is_none());
}

/// Flips one bit of part `index` of a compact JWE.
fn tamper(jwe: &str, index: usize) -> String {
    let mut parts: Vec<String> = jwe.split('.').map(str::to_owned).collect();
    let mut bytes = URL_SAFE_NO_PAD.decode(&parts[index]).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    parts[index] = b64(&bytes);
    parts.join(".")
}

#[test]
fn tampered_header_ciphertext_or_tag_fails_rfc7516_s5_2() {
    let (private, jwk) = rsa_key(KeySize::Rsa2048);
    let key = EncryptionJwk::from_json(&object(jwk)).unwrap();
    let jwe = encrypt_jws(JWS, &key, encryption(KeyManagementAlg::RsaOaep)).unwrap();
    assert!(decrypt(&jwe, &private).is_ok());
    for (part, name) in [(3, "ciphertext"), (4, "tag"), (2, "IV"), (1, "encrypted key")] {
        assert_eq!(
            decrypt(&tamper(&jwe, part), &private),
            Err(JweError::Decrypt),
            "{name}"
        );
    }
    // The header is the AAD: a changed header (still valid JSON) fails.
    let parts: Vec<&str> = jwe.split('.').collect();
    let other = b64(json!({"alg": "RSA-OAEP", "enc": "A256GCM", "cty": "JWT", "x": 1})
        .to_string()
        .as_bytes());
    let forged = format!("{other}.{}.{}.{}.{}", parts[1], parts[2], parts[3], parts[4]);
    assert_eq!(decrypt(&forged, &private), Err(JweError::Decrypt));
    // Another key cannot open it.
    let (stranger, _) = rsa_key(KeySize::Rsa2048);
    assert_eq!(decrypt(&jwe, &stranger), Err(JweError::Decrypt));
}

#[test]
fn keys_refused_rfc7517_s4_rfc7518_s4_3() {
    let (_, jwk) = rsa_key(KeySize::Rsa2048);
    let refused = |extra: Value| EncryptionJwk::from_json(&with(jwk.clone(), extra)).unwrap_err();
    assert_eq!(refused(json!({"use": "sig"})), JweError::NotForEncryption);
    assert_eq!(
        refused(json!({"key_ops": ["verify"]})),
        JweError::NotForEncryption
    );
    assert_eq!(refused(json!({"alg": "RSA1_5"})), JweError::UnsupportedAlg);
    assert_eq!(refused(json!({"kty": "EC"})), JweError::NotRsa);
    assert_eq!(refused(json!({"d": "AQAB"})), JweError::PrivateMembers);
    assert_eq!(refused(json!({"n": "!!"})), JweError::Malformed);
    // A 1024-bit modulus: too short.
    let n = URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap();
    assert_eq!(refused(json!({"n": b64(&n[..128])})), JweError::KeyTooShort(1024));
    // Leading zero bytes do not make a short key long.
    let mut padded = vec![0u8; 200];
    padded.extend_from_slice(&n[..128]);
    assert_eq!(refused(json!({"n": b64(&padded)})), JweError::KeyTooShort(1024));
    // use enc, key_ops wrapKey and a declared alg are accepted.
    let ok = EncryptionJwk::from_json(&with(
        jwk.clone(),
        json!({"use": "enc", "key_ops": ["wrapKey"], "alg": "RSA-OAEP-256"}),
    ))
    .unwrap();
    assert!(ok.usable_with(KeyManagementAlg::RsaOaep256));
    assert!(!ok.usable_with(KeyManagementAlg::RsaOaep));
    assert_eq!(
        encrypt_jws(JWS, &ok, encryption(KeyManagementAlg::RsaOaep)),
        Err(JweError::UnsupportedAlg)
    );
    assert_eq!(
        select_key(std::slice::from_ref(&ok), KeyManagementAlg::RsaOaep),
        None
    );
    assert_eq!(
        select_key(std::slice::from_ref(&ok), KeyManagementAlg::RsaOaep256),
        Some(&ok)
    );
}
