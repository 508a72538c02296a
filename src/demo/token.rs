//! The code exchange (RFC 6749 §4.1.3) with the PKCE verifier (RFC 7636
//! §4.5), authenticated with the transport certificate (RFC 8705 §2.1):
//! the access token comes back bound to that certificate (RFC 8705 §3,
//! `token_type` Bearer, `cnf.x5t#S256` at introspection).

use super::authorize::Pushed;
use super::http::{expect_json, text};
use super::setup::Setup;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// The token response's parts the demo uses.
pub struct Tokens {
    /// `access_token` (a secret).
    pub access_token: String,
    /// `token_type`.
    pub token_type: String,
    /// `scope` granted.
    pub scope: String,
    /// `expires_in`.
    pub expires_in: u64,
    /// The ID token's claims (shown, not relied on).
    pub id_token_claims: Value,
}

/// Exchanges `code` for tokens.
pub async fn exchange(setup: &Setup, client_id: &str, pushed: &Pushed, code: &str) -> anyhow::Result<Tokens> {
    let params = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", pushed.redirect_uri.as_str()),
        ("code_verifier", pushed.verifier.as_str()),
        ("client_id", client_id),
    ];
    let response = setup.fintech.post_form(&setup.op.token, &params, &[]).await?;
    let body = expect_json(&response, 200, "the token endpoint")?;
    Ok(Tokens {
        access_token: text(&body, &["access_token"], "the token response")?,
        token_type: text(&body, &["token_type"], "the token response")?,
        scope: body["scope"].as_str().unwrap_or_default().to_string(),
        expires_in: body["expires_in"].as_u64().unwrap_or(0),
        id_token_claims: body["id_token"]
            .as_str()
            .and_then(jws_payload)
            .unwrap_or(Value::Null),
    })
}

/// The JSON payload of a compact JWS, unverified.
fn jws_payload(jws: &str) -> Option<Value> {
    let payload = jws.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_token_payload_is_read() {
        let payload = URL_SAFE_NO_PAD.encode(r#"{"sub":"alice","openbanking_intent_id":"pdc-1"}"#);
        let claims = jws_payload(&format!("h.{payload}.s")).unwrap();
        assert_eq!(claims["openbanking_intent_id"], "pdc-1");
        assert_eq!(jws_payload("nodots"), None);
    }
}
