//! ID tokens encrypted to the client (OIDC Core §10.2, as the CDR requires):
//! a `[[clients]]` entry with `id_token_encrypted_response_alg` and an RSA
//! `use: enc` key in its JWKS file gets, from the code flow's token
//! response, a compact JWE (RFC 7516 §7.1). The test decrypts it as the
//! client does, with its own aws-lc-rs code (RSA-OAEP / RSA-OAEP-256, RFC
//! 7518 §4.3; A256GCM with the protected header as AAD, §5.3), and verifies
//! the inner JWS with the OP's `/jwks`.

use super::super::support::{get, json};
use super::harness::*;
use super::rar::{authorize_with_params, tokens_for};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rsa::{KeyPair, KeySize, OaepPrivateDecryptingKey, PrivateDecryptingKey, PublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fiducia::protocol::jose::{PublicJwk, verify_jws};
use serde_json::{Value, json};

/// A private_key_jwt client whose ID tokens are encrypted with RSA-OAEP.
const CDR_OAEP: &str = "cdr-oaep-client";
/// The same with RSA-OAEP-256 (and `enc` given explicitly).
const CDR_OAEP_256: &str = "cdr-oaep-256-client";
pub const ENC_KID: &str = "cdr-enc-1";

/// The client's RSA encryption key: its private half and its public JWK.
pub fn client_encryption_key() -> (OaepPrivateDecryptingKey, Value) {
    let pair = KeyPair::generate(KeySize::Rsa2048).unwrap();
    let public = PublicKeyComponents::<Vec<u8>>::from(aws_lc_rs::signature::KeyPair::public_key(&pair));
    let pkcs8 = AsDer::<Pkcs8V1Der>::as_der(&pair).unwrap();
    let private =
        OaepPrivateDecryptingKey::new(PrivateDecryptingKey::from_pkcs8(pkcs8.as_ref()).unwrap()).unwrap();
    let jwk = json!({
        "kty": "RSA",
        "use": "enc",
        "kid": ENC_KID,
        "n": URL_SAFE_NO_PAD.encode(&public.n),
        "e": URL_SAFE_NO_PAD.encode(&public.e),
    });
    (private, jwk)
}

/// The OP with the two encrypting clients; their JWKS holds the harness's
/// signing key (for private_key_jwt) and the RSA encryption key.
async fn start(enc_jwk: Value) -> Op {
    Op::start_with_clients("", move |jwks_file| {
        let mut jwks: Value = serde_json::from_slice(&std::fs::read(jwks_file).unwrap()).unwrap();
        jwks["keys"].as_array_mut().unwrap().push(enc_jwk);
        let cdr_jwks = jwks_file.with_file_name("cdr-jwks.json");
        std::fs::write(&cdr_jwks, jwks.to_string()).unwrap();
        let file = cdr_jwks.display();
        format!(
            r#"
[[clients]]
client_id = "{CDR_OAEP}"
client_name = "CDR Fintech"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "private_key_jwt"
jwks_file = "{file}"
id_token_encrypted_response_alg = "RSA-OAEP"

[[clients]]
client_id = "{CDR_OAEP_256}"
client_name = "CDR Fintech 256"
redirect_uris = ["{REDIRECT}"]
token_endpoint_auth_method = "private_key_jwt"
jwks_file = "{file}"
id_token_encrypted_response_alg = "RSA-OAEP-256"
id_token_encrypted_response_enc = "A256GCM"
"#
        )
    })
    .await
}

/// RFC 7516 §5.2, as the client decrypts: the protected header and the
/// plaintext, or `None` when the key or the tag does not match.
pub fn decrypt(jwe: &str, key: &OaepPrivateDecryptingKey) -> Option<(Value, String)> {
    let parts: Vec<&str> = jwe.split('.').collect();
    let [header_b64, encrypted_key, iv, ciphertext, tag] = parts[..] else {
        panic!("not a five-part compact JWE: {jwe}");
    };
    let decode = |s: &str| URL_SAFE_NO_PAD.decode(s).unwrap();
    let header: Value = serde_json::from_slice(&decode(header_b64)).unwrap();
    let oaep = match header["alg"].as_str() {
        Some("RSA-OAEP") => &aws_lc_rs::rsa::OAEP_SHA1_MGF1SHA1,
        Some("RSA-OAEP-256") => &aws_lc_rs::rsa::OAEP_SHA256_MGF1SHA256,
        other => panic!("alg {other:?}"),
    };
    let mut cek = vec![0u8; key.min_output_size()];
    let cek = key
        .decrypt(oaep, &decode(encrypted_key), &mut cek, None)
        .ok()?
        .to_vec();
    let aead = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &cek).ok()?);
    let iv: [u8; 12] = decode(iv).try_into().ok()?;
    let mut sealed = decode(ciphertext);
    sealed.extend(decode(tag));
    let plain = aead
        .open_in_place(
            Nonce::assume_unique_for_key(iv),
            Aad::from(header_b64.as_bytes()),
            &mut sealed,
        )
        .ok()?;
    Some((header, String::from_utf8(plain.to_vec()).unwrap()))
}

/// OIDC Core §10.2 (signed then encrypted), §3.1.3.7 (the inner ID
/// token's claims), for RSA-OAEP and RSA-OAEP-256; OIDC Discovery §3
/// (the algorithms advertised); a client without the metadata keeps a
/// plain JWS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_code_flow_returns_an_id_token_encrypted_to_the_client() {
    let (private, enc_jwk) = client_encryption_key();
    let op = start(enc_jwk).await;
    let op_keys: Vec<PublicJwk> =
        serde_json::from_value(json(op.send(false, get("/jwks")).await.body())["keys"].clone()).unwrap();

    for (client_id, alg) in [(CDR_OAEP, "RSA-OAEP"), (CDR_OAEP_256, "RSA-OAEP-256")] {
        let dpop = DpopKey::new();
        let (authorized, _) =
            authorize_with_params(&op, client_id, &dpop, "openid", &[("nonce", "n-cdr")]).await;
        let tokens = tokens_for(&op, client_id, &authorized, &dpop).await;
        let id_token = tokens["id_token"].as_str().unwrap();
        assert_eq!(id_token.split('.').count(), 5, "RFC 7516 §7.1: {id_token}");
        // Not readable as a JWS without the client's key.
        assert!(verify_jws(id_token, &op_keys, Some("JWT")).is_err());

        let (header, inner) = decrypt(id_token, &private).expect("the client's key opens it");
        assert_eq!(
            header,
            json!({"alg": alg, "enc": "A256GCM", "kid": ENC_KID, "cty": "JWT"}),
            "{client_id}"
        );
        let claims = verify_jws(&inner, &op_keys, Some("JWT")).unwrap().claims;
        assert_eq!(claims["iss"], ISSUER);
        assert_eq!(claims["aud"], client_id);
        assert_eq!(claims["sub"], "acc-alice-1");
        assert_eq!(claims["nonce"], "n-cdr");
        let (iat, exp) = (claims["iat"].as_u64().unwrap(), claims["exp"].as_u64().unwrap());
        assert!(iat <= now() && exp > now(), "{claims:?}");

        // Another RSA key cannot open it.
        let (stranger, _) = client_encryption_key();
        assert!(decrypt(id_token, &stranger).is_none());
    }

    // A client without the metadata still gets a plain signed ID token.
    let dpop = DpopKey::new();
    let authorized = authorize_pkjwt(&op, Some(&dpop)).await;
    let tokens = json(token_request(&op, &authorized, Some(&dpop)).await.body());
    let claims = verify_jws(tokens["id_token"].as_str().unwrap(), &op_keys, Some("JWT"))
        .unwrap()
        .claims;
    assert_eq!(claims["aud"], PKJWT);

    let metadata = json(
        op.send(false, get("/.well-known/openid-configuration"))
            .await
            .body(),
    );
    assert_eq!(
        metadata["id_token_encryption_alg_values_supported"],
        json!(["RSA-OAEP", "RSA-OAEP-256"])
    );
    assert_eq!(
        metadata["id_token_encryption_enc_values_supported"],
        json!(["A256GCM"])
    );
    op.handle.shutdown().await;
}
