//! ID tokens encrypted to the client: JWE compact serialization (RFC 7516
//! §7.1) of a signed ID token, i.e. a nested JWT (OIDC Core §10.2: signed,
//! then encrypted; RFC 7519 §5.2 `cty: JWT`).
//!
//! Built on aws-lc-rs (already the OP's crypto library: RSA-OAEP and
//! AES-GCM); no other crypto crate is used. What is supported:
//!
//! - key management `RSA-OAEP` (SHA-1, MGF1-SHA-1) and `RSA-OAEP-256`
//!   (SHA-256, MGF1-SHA-256), RFC 7518 §4.3, to an RSA key of at least
//!   [`MIN_RSA_BITS`] bits ([`EncryptionJwk`]);
//! - content encryption `A256GCM` (RFC 7518 §5.3) with a fresh 256-bit CEK
//!   and 96-bit IV per token from aws-lc-rs's RNG; the AAD is the ASCII of
//!   the base64url protected header (RFC 7516 §5.1 step 14);
//! - the protected header `{"alg", "enc", "kid" (the client's, when its key
//!   has one), "cty": "JWT"}`.
//!
//! Sans-IO: no clock, no network. The OP only encrypts; the decryption in
//! the tests is there to check what it produces.

mod key;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;

pub use key::{EncryptionJwk, MIN_RSA_BITS, select_key};

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// JWE `alg`: how the CEK is encrypted to the client's key (RFC 7518 §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
pub enum KeyManagementAlg {
    /// RSAES-OAEP with SHA-1 and MGF1-SHA-1.
    #[serde(rename = "RSA-OAEP")]
    RsaOaep,
    /// RSAES-OAEP with SHA-256 and MGF1-SHA-256.
    #[serde(rename = "RSA-OAEP-256")]
    RsaOaep256,
}

impl KeyManagementAlg {
    /// Every supported value, as discovery lists them.
    pub const ALL: [KeyManagementAlg; 2] = [KeyManagementAlg::RsaOaep, KeyManagementAlg::RsaOaep256];

    /// The JOSE name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyManagementAlg::RsaOaep => "RSA-OAEP",
            KeyManagementAlg::RsaOaep256 => "RSA-OAEP-256",
        }
    }

    /// The JOSE name, parsed.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }

    fn oaep(self) -> &'static aws_lc_rs::rsa::OaepAlgorithm {
        match self {
            KeyManagementAlg::RsaOaep => &aws_lc_rs::rsa::OAEP_SHA1_MGF1SHA1,
            KeyManagementAlg::RsaOaep256 => &aws_lc_rs::rsa::OAEP_SHA256_MGF1SHA256,
        }
    }
}

impl std::fmt::Display for KeyManagementAlg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// JWE `enc`: how the content is encrypted (RFC 7518 §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
pub enum ContentEncryption {
    /// AES-256 in Galois/Counter Mode, 96-bit IV, 128-bit tag.
    #[serde(rename = "A256GCM")]
    A256Gcm,
}

impl ContentEncryption {
    /// Every supported value, as discovery lists them.
    pub const ALL: [ContentEncryption; 1] = [ContentEncryption::A256Gcm];

    /// The JOSE name.
    pub fn as_str(self) -> &'static str {
        match self {
            ContentEncryption::A256Gcm => "A256GCM",
        }
    }
}

impl std::fmt::Display for ContentEncryption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A client's OIDC Registration §2 `id_token_encrypted_response_alg` and
/// `_enc`: its ID tokens are encrypted with these. Stored with a
/// registered client's metadata (`ClientMetadata::id_token_encryption`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub struct IdTokenEncryption {
    /// `id_token_encrypted_response_alg`.
    pub alg: KeyManagementAlg,
    /// `id_token_encrypted_response_enc` (A256GCM when not registered).
    pub enc: ContentEncryption,
}

/// Why a key cannot be encrypted to, or a JWE not produced (or, in tests,
/// not decrypted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JweError {
    /// `kty` is not `RSA`.
    #[error("the key is not an RSA key")]
    NotRsa,
    /// `use` other than `enc`, or `key_ops` without `encrypt`/`wrapKey` (RFC 7517 §4.2-4.3).
    #[error("the key is not for encryption")]
    NotForEncryption,
    /// The key declares an `alg` we do not encrypt with (e.g. `RSA1_5`).
    #[error("the key's alg is not RSA-OAEP or RSA-OAEP-256")]
    UnsupportedAlg,
    /// A published private key is compromised: not used.
    #[error("the key has private members")]
    PrivateMembers,
    /// Shorter than [`MIN_RSA_BITS`] (RFC 7518 §4.3: 2048 bits or larger).
    #[error("the RSA key has {0} bits; at least 2048 are required")]
    KeyTooShort(usize),
    /// Missing or invalid members.
    #[error("the key is malformed")]
    Malformed,
    /// The RNG or a cipher failed.
    #[error("encryption failed")]
    Crypto,
    /// Not a five-part compact JWE, or its header is not ours.
    #[error("not a compact JWE")]
    NotCompact,
    /// The tag did not verify (tampered header, key, IV, ciphertext or tag).
    #[error("decryption failed")]
    Decrypt,
}

/// base64url without padding (RFC 7515 §2).
fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The protected header of an encrypted ID token.
fn protected_header(
    key: &EncryptionJwk,
    alg: KeyManagementAlg,
    enc: ContentEncryption,
) -> Map<String, Value> {
    let mut header = Map::new();
    header.insert("alg".into(), alg.as_str().into());
    header.insert("enc".into(), enc.as_str().into());
    if let Some(kid) = key.kid() {
        header.insert("kid".into(), kid.into());
    }
    // RFC 7519 §5.2 / OIDC Core §10.2: the content is itself a JWT.
    header.insert("cty".into(), "JWT".into());
    header
}

/// Encrypts the compact JWS `jws` to `key` (RFC 7516 §5.1), returning the
/// compact JWE `header.encrypted_key.iv.ciphertext.tag`.
pub fn encrypt_jws(
    jws: &str,
    key: &EncryptionJwk,
    encryption: IdTokenEncryption,
) -> Result<String, JweError> {
    if !key.usable_with(encryption.alg) {
        return Err(JweError::UnsupportedAlg);
    }
    let header = Value::Object(protected_header(key, encryption.alg, encryption.enc)).to_string();
    let header_b64 = b64(header.as_bytes());
    let ContentEncryption::A256Gcm = encryption.enc;
    let mut cek = [0u8; 32];
    let mut iv = [0u8; 12];
    aws_lc_rs::rand::fill(&mut cek).map_err(|_| JweError::Crypto)?;
    aws_lc_rs::rand::fill(&mut iv).map_err(|_| JweError::Crypto)?;
    let public = key.oaep_key()?;
    let mut encrypted_key = vec![0u8; public.ciphertext_size()];
    let encrypted_key = public
        .encrypt(encryption.alg.oaep(), &cek, &mut encrypted_key, None)
        .map_err(|_| JweError::Crypto)?
        .to_vec();
    let aead = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &cek).map_err(|_| JweError::Crypto)?);
    let mut content = jws.as_bytes().to_vec();
    let tag = aead
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(iv),
            Aad::from(header_b64.as_bytes()),
            &mut content,
        )
        .map_err(|_| JweError::Crypto)?;
    Ok(format!(
        "{header_b64}.{}.{}.{}.{}",
        b64(&encrypted_key),
        b64(&iv),
        b64(&content),
        b64(tag.as_ref())
    ))
}
