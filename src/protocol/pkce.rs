//! PKCE (RFC 7636) as FAPI 2.0 allows it: S256 only (FAPI 2.0 §5.3.2.2 item 2;
//! RFC 9700 §2.1.1 also advises against `plain`).
//!
//! At PAR the challenge is parsed into a [`CodeChallenge`] (RFC 7636 §4.3);
//! at the token endpoint [`CodeChallenge::verify`] checks the verifier
//! (RFC 7636 §4.6). Challenge problems are `invalid_request` (§4.4.1),
//! verifier problems `invalid_grant` (§4.6).

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::error::{ErrorCode, OAuthError};

/// Why PKCE failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PkceReason {
    /// No `code_challenge` (FAPI 2.0 §5.3.2.2: PKCE is required).
    #[error("`code_challenge` is required (FAPI 2.0 §5.3.2.2)")]
    ChallengeMissing,
    /// No `code_challenge_method`, which RFC 7636 §4.3 reads as `plain`.
    #[error("`code_challenge_method` must be S256 (it defaults to plain, RFC 7636 §4.3)")]
    MethodMissing,
    /// `code_challenge_method=plain`.
    #[error("`code_challenge_method` plain is not allowed, use S256 (FAPI 2.0 §5.3.2.2)")]
    MethodPlain,
    /// Any other method.
    #[error("unsupported `code_challenge_method`, use S256 (RFC 7636 §4.3)")]
    MethodUnsupported,
    /// Not base64url of a SHA-256 digest: 43 characters (RFC 7636 §4.2).
    #[error("`code_challenge` is not an S256 challenge (RFC 7636 §4.2)")]
    ChallengeMalformed,
    /// Not 43 to 128 unreserved characters (RFC 7636 §4.1).
    #[error("`code_verifier` must be 43 to 128 unreserved characters (RFC 7636 §4.1)")]
    VerifierMalformed,
    /// SHA-256 of the verifier is not the challenge (RFC 7636 §4.6).
    #[error("`code_verifier` does not match the `code_challenge` (RFC 7636 §4.6)")]
    VerifierMismatch,
}

impl From<PkceReason> for OAuthError {
    fn from(reason: PkceReason) -> Self {
        let code = match reason {
            PkceReason::VerifierMalformed | PkceReason::VerifierMismatch => ErrorCode::InvalidGrant,
            _ => ErrorCode::InvalidRequest,
        };
        OAuthError::new(code, reason.to_string())
    }
}

/// A validated S256 `code_challenge`: 43 base64url characters, 32 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeChallenge {
    encoded: String,
    digest: [u8; 32],
}

impl CodeChallenge {
    /// Parses `code_challenge` and `code_challenge_method` as received at
    /// PAR (RFC 7636 §4.3, §4.4.1).
    pub fn parse(challenge: Option<&str>, method: Option<&str>) -> Result<Self, PkceReason> {
        match method {
            Some("S256") => {}
            None => return Err(PkceReason::MethodMissing),
            Some("plain") => return Err(PkceReason::MethodPlain),
            Some(_) => return Err(PkceReason::MethodUnsupported),
        }
        let challenge = challenge.ok_or(PkceReason::ChallengeMissing)?;
        // 43 characters of base64url without padding is exactly 32 bytes;
        // the decoder refuses non-canonical trailing bits.
        if challenge.len() != 43 {
            return Err(PkceReason::ChallengeMalformed);
        }
        let decoded = URL_SAFE_NO_PAD
            .decode(challenge)
            .map_err(|_| PkceReason::ChallengeMalformed)?;
        let digest = decoded.try_into().map_err(|_| PkceReason::ChallengeMalformed)?;
        Ok(CodeChallenge {
            encoded: challenge.to_owned(),
            digest,
        })
    }

    /// The challenge as received, for storage with the authorization request.
    pub fn as_str(&self) -> &str {
        &self.encoded
    }

    /// RFC 7636 §4.6: `BASE64URL(SHA256(ASCII(code_verifier))) == code_challenge`,
    /// compared in constant time.
    pub fn verify(&self, verifier: &str) -> Result<(), PkceReason> {
        let well_formed = (43..=128).contains(&verifier.len())
            && verifier
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        if !well_formed {
            return Err(PkceReason::VerifierMalformed);
        }
        let computed = digest(&SHA256, verifier.as_bytes());
        verify_slices_are_equal(computed.as_ref(), &self.digest).map_err(|_| PkceReason::VerifierMismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc7636_appendix_b_example_verifies_s4_6() {
        let challenge = CodeChallenge::parse(Some(CHALLENGE), Some("S256")).unwrap();
        assert_eq!(challenge.as_str(), CHALLENGE);
        assert_eq!(challenge.verify(VERIFIER), Ok(()));
    }

    #[test]
    fn plain_or_missing_method_is_refused_fapi2_s5_3_2_2_rfc7636_s4_3() {
        assert_eq!(
            CodeChallenge::parse(Some(VERIFIER), Some("plain")),
            Err(PkceReason::MethodPlain)
        );
        assert_eq!(
            CodeChallenge::parse(Some(CHALLENGE), None),
            Err(PkceReason::MethodMissing)
        );
        assert_eq!(
            CodeChallenge::parse(Some(CHALLENGE), Some("s256")),
            Err(PkceReason::MethodUnsupported)
        );
        let err = OAuthError::from(PkceReason::MethodPlain);
        assert_eq!(err.code, ErrorCode::InvalidRequest);
    }

    #[test]
    fn missing_or_malformed_challenge_is_refused_rfc7636_s4_2_s4_4_1() {
        assert_eq!(
            CodeChallenge::parse(None, Some("S256")),
            Err(PkceReason::ChallengeMissing)
        );
        for bad in [
            "",
            &CHALLENGE[..42],
            &format!("{CHALLENGE}A"),
            &format!("{}=", &CHALLENGE[..42]),
        ] {
            assert_eq!(
                CodeChallenge::parse(Some(bad), Some("S256")),
                Err(PkceReason::ChallengeMalformed)
            );
        }
        // Non-canonical last character: same 32 bytes, other text.
        let noncanonical = format!("{}N", &CHALLENGE[..42]);
        assert_eq!(
            CodeChallenge::parse(Some(&noncanonical), Some("S256")),
            Err(PkceReason::ChallengeMalformed)
        );
    }

    #[test]
    fn wrong_short_long_or_odd_verifier_is_invalid_grant_rfc7636_s4_1_s4_6() {
        let challenge = CodeChallenge::parse(Some(CHALLENGE), Some("S256")).unwrap();
        let wrong = VERIFIER.replace('d', "e");
        assert_eq!(challenge.verify(&wrong), Err(PkceReason::VerifierMismatch));
        assert_eq!(
            challenge.verify(&VERIFIER[..42]),
            Err(PkceReason::VerifierMalformed)
        );
        assert_eq!(
            challenge.verify(&"a".repeat(129)),
            Err(PkceReason::VerifierMalformed)
        );
        assert_eq!(
            challenge.verify(&format!("{}+", &VERIFIER[..43])),
            Err(PkceReason::VerifierMalformed)
        );
        // `plain` would compare the verifier with the challenge itself.
        assert_eq!(challenge.verify(CHALLENGE), Err(PkceReason::VerifierMismatch));
        let err = OAuthError::from(PkceReason::VerifierMismatch);
        assert_eq!(err.code, ErrorCode::InvalidGrant);
    }
}
