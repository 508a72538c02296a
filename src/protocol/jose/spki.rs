//! From an X.509 certificate's SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) to
//! the same key as a [`PublicJwk`], so that a certificate and a JWK can be
//! compared key to key (RFC 7517 §4.7 `x5c`; RFC 8705 §2.2 self-signed
//! client certificates).

use fiducia_hsm::PublicJwk;
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_PKCS1_RSAENCRYPTION, OID_SIG_ED25519,
};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

/// The certificate's key could not be expressed as one of our JWKs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CertKeyError {
    /// Not a single DER X.509 certificate.
    #[error("not a DER X.509 certificate")]
    NotACertificate,
    /// A key type or curve we do not use (FAPI 2.0 §5.4.1: RSA for PS256,
    /// P-256, Ed25519).
    #[error("unsupported public key type")]
    Unsupported,
    /// The key is of a supported type but invalid (RSA < 2048 bits, bad point).
    #[error("invalid public key: {0}")]
    Invalid(&'static str),
}

/// Parses a DER certificate, refusing trailing bytes.
pub(crate) fn parse_certificate(der: &[u8]) -> Result<X509Certificate<'_>, CertKeyError> {
    match X509Certificate::from_der(der) {
        Ok(([], cert)) => Ok(cert),
        _ => Err(CertKeyError::NotACertificate),
    }
}

/// The public key of a DER certificate as a JWK.
pub fn certificate_public_jwk(der: &[u8]) -> Result<PublicJwk, CertKeyError> {
    spki_public_jwk(parse_certificate(der)?.public_key())
}

/// The key of a SubjectPublicKeyInfo as a JWK: rsaEncryption (RFC 3279
/// §2.3.1), id-ecPublicKey on prime256v1 (RFC 5480 §2.1.1), Ed25519
/// (RFC 8410 §4).
fn spki_public_jwk(spki: &SubjectPublicKeyInfo<'_>) -> Result<PublicJwk, CertKeyError> {
    let algorithm = &spki.algorithm.algorithm;
    let invalid = |e: fiducia_hsm::JwkError| CertKeyError::Invalid(e.0);
    if *algorithm == OID_PKCS1_RSAENCRYPTION {
        match spki.parsed() {
            Ok(PublicKey::RSA(rsa)) => PublicJwk::rsa(rsa.modulus, rsa.exponent).map_err(invalid),
            _ => Err(CertKeyError::Invalid("malformed RSA public key")),
        }
    } else if *algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.clone().oid().ok());
        if curve.as_ref() != Some(&OID_EC_P256) {
            return Err(CertKeyError::Unsupported);
        }
        PublicJwk::ec_p256_uncompressed(spki.subject_public_key.data.as_ref()).map_err(invalid)
    } else if *algorithm == OID_SIG_ED25519 {
        // RFC 8410 §3: the parameters MUST be absent.
        if spki.algorithm.parameters.is_some() {
            return Err(CertKeyError::Invalid("Ed25519 parameters present"));
        }
        PublicJwk::ed25519(spki.subject_public_key.data.as_ref()).map_err(invalid)
    } else {
        Err(CertKeyError::Unsupported)
    }
}
