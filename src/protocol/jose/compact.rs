//! Compact serialization (RFC 7515 §7.1) and the signature check.
//!
//! The signature is verified by `jsonwebtoken::crypto::verify` on the
//! aws-lc-rs provider. Its higher-level `decode` is not used: it reads the
//! system clock for `exp`/`nbf` (we pass `now` in, STYLE.md §6) and takes the
//! algorithm list as a policy to enforce, while here the key decides the
//! algorithm before the library is called.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fiducia_hsm::{JoseAlg, JwkKey, PublicJwk};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};

use super::{JoseError, JwsHeader, MAX_COMPACT_JWS_LEN};

/// A compact JWS whose header has been parsed and whose signature has not
/// been checked yet. The payload is not even decoded until it is.
#[derive(Debug)]
pub struct UnverifiedJws<'a> {
    header: JwsHeader,
    signing_input: &'a str,
    payload: &'a str,
    signature: &'a str,
}

impl<'a> UnverifiedJws<'a> {
    /// Splits `header.payload.signature` and parses the header (RFC 7515 §5.2
    /// steps 1-5).
    pub fn parse(compact: &'a str) -> Result<Self, JoseError> {
        if compact.len() > MAX_COMPACT_JWS_LEN {
            return Err(JoseError::TooLong);
        }
        let Some((signing_input, signature)) = compact.rsplit_once('.') else {
            return Err(JoseError::Malformed("not three dot-separated parts"));
        };
        let Some((header, payload)) = signing_input.split_once('.').filter(|(_, p)| !p.contains('.')) else {
            return Err(JoseError::Malformed("not three dot-separated parts"));
        };
        if signature.is_empty() {
            // An unsecured JWS (RFC 7519 §6) whatever its header says.
            return Err(JoseError::AlgNone);
        }
        let header_json = URL_SAFE_NO_PAD
            .decode(header)
            .map_err(|_| JoseError::Malformed("the header is not base64url"))?;
        let header = JwsHeader::parse(&header_json)?;
        Ok(UnverifiedJws {
            header,
            signing_input,
            payload,
            signature,
        })
    }

    /// The parsed header, for key selection.
    pub fn header(&self) -> &JwsHeader {
        &self.header
    }

    /// Verifies the signature with `key` and returns the header and the
    /// claims. The header's `alg` must be the key's algorithm: the key pins
    /// the algorithm (RFC 8725 §3.1).
    pub fn verify_with(self, key: &PublicJwk) -> Result<(JwsHeader, Map<String, Value>), JoseError> {
        if self.header.alg != key.alg() {
            return Err(JoseError::AlgKeyMismatch {
                header: self.header.alg,
                key: key.alg(),
            });
        }
        let verified = jsonwebtoken::crypto::verify(
            self.signature,
            self.signing_input.as_bytes(),
            &decoding_key(key)?,
            algorithm(key.alg()),
        );
        if !matches!(verified, Ok(true)) {
            return Err(JoseError::BadSignature);
        }
        let payload = URL_SAFE_NO_PAD
            .decode(self.payload)
            .map_err(|_| JoseError::Malformed("the payload is not base64url"))?;
        let claims = serde_json::from_slice(&payload).map_err(|_| JoseError::PayloadNotJsonObject)?;
        Ok((self.header, claims))
    }
}

fn algorithm(alg: JoseAlg) -> Algorithm {
    match alg {
        JoseAlg::Es256 => Algorithm::ES256,
        JoseAlg::Ps256 => Algorithm::PS256,
        JoseAlg::EdDsa => Algorithm::EdDSA,
    }
}

/// The members were validated when the [`PublicJwk`] was built, so these
/// conversions only fail if that invariant were broken; that is reported as
/// a bad signature, never a panic.
fn decoding_key(key: &PublicJwk) -> Result<DecodingKey, JoseError> {
    match key.key() {
        JwkKey::Ec { x, y, .. } => DecodingKey::from_ec_components(x, y),
        JwkKey::Rsa { n, e } => DecodingKey::from_rsa_components(n, e),
        JwkKey::Okp { x, .. } => DecodingKey::from_ed_components(x),
    }
    .map_err(|_| JoseError::BadSignature)
}
