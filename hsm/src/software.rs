//! A [`Signer`] whose private key lives in process memory (aws-lc-rs).

use std::fmt;

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RSA_PSS_SHA256, RsaKeyPair,
    RsaPublicKeyComponents,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use crate::{JoseAlg, JwkError, PublicJwk, SignError, SignFuture, Signer};

/// Printed by the server at start-up whenever a [`SoftwareSigner`] is in use.
pub const SOFTWARE_SIGNER_WARNING: &str = "WARNING: signing with a SOFTWARE key. The private key is held in \
     ordinary process memory (and in a PKCS#8 file if one was configured), not in an HSM: it can be read \
     from a core dump, swap or the file system, and it cannot be audited or rate-limited by a device. Use \
     the software signer for unit tests and local development only; production must use the PKCS#11 \
     HSM signer.";

/// A software key could not be generated, imported or exported. Messages
/// never contain key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The random key generation failed.
    #[error("key generation failed")]
    Generation,
    /// The PKCS#8 document is not a valid key for the requested `alg`.
    #[error("private key rejected for {alg}: {reason}")]
    Rejected {
        /// The algorithm the key was imported for.
        alg: JoseAlg,
        /// aws-lc-rs' reason (a fixed description).
        reason: &'static str,
    },
    /// The PEM text is not a single unencrypted PKCS#8 `PRIVATE KEY` block.
    #[error("invalid PEM: {0}")]
    Pem(&'static str),
    /// Serializing the private key failed.
    #[error("key export failed")]
    Export,
    /// The public half could not be expressed as a JWK.
    #[error(transparent)]
    PublicKey(#[from] JwkError),
}

enum KeyPair {
    Es256(EcdsaKeyPair),
    Ps256(RsaKeyPair),
    EdDsa(Ed25519KeyPair),
}

/// An in-memory signing key for ES256, PS256 or EdDSA.
///
/// For unit tests and development only; see [`SOFTWARE_SIGNER_WARNING`].
/// Its `Debug` output shows only `alg` and `kid`. Signing happens inline on
/// the thread that first polls the future (well under a millisecond for
/// ES256/EdDSA, about a millisecond for RSA-2048); it never returns
/// [`SignError::Overloaded`] or [`SignError::Unavailable`].
pub struct SoftwareSigner {
    key: KeyPair,
    jwk: PublicJwk,
}

const PEM_BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
const PEM_END: &str = "-----END PRIVATE KEY-----";

impl SoftwareSigner {
    /// Generates a fresh key: P-256 for ES256, RSA-2048 for PS256, Ed25519
    /// for EdDSA.
    pub fn generate(alg: JoseAlg) -> Result<Self, KeyError> {
        let key = match alg {
            JoseAlg::Es256 => KeyPair::Es256(
                EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).map_err(|_| KeyError::Generation)?,
            ),
            JoseAlg::Ps256 => {
                KeyPair::Ps256(RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyError::Generation)?)
            }
            JoseAlg::EdDsa => KeyPair::EdDsa(Ed25519KeyPair::generate().map_err(|_| KeyError::Generation)?),
        };
        SoftwareSigner::new(key)
    }

    /// Imports an unencrypted PKCS#8 (RFC 5208/5958) DER private key for
    /// `alg`: a P-256 EC key for ES256, an RSA key of 2048 to 8192 bits for
    /// PS256, an Ed25519 key for EdDSA.
    pub fn from_pkcs8_der(alg: JoseAlg, der: &[u8]) -> Result<Self, KeyError> {
        let rejected = |e: aws_lc_rs::error::KeyRejected| KeyError::Rejected {
            alg,
            reason: e.description_(),
        };
        let key = match alg {
            JoseAlg::Es256 => KeyPair::Es256(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der).map_err(rejected)?,
            ),
            JoseAlg::Ps256 => KeyPair::Ps256(RsaKeyPair::from_pkcs8(der).map_err(rejected)?),
            JoseAlg::EdDsa => KeyPair::EdDsa(Ed25519KeyPair::from_pkcs8(der).map_err(rejected)?),
        };
        SoftwareSigner::new(key)
    }

    /// Imports a PEM `-----BEGIN PRIVATE KEY-----` block (unencrypted
    /// PKCS#8, as written by [`SoftwareSigner::to_pkcs8_pem`] or
    /// `openssl genpkey`). Text outside the block is ignored.
    pub fn from_pkcs8_pem(alg: JoseAlg, pem: &str) -> Result<Self, KeyError> {
        let begin = pem.find(PEM_BEGIN).ok_or(KeyError::Pem(
            "no '-----BEGIN PRIVATE KEY-----' block (encrypted, SEC1 'EC PRIVATE KEY' and PKCS#1 \
             'RSA PRIVATE KEY' are not supported)",
        ))?;
        let body = &pem[begin + PEM_BEGIN.len()..];
        let end = body
            .find(PEM_END)
            .ok_or(KeyError::Pem("missing '-----END PRIVATE KEY-----'"))?;
        let b64: Zeroizing<String> =
            Zeroizing::new(body[..end].chars().filter(|c| !c.is_ascii_whitespace()).collect());
        let der = Zeroizing::new(
            STANDARD
                .decode(b64.as_bytes())
                .map_err(|_| KeyError::Pem("bad base64"))?,
        );
        SoftwareSigner::from_pkcs8_der(alg, &der)
    }

    /// Exports the private key as unencrypted PKCS#8 v1 DER. The buffer is
    /// wiped when dropped; write it only to a file readable by the server.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let der = match &self.key {
            KeyPair::Es256(k) => k.to_pkcs8v1().map_err(|_| KeyError::Export)?.as_ref().to_vec(),
            KeyPair::Ps256(k) => AsDer::<Pkcs8V1Der<'static>>::as_der(k)
                .map_err(|_| KeyError::Export)?
                .as_ref()
                .to_vec(),
            KeyPair::EdDsa(k) => k.to_pkcs8v1().map_err(|_| KeyError::Export)?.as_ref().to_vec(),
        };
        Ok(Zeroizing::new(der))
    }

    /// Exports the private key as a PEM `PRIVATE KEY` block (unencrypted
    /// PKCS#8), wiped when dropped.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, KeyError> {
        let der = self.to_pkcs8_der()?;
        let b64 = Zeroizing::new(STANDARD.encode(der.as_slice()));
        let mut pem = Zeroizing::new(String::with_capacity(b64.len() + b64.len() / 64 + 64));
        pem.push_str(PEM_BEGIN);
        pem.push('\n');
        for line in b64.as_bytes().chunks(64) {
            // base64 output is ASCII, so every 64-byte chunk is valid UTF-8.
            pem.push_str(std::str::from_utf8(line).map_err(|_| KeyError::Export)?);
            pem.push('\n');
        }
        pem.push_str(PEM_END);
        pem.push('\n');
        Ok(pem)
    }

    fn new(key: KeyPair) -> Result<Self, KeyError> {
        let jwk = match &key {
            KeyPair::Es256(k) => PublicJwk::ec_p256_uncompressed(k.public_key().as_ref())?,
            KeyPair::Ps256(k) => {
                let RsaPublicKeyComponents { n, e } = RsaPublicKeyComponents::<Vec<u8>>::from(k.public_key());
                PublicJwk::rsa(&n, &e)?
            }
            KeyPair::EdDsa(k) => PublicJwk::ed25519(k.public_key().as_ref())?,
        };
        Ok(SoftwareSigner { key, jwk })
    }

    fn sign_now(&self, signing_input: &[u8]) -> Result<Vec<u8>, SignError> {
        let failed = |_| SignError::Failed(format!("{} software signing failed", self.jwk.alg()));
        match &self.key {
            KeyPair::Es256(k) => Ok(k
                .sign(&SystemRandom::new(), signing_input)
                .map_err(failed)?
                .as_ref()
                .to_vec()),
            KeyPair::Ps256(k) => {
                let mut sig = vec![0; k.public_modulus_len()];
                k.sign(&RSA_PSS_SHA256, &SystemRandom::new(), signing_input, &mut sig)
                    .map_err(failed)?;
                Ok(sig)
            }
            KeyPair::EdDsa(k) => Ok(k.try_sign(signing_input).map_err(failed)?.as_ref().to_vec()),
        }
    }
}

impl Signer for SoftwareSigner {
    fn public_jwk(&self) -> &PublicJwk {
        &self.jwk
    }

    fn sign<'a>(&'a self, signing_input: &'a [u8]) -> SignFuture<'a> {
        Box::pin(async move { self.sign_now(signing_input) })
    }
}

impl fmt::Debug for SoftwareSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SoftwareSigner")
            .field("alg", &self.jwk.alg())
            .field("kid", &self.jwk.kid())
            .finish_non_exhaustive()
    }
}
