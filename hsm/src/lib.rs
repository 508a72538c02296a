//! Fiducia's signing seam.
//!
//! Everything Fiducia signs (ID tokens, JARM responses, logout tokens,
//! signed introspection responses) goes through one trait, [`Signer`]: a
//! single, already-chosen asymmetric key that knows its public JWK and signs
//! a JWS signing input *asynchronously*. Which key to use is decided before
//! signing (as with rustls' `SigningKey::choose_scheme` → `Signer::sign`, or
//! node-oidc-provider's external keys that expose only a public key and
//! `async sign(data)`), so the private key never has to leave whatever holds
//! it. The server keeps `Arc<dyn Signer>`; [`Signer::sign`] returns a boxed
//! `Send` future ([`SignFuture`]) so that dynamic dispatch works.
//!
//! Pieces:
//!
//! * [`JoseAlg`]: the closed set of algorithms (ES256, PS256, EdDSA; never
//!   `none` or HMAC).
//! * [`PublicJwk`] / [`Jwks`]: the published keys, with `kid` always the
//!   RFC 7638 thumbprint ([`PublicJwk::thumbprint`]).
//! * [`SignError`]: what a signer can report, including
//!   [`SignError::Overloaded`] (queue full, HTTP 503 + `Retry-After`) and
//!   [`SignError::Unavailable`] (device or session down).
//! * [`SoftwareSigner`]: an in-memory aws-lc-rs key, for unit tests and
//!   development only (the server prints [`SOFTWARE_SIGNER_WARNING`]), which
//!   can be kept in a PKCS#8 file across restarts.
//! * [`sign_jws`]: compact JWS serialization over any [`Signer`].
//!
//! ```
//! use std::sync::Arc;
//! use fiducia_hsm::{JoseAlg, Jwks, SignError, Signer, SoftwareSigner, sign_jws};
//!
//! async fn issue(signer: Arc<dyn Signer>, claims: &serde_json::Value) -> Result<String, SignError> {
//!     let mut header = serde_json::Map::new();
//!     header.insert("typ".into(), "JWT".into());
//!     sign_jws(signer.as_ref(), header, claims.to_string().as_bytes()).await
//! }
//!
//! let signer: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate(JoseAlg::Es256)?);
//! let jwks = Jwks::from_signers([signer.as_ref()]);
//! assert_eq!(jwks.keys[0].kid(), signer.key_id());
//! # let _ = issue;
//! # Ok::<(), fiducia_hsm::KeyError>(())
//! ```
//!
//! Next: a PKCS#11 (cryptoki) signer pool behind the same trait, whose
//! `sign` queues the request to worker threads holding HSM sessions and
//! answers `Overloaded` when the queue is full.

mod alg;
mod jwk;
mod jws;
pub mod pkcs11;
mod signer;
mod software;

pub use alg::{JoseAlg, UnsupportedAlg};
pub use jwk::{EcCurve, JwkError, JwkKey, Jwks, KeyUse, OkpCurve, PublicJwk};
pub use jws::sign_jws;
pub use signer::{SignError, SignFuture, Signer};
pub use software::{KeyError, SOFTWARE_SIGNER_WARNING, SoftwareSigner};

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
