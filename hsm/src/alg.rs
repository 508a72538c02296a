//! The JOSE signature algorithms Fiducia signs with.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A JWS `alg` (RFC 7518 §3.1, RFC 8037 §3.1) that Fiducia can sign with.
///
/// Deliberately closed: the three asymmetric algorithms FAPI 2.0 profiles
/// use. There is no `none` and no HMAC, so neither can be produced or
/// parsed into this type by accident.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum JoseAlg {
    /// ECDSA using P-256 and SHA-256; signature is `r || s`, 64 bytes.
    #[serde(rename = "ES256")]
    Es256,
    /// RSASSA-PSS using SHA-256 and MGF1 with SHA-256 (RSA 2048 bits or more).
    #[serde(rename = "PS256")]
    Ps256,
    /// EdDSA with Ed25519 (RFC 8037); signature is 64 bytes.
    #[serde(rename = "EdDSA")]
    EdDsa,
}

impl JoseAlg {
    /// Every supported algorithm.
    pub const ALL: [JoseAlg; 3] = [JoseAlg::Es256, JoseAlg::Ps256, JoseAlg::EdDsa];

    /// The registered JOSE name, e.g. `"ES256"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            JoseAlg::Es256 => "ES256",
            JoseAlg::Ps256 => "PS256",
            JoseAlg::EdDsa => "EdDSA",
        }
    }
}

impl fmt::Display for JoseAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The string is not one of the supported JOSE algorithms (names are
/// case-sensitive, RFC 7515 §4.1.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported JOSE alg {0:?} (supported: ES256, PS256, EdDSA)")]
pub struct UnsupportedAlg(pub String);

impl FromStr for JoseAlg {
    type Err = UnsupportedAlg;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JoseAlg::ALL
            .into_iter()
            .find(|alg| alg.as_str() == s)
            .ok_or_else(|| UnsupportedAlg(s.chars().take(32).collect()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_fromstr_display_and_serde() {
        for alg in JoseAlg::ALL {
            assert_eq!(alg.as_str().parse::<JoseAlg>(), Ok(alg));
            assert_eq!(alg.to_string(), alg.as_str());
            let json = serde_json::to_string(&alg).unwrap();
            assert_eq!(json, format!("\"{}\"", alg.as_str()));
            assert_eq!(serde_json::from_str::<JoseAlg>(&json).unwrap(), alg);
        }
    }

    #[test]
    fn rejects_none_hmac_rs256_and_wrong_case() {
        for bad in ["none", "HS256", "RS256", "es256", "EDDSA", "Ed25519", ""] {
            assert!(bad.parse::<JoseAlg>().is_err(), "{bad}");
            assert!(serde_json::from_str::<JoseAlg>(&format!("\"{bad}\"")).is_err());
        }
    }
}
