//! What Fiducia signs as the upstream provider's client, with the OP's own
//! active key through the signer pool (no other private key exists; the
//! upstream registers Fiducia's `jwks_uri`):
//!
//! - the `private_key_jwt` client assertion (OIDC Core §9, RFC 7523 §3):
//!   `iss` = `sub` = our `client_id`, `aud` the upstream's issuer as one
//!   string (FAPI 2.0 §5.3.2.1 item 8), a minute's lifetime, a fresh `jti`;
//! - the DPoP proof of the token call (RFC 9449 §4.2), so the upstream's
//!   FAPI 2.0 token endpoint can sender-constrain what it issues (FAPI 2.0
//!   §5.3.2.1); the public key travels in its `jwk` header.

use crate::oauth::op::OpState;
use crate::oauth::secrets::new_secret;
use crate::protocol::error::{ErrorCode, OAuthError};
use serde_json::{Map, Value, json};

/// RFC 7523 §2.2 `client_assertion_type`.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Seconds an assertion lives.
const ASSERTION_SECS: u64 = 60;

fn signer(op: &OpState) -> Result<std::sync::Arc<dyn fiducia_hsm::Signer>, OAuthError> {
    op.key_set()
        .signer
        .clone()
        .ok_or_else(|| OAuthError::new(ErrorCode::TemporarilyUnavailable, "no active signing key"))
}

/// The client assertion for `client_id` at the provider `issuer`.
pub async fn assertion(op: &OpState, client_id: &str, issuer: &str, now: u64) -> Result<String, OAuthError> {
    let claims = json!({
        "iss": client_id, "sub": client_id, "aud": issuer,
        "iat": now, "exp": now + ASSERTION_SECS, "jti": new_secret()?,
    });
    let signer = signer(op)?;
    Ok(fiducia_hsm::sign_jws(signer.as_ref(), Map::new(), claims.to_string().as_bytes()).await?)
}

/// A DPoP proof for `POST url`, with the server's `nonce` when it gave one
/// (RFC 9449 §8).
pub async fn dpop_proof(
    op: &OpState,
    url: &str,
    nonce: Option<&str>,
    now: u64,
) -> Result<String, OAuthError> {
    let signer = signer(op)?;
    let jwk = serde_json::to_value(signer.public_jwk())
        .map_err(|e| OAuthError::new(ErrorCode::ServerError, e.to_string()))?;
    let mut header = Map::new();
    header.insert("typ".into(), Value::String("dpop+jwt".into()));
    header.insert("jwk".into(), jwk);
    let mut claims = json!({"jti": new_secret()?, "htm": "POST", "htu": url, "iat": now});
    if let Some(nonce) = nonce {
        claims["nonce"] = Value::String(nonce.to_string());
    }
    Ok(fiducia_hsm::sign_jws(signer.as_ref(), header, claims.to_string().as_bytes()).await?)
}
