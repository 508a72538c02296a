//! RFC 9068 JWT access tokens verified offline against the OP's keys
//! (`op_keys`: its JWKS, cached and fetched again on schedule and on an
//! unknown `kid`). A revoked JWT access token is accepted until it
//! expires: use introspection where that matters.

use super::errors::Refusal;
use super::op_keys::OpKeys;
use super::token_info::TokenInfo;
use crate::protocol::jose::claims;

/// RFC 9068 §2.1 `typ`.
const AT_JWT_TYP: &str = "at+jwt";

/// Verifies JWT access tokens against the OP's keys.
pub struct JwtVerifier {
    keys: OpKeys,
    issuer: String,
    audience: String,
}

impl JwtVerifier {
    /// A verifier for tokens of `issuer` with `aud` = `audience`, signed
    /// by `keys`.
    pub fn new(keys: OpKeys, issuer: String, audience: String) -> Self {
        Self {
            keys,
            issuer,
            audience,
        }
    }

    /// RFC 9068 §4: signature by the OP, `typ`, `iss`, `aud`, `exp`.
    pub async fn token_info(&self, token: &str, now: u64) -> Result<TokenInfo, Refusal> {
        let verified = self
            .keys
            .verify(token, AT_JWT_TYP)
            .await
            .map_err(|e| Refusal::InvalidToken(format!("access token: {e}")))?;
        let claims = verified.claims;
        let invalid = |why: &str| Refusal::InvalidToken(why.to_string());
        if claims::string(&claims, "iss").ok().flatten() != Some(self.issuer.as_str()) {
            return Err(invalid("the access token is from another issuer (RFC 9068 §4)"));
        }
        let audience = claims::audience(&claims).ok().flatten();
        if !audience.is_some_and(|aud| aud.contains(&self.audience)) {
            return Err(invalid("the access token is for another audience (RFC 9068 §4)"));
        }
        TokenInfo::from_claims(&claims, now)
    }
}
