//! Random bearer secrets (codes, tokens, request_uris, interaction ids):
//! 256 bits from the OS RNG, base64url (RFC 6749 §10.10: guessing must be
//! infeasible).

use crate::protocol::error::{ErrorCode, OAuthError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A new 256-bit random secret, base64url without padding.
pub fn new_secret() -> Result<String, OAuthError> {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| OAuthError::new(ErrorCode::ServerError, "the random generator failed"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}
