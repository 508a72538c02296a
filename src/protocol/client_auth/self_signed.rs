//! `self_signed_tls_client_auth`, the self-signed certificate method
//! (RFC 8705 §2.2).
//!
//! No chain is validated; TLS has proven possession of the certificate's
//! key. The client is authenticated when that certificate "matches one of
//! the certificates configured or registered for that particular client"
//! (§2.2), registered as `x5c` in its JWKS (§2.2.2). So:
//!
//! - a JWK with `x5c`: the presented certificate must be `x5c[0]`, byte for
//!   byte (the certificate is what was registered);
//! - a JWK without `x5c`: the presented certificate's public key must be
//!   that JWK's key (compared as keys, from the SubjectPublicKeyInfo). This
//!   is what TLS actually authenticates; a self-signed certificate adds
//!   nothing a key does not, and clients that register keys only (common in
//!   open banking JWKS) can then use the method.
//!
//! [`ClientJwk`] parsing already ensured that `x5c[0]` holds the JWK's key.

use super::ClientAuthReason;
use crate::protocol::jose::{CertKeyError, ClientJwk, certificate_public_jwk};

/// How the certificate matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelfSignedMatch {
    /// The certificate is the key's registered `x5c[0]`.
    Certificate,
    /// The certificate holds the key of a JWK registered without `x5c`.
    PublicKey,
}

/// RFC 8705 §2.2: finds the client's key that the certificate matches.
pub fn check_self_signed_tls_client_auth<'k>(
    cert_der: &[u8],
    client_keys: &'k [ClientJwk],
) -> Result<(&'k ClientJwk, SelfSignedMatch), ClientAuthReason> {
    if let Some(key) = client_keys.iter().find(|k| k.certificate() == Some(cert_der)) {
        return Ok((key, SelfSignedMatch::Certificate));
    }
    let presented = match certificate_public_jwk(cert_der) {
        Ok(key) => key,
        Err(CertKeyError::NotACertificate) => return Err(ClientAuthReason::CertificateUnreadable),
        // A key we cannot use cannot be one of the client's usable keys.
        Err(_) => return Err(ClientAuthReason::CertificateNotRegistered),
    };
    client_keys
        .iter()
        .find(|k| k.x5c().is_none() && *k.public_jwk() == presented)
        .map(|key| (key, SelfSignedMatch::PublicKey))
        .ok_or(ClientAuthReason::CertificateNotRegistered)
}
