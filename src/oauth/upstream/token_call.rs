//! The upstream provider's token endpoint (RFC 6749 §4.1.3): the code of
//! a pending login for its tokens, with the PKCE `code_verifier` (RFC 7636
//! §4.5), the `private_key_jwt` assertion (OIDC Core §9) and a DPoP proof
//! (RFC 9449 §4), both signed by the OP's key (`client_jwt`); a provider
//! asking for a DPoP nonce (`use_dpop_nonce`, §8) gets one more call with
//! it. Only the ID token of the answer is kept: the upstream access token
//! is never used or stored.

use super::begin::upstream_error;
use super::client_jwt::{self, JWT_BEARER};
use super::provider::{Metadata, Upstream};
use crate::model::upstream_login::UpstreamLogin;
use crate::oauth::op::OpState;

/// RFC 6749 §4.1.3: the code for tokens; the ID token of the answer.
pub async fn redeem(
    op: &OpState,
    upstream: &Upstream,
    metadata: &Metadata,
    code: &str,
    pending: &UpstreamLogin,
    now: u64,
) -> Result<String, String> {
    let config = &upstream.config;
    let redirect_uri = op.config.endpoint_url(crate::protocol::paths::UPSTREAM_CALLBACK);
    // RFC 9449 §8: a provider that wants a nonce answers `use_dpop_nonce`
    // with one in `DPoP-Nonce`; the call is made once more with it (and a
    // fresh assertion: its `jti` is single use, RFC 7523 §3).
    let mut nonce: Option<String> = None;
    let answer = loop {
        let assertion = client_jwt::assertion(op, &config.client_id, &metadata.issuer, now)
            .await
            .map_err(|e| e.to_string())?;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri.as_str()),
            ("code_verifier", pending.code_verifier.as_str()),
            ("client_id", config.client_id.as_str()),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", assertion.as_str()),
        ];
        let proof = client_jwt::dpop_proof(op, &metadata.token_endpoint, nonce.as_deref(), now)
            .await
            .map_err(|e| e.to_string())?;
        let answer = upstream
            .fetcher()
            .post_form(&metadata.token_endpoint, &form, &[("dpop", proof.as_str())])
            .await?;
        let offered = answer
            .headers
            .get("dpop-nonce")
            .and_then(|v| v.to_str().ok())
            .filter(|n| !n.is_empty() && n.len() <= 512)
            .map(str::to_string);
        match offered {
            Some(offered) if nonce.is_none() && upstream_error(&answer.body) == "use_dpop_nonce" => {
                nonce = Some(offered);
            }
            _ => break answer,
        }
    };
    if !answer.status.is_success() {
        return Err(format!(
            "the token endpoint answered {}: {}",
            answer.status,
            upstream_error(&answer.body)
        ));
    }
    serde_json::from_slice::<serde_json::Value>(&answer.body)
        .ok()
        .and_then(|v| v.get("id_token").and_then(|t| t.as_str()).map(str::to_string))
        .ok_or_else(|| "the token answer has no id_token".to_string())
}
