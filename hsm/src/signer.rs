//! The signing seam: one key, chosen elsewhere, that signs asynchronously.

use std::future::Future;
use std::pin::Pin;

use crate::{JoseAlg, PublicJwk};

/// Why a signature could not be produced. Never carries key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The signer's request queue is full. Transient: the HTTP layer answers
    /// 503 with `Retry-After`.
    #[error("signer overloaded: signing queue is full")]
    Overloaded,
    /// The signing device or session is down (HSM unreachable, session
    /// lost, token removed).
    #[error("signer unavailable: {0}")]
    Unavailable(String),
    /// The signing operation itself failed, or produced an unusable result.
    #[error("signing failed: {0}")]
    Failed(String),
}

/// The future returned by [`Signer::sign`]: boxed so that `dyn Signer`
/// (and `Arc<dyn Signer>`) works, and `Send` so it can be awaited on any
/// runtime worker.
pub type SignFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<u8>, SignError>> + Send + 'a>>;

/// One asymmetric signing key.
///
/// Choosing *which* key signs (by `alg`, by rotation state, by client
/// registration) is the caller's job and happens before signing, as with
/// rustls' `SigningKey::choose_scheme` → `Signer::sign`; a `Signer` is the
/// already-chosen key. Its public half is known up front, and signing is
/// asynchronous so that an implementation can hand the work to a PKCS#11
/// worker thread and answer [`SignError::Overloaded`] when its queue is full.
///
/// Implementations must be cheap to share: the server holds
/// `Arc<dyn Signer>`.
pub trait Signer: Send + Sync + 'static {
    /// The public key, as published in the JWKS.
    fn public_jwk(&self) -> &PublicJwk;

    /// `kid`: the RFC 7638 thumbprint of [`Signer::public_jwk`].
    fn key_id(&self) -> &str {
        self.public_jwk().kid()
    }

    /// The JWS `alg` this key signs with.
    fn alg(&self) -> JoseAlg {
        self.public_jwk().alg()
    }

    /// Signs a JWS signing input
    /// (`ASCII(BASE64URL(header)) || '.' || BASE64URL(payload)`) and returns
    /// the signature in JOSE form (RFC 7518 §3.4: ES256 is `r || s`, 64
    /// bytes; PS256 is the modulus length; EdDSA is 64 bytes).
    fn sign<'a>(&'a self, signing_input: &'a [u8]) -> SignFuture<'a>;
}
