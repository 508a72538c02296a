//! The code exchange (RFC 6749 §4.1.3) with the PKCE verifier (RFC 7636
//! §4.5), authenticated with the transport certificate (RFC 8705 §2.1):
//! the access token comes back bound to that certificate (RFC 8705 §3,
//! `token_type` Bearer, `cnf.x5t#S256` at introspection). The ID token is
//! validated as OIDC Core §3.1.3.7 asks (signature by a key of the OP's
//! JWKS, `iss`, `aud`, `exp`, `nonce`) before its claims are shown.

use super::authorize::Pushed;
use super::http::{expect_json, text};
use super::setup::Setup;
use crate::protocol::jose::{PublicJwk, claims, verify_jws};
use anyhow::{Context, anyhow, bail};
use serde_json::{Map, Value};

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
    /// The validated ID token's claims.
    pub id_token_claims: Map<String, Value>,
}

/// Exchanges `code` for tokens and validates the ID token.
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
    tokens(setup, &body, client_id, Some(&pushed.nonce)).await
}

/// A successful token response's parts, its ID token validated (with
/// `nonce` when one was sent; CIBA sends none).
pub async fn tokens(
    setup: &Setup,
    body: &Value,
    client_id: &str,
    nonce: Option<&str>,
) -> anyhow::Result<Tokens> {
    let id_token = text(body, &["id_token"], "the token response (scope openid)")?;
    let jwks = expect_json(
        &setup.browser.get(&setup.op.jwks_uri, &[]).await?,
        200,
        "the OP's JWKS",
    )?;
    let keys: Vec<PublicJwk> =
        serde_json::from_value(jwks["keys"].clone()).context("the OP's JWKS has no usable keys")?;
    let verified =
        verify_jws(&id_token, &keys, None).map_err(|e| anyhow!("the ID token's signature: {e}"))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    check_id_token(&verified.claims, &setup.op.issuer, client_id, nonce, now)?;
    Ok(Tokens {
        access_token: text(body, &["access_token"], "the token response")?,
        token_type: text(body, &["token_type"], "the token response")?,
        scope: body["scope"].as_str().unwrap_or_default().to_string(),
        expires_in: body["expires_in"].as_u64().unwrap_or(0),
        id_token_claims: verified.claims,
    })
}

/// OIDC Core §3.1.3.7 items 2, 3, 9 and 11 on verified claims (item 11
/// only when a `nonce` was sent).
pub fn check_id_token(
    id_token: &Map<String, Value>,
    issuer: &str,
    client_id: &str,
    nonce: Option<&str>,
    now: u64,
) -> anyhow::Result<()> {
    let bad = |e: claims::BadClaim| anyhow!("the ID token's `{}` is malformed", e.0);
    if claims::string(id_token, "iss").map_err(bad)? != Some(issuer) {
        bail!("the ID token's iss is not {issuer} (OIDC Core §3.1.3.7 item 2)");
    }
    if !claims::audience(id_token)
        .map_err(bad)?
        .is_some_and(|aud| aud.contains(client_id))
    {
        bail!("the ID token is not for this client (OIDC Core §3.1.3.7 item 3)");
    }
    if claims::numeric_date(id_token, "exp")
        .map_err(bad)?
        .is_none_or(|exp| exp <= now)
    {
        bail!("the ID token has expired (OIDC Core §3.1.3.7 item 9)");
    }
    if let Some(nonce) = nonce
        && claims::string(id_token, "nonce").map_err(bad)? != Some(nonce)
    {
        bail!("the ID token's nonce is not the one sent (OIDC Core §3.1.3.7 item 11)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn id_tokens_are_checked_oidc_core_3_1_3_7() {
        let good = json!({"iss": "https://op", "aud": "c1", "exp": 200, "nonce": "n1", "sub": "alice"});
        assert!(check_id_token(&claims(good.clone()), "https://op", "c1", Some("n1"), 100).is_ok());
        let with = |k: &str, v: Value| {
            let mut c = good.clone();
            c[k] = v;
            check_id_token(&claims(c), "https://op", "c1", Some("n1"), 100)
                .unwrap_err()
                .to_string()
        };
        assert!(with("iss", json!("https://evil")).contains("item 2"));
        assert!(with("aud", json!(["c2"])).contains("item 3"));
        assert!(with("exp", json!(100)).contains("item 9"));
        assert!(with("nonce", json!("n2")).contains("item 11"));
        // CIBA sends no nonce: the other checks still apply.
        let mut no_nonce = good.clone();
        no_nonce.as_object_mut().unwrap().remove("nonce");
        assert!(check_id_token(&claims(no_nonce.clone()), "https://op", "c1", None, 100).is_ok());
        no_nonce["aud"] = json!("c2");
        assert!(check_id_token(&claims(no_nonce), "https://op", "c1", None, 100).is_err());
        assert!(with("iss", json!(7)).contains("malformed"));
        let mut multiple = good.clone();
        multiple["aud"] = json!(["c2", "c1"]);
        assert!(check_id_token(&claims(multiple), "https://op", "c1", Some("n1"), 100).is_ok());
    }
}
