//! JOSE for what others send us: compact JWS verification (RFC 7515) of
//! client assertions, DPoP proofs and request objects, and clients' JWKS.
//!
//! - [`UnverifiedJws::parse`] splits the compact form and parses the header
//!   into a [`JwsHeader`], refusing `none`, HMAC, unknown algorithms, `crit`
//!   and `b64` up front (RFC 8725 §3.1-3.2, RFC 7515 §4.1.11, RFC 7797).
//! - [`verify_jws`] selects a registered key ([`PublicJwk`] or
//!   [`ClientJwk`]) by `kid`, pins the algorithm to that key, and verifies
//!   the signature with jsonwebtoken on aws-lc-rs; [`verify_jws_with_header_jwk`]
//!   does the same with the key in the header (DPoP).
//! - [`ClientJwks`] keeps the usable signature keys of a client's JWKS.
//! - [`claims`] reads registered claims with their types checked; the rules
//!   for them belong to the callers (client_auth, dpop, ...).
//!
//! Errors are [`JoseError`], which callers wrap in their own reasons: the
//! same bad signature is `invalid_client` for a client assertion and
//! `invalid_dpop_proof` for a DPoP proof.

pub mod claims;
mod client_jwk;
mod compact;
mod error;
mod header;
pub mod jwe;
mod jwk;
mod spki;
mod verify;

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;

pub use client_jwk::{ClientJwk, ClientJwks, JwksError, SkippedJwk};
pub use compact::UnverifiedJws;
pub use error::JoseError;
pub use fiducia_hsm::PublicJwk;
pub use header::JwsHeader;
pub use jwk::JwkProblem;
pub use spki::{CertKeyError, certificate_public_jwk};
pub use verify::{JwsKey, VerifiedJws, verify_jws, verify_jws_with_header_jwk};

pub(crate) use spki::parse_certificate;

/// Longest compact JWS we parse: far above any assertion, proof or request
/// object, far below the body limit. Bounds the work an unauthenticated
/// request can cause.
pub const MAX_COMPACT_JWS_LEN: usize = 64 * 1024;

/// How far in the future `iat`/`nbf` may be. FAPI 2.0 §5.3.2.1 item 13: accept
/// JWTs with `iat` or `nbf` 0 to 10 seconds in the future, reject beyond 60.
pub const MAX_FUTURE_SKEW_SECS: u64 = 10;

/// Longest `jti` we accept. Callers keep `jti`s in a replay window, so their
/// size is bounded here (RFC 7519 §4.1.7 sets no limit; a UUID is 36).
pub const MAX_JTI_LEN: usize = 256;
