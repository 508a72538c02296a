//! Test support: RSA key pairs as JWKs, and the client's side (decryption
//! of a compact JWE with its private key, RFC 7516 §5.2).

use super::{JweError, KeyManagementAlg};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize, OaepPrivateDecryptingKey, PrivateDecryptingKey, PublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// A fresh RSA key: its private decryption key and public JWK members `n`, `e`.
pub(crate) fn rsa_key(size: KeySize) -> (OaepPrivateDecryptingKey, Value) {
    let pair = KeyPair::generate(size).unwrap();
    let components = PublicKeyComponents::<Vec<u8>>::from(aws_lc_rs::signature::KeyPair::public_key(&pair));
    let pkcs8 = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair).unwrap();
    let private = PrivateDecryptingKey::from_pkcs8(pkcs8.as_ref()).unwrap();
    let jwk = json!({
        "kty": "RSA",
        "n": URL_SAFE_NO_PAD.encode(&components.n),
        "e": URL_SAFE_NO_PAD.encode(&components.e),
    });
    (OaepPrivateDecryptingKey::new(private).unwrap(), jwk)
}

/// Decrypts a compact JWE as the client does: returns the protected header
/// and the plaintext.
pub(crate) fn decrypt(jwe: &str, key: &OaepPrivateDecryptingKey) -> Result<(Value, Vec<u8>), JweError> {
    let parts: Vec<&str> = jwe.split('.').collect();
    let [header_b64, encrypted_key, iv, ciphertext, tag] = parts[..] else {
        return Err(JweError::NotCompact);
    };
    let decode = |s: &str| URL_SAFE_NO_PAD.decode(s).map_err(|_| JweError::NotCompact);
    let header: Value = serde_json::from_slice(&decode(header_b64)?).map_err(|_| JweError::NotCompact)?;
    let alg = header["alg"]
        .as_str()
        .and_then(KeyManagementAlg::parse)
        .ok_or(JweError::NotCompact)?;
    if header["enc"] != "A256GCM" {
        return Err(JweError::NotCompact);
    }
    let mut cek = vec![0u8; key.min_output_size()];
    let cek = key
        .decrypt(alg.oaep(), &decode(encrypted_key)?, &mut cek, None)
        .map_err(|_| JweError::Decrypt)?
        .to_vec();
    let iv: [u8; 12] = decode(iv)?.try_into().map_err(|_| JweError::NotCompact)?;
    let aead = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &cek).map_err(|_| JweError::Decrypt)?);
    let mut in_out = decode(ciphertext)?;
    in_out.extend(decode(tag)?);
    let plain = aead
        .open_in_place(
            Nonce::assume_unique_for_key(iv),
            Aad::from(header_b64.as_bytes()),
            &mut in_out,
        )
        .map_err(|_| JweError::Decrypt)?;
    Ok((header, plain.to_vec()))
}
