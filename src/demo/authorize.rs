//! The customer's authorization of the consent: a pushed authorization
//! request (RFC 9126) with PKCE S256 (RFC 7636), `state`, `nonce` and the
//! consent as the essential claim `openbanking_intent_id` (OIDC Core §5.5;
//! UK OBIE Security Profile), then either the authorization URL for a
//! person with a browser (the code is pasted back), or the scripted
//! browser (`browser.rs`) signing in and approving. The redirect back is
//! checked: `state` (RFC 6749 §10.12), `iss` (RFC 9207 §2.4), `error`.

use super::browser::Browser;
use super::http::{expect_json, text};
use super::report::Report;
use super::setup::Setup;
use anyhow::{Context, anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

/// What the code exchange needs from the authorization.
pub struct Pushed {
    /// The URL the customer's browser opens.
    pub url: String,
    /// PKCE `code_verifier` (a secret until used).
    pub verifier: String,
    /// `state` sent.
    pub state: String,
    /// `nonce` sent (OIDC Core §3.1.2.1), checked in the ID token.
    pub nonce: String,
    /// `redirect_uri` sent.
    pub redirect_uri: String,
    /// How long the `request_uri` may be used (RFC 9126 §2.2 `expires_in`).
    pub expires_in: u64,
}

/// A random base64url string of `bytes` random bytes.
pub fn random(bytes: usize) -> anyhow::Result<String> {
    let mut buffer = vec![0u8; bytes];
    aws_lc_rs::rand::fill(&mut buffer).map_err(|_| anyhow!("the random generator failed"))?;
    Ok(URL_SAFE_NO_PAD.encode(buffer))
}

/// RFC 7636 §4.1-4.2: a 43-character verifier and its S256 challenge.
pub fn pkce() -> anyhow::Result<(String, String)> {
    let verifier = random(32)?;
    let challenge = URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        verifier.as_bytes(),
    ));
    Ok((verifier, challenge))
}

/// The `claims` parameter naming consent `consent_id` (OIDC Core §5.5).
pub fn intent_claims(consent_id: &str) -> String {
    json!({
        "id_token": {"openbanking_intent_id": {"value": consent_id, "essential": true}},
        "userinfo": {"openbanking_intent_id": {"value": consent_id, "essential": true}},
    })
    .to_string()
}

/// PAR over mutual TLS (the client authenticates with its certificate,
/// RFC 8705 §2.1); the authorization URL with `client_id` and `request_uri`
/// (RFC 9126 §4).
pub async fn push(
    setup: &Setup,
    client_id: &str,
    redirect_uri: &str,
    scope: &str,
    consent_id: &str,
) -> anyhow::Result<Pushed> {
    push_claims(setup, client_id, redirect_uri, scope, &intent_claims(consent_id)).await
}

/// [`push`] with any `claims` request (OIDC Core §5.5), e.g. Identity
/// Assurance `verified_claims`.
pub async fn push_claims(
    setup: &Setup,
    client_id: &str,
    redirect_uri: &str,
    scope: &str,
    claims: &str,
) -> anyhow::Result<Pushed> {
    let (verifier, challenge) = pkce()?;
    let state = random(16)?;
    let nonce = random(16)?;
    let params = [
        ("client_id", client_id),
        ("response_type", "code"),
        ("redirect_uri", redirect_uri),
        ("scope", scope),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("state", state.as_str()),
        ("nonce", nonce.as_str()),
        ("claims", claims),
    ];
    let response = setup.fintech.post_form(&setup.op.par, &params, &[]).await?;
    let body = expect_json(&response, 201, "the PAR endpoint")?;
    let request_uri = text(&body, &["request_uri"], "the PAR response")?;
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", client_id)
        .append_pair("request_uri", &request_uri)
        .finish();
    let separator = if setup.op.authorization.contains('?') {
        '&'
    } else {
        '?'
    };
    Ok(Pushed {
        url: format!("{}{separator}{query}", setup.op.authorization),
        verifier,
        state,
        nonce,
        redirect_uri: redirect_uri.to_string(),
        expires_in: body["expires_in"].as_u64().unwrap_or(0),
    })
}

/// The scripted customer: signs in and approves; the redirect back.
pub async fn as_customer(
    setup: &Setup,
    pushed: &Pushed,
    user: &str,
    password: &str,
    totp_secret: Option<Vec<u8>>,
) -> anyhow::Result<String> {
    let mut browser = Browser::new(&setup.browser)
        .with_totp_secret(totp_secret)
        .with_login_app(&setup.sandbox.login_app_url);
    browser
        .authorize(&pushed.url, &pushed.redirect_uri, user, password)
        .await
}

/// The TOTP secret of sandbox customer `user` (`totp_secret` of their
/// `[[login.seed_users]]` entry in the sandbox's `fiducia.toml`), which
/// their authenticator app would hold; `None` without one.
pub fn sandbox_totp_secret(data: &std::path::Path, user: &str) -> Option<Vec<u8>> {
    let text = std::fs::read_to_string(data.join("fiducia.toml")).ok()?;
    let config: toml::Value = toml::from_str(&text).ok()?;
    let users = config.get("login")?.get("seed_users")?.as_array()?;
    let entry = users
        .iter()
        .find(|u| u.get("username").and_then(toml::Value::as_str) == Some(user))?;
    crate::protocol::totp::base32_decode(entry.get("totp_secret")?.as_str()?)
}

/// Who approves: the scripted customer when both `user` and `password`
/// are given, otherwise a person with a browser.
pub struct Customer<'a> {
    /// The sandbox customer's username.
    pub user: Option<&'a str>,
    /// Their password.
    pub password: Option<&'a str>,
    /// The sandbox data directory (named in the instructions for a person).
    pub data: &'a std::path::Path,
}

/// The redirect back after the customer decided on `pushed`: the scripted
/// browser signs in and approves, or a person opens the URL and pastes
/// what the callback page shows.
pub async fn redirect_back(
    setup: &Setup,
    pushed: &Pushed,
    customer: &Customer<'_>,
    report: &Report,
) -> anyhow::Result<String> {
    if let (Some(user), Some(password)) = (customer.user, customer.password) {
        report.detail(format!("{user} signs in and approves, as in a browser"));
        let totp_secret = sandbox_totp_secret(customer.data, user);
        return as_customer(setup, pushed, user, password, totp_secret)
            .await
            .context("the customer's browser");
    }
    report.say(format!(
        "\nOpen this URL in a browser within {} s (trust {}):\n\n  {}\n",
        pushed.expires_in,
        setup.sandbox.ca.display(),
        pushed.url
    ));
    report.say(format!(
        "Sign in as a sandbox customer (alice or bob; passwords under [[login.seed_users]] in {}), approve,",
        customer.data.join("fiducia.toml").display()
    ));
    report.say("then paste the code the callback page shows (or the whole callback URL) here within 60 s:");
    pasted().await.context("the code")
}

/// Waits for a person to paste the code, or the whole redirect URL, on stdin.
pub async fn pasted() -> anyhow::Result<String> {
    let line = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|_| line)
    })
    .await
    .context("reading stdin")?
    .context("reading stdin")?;
    let line = line.trim().to_string();
    if line.is_empty() {
        bail!(
            "no code was given (stdin closed); run with --user and --password to sign in without a browser"
        );
    }
    Ok(line)
}

/// The code from the redirect back (or a pasted bare code), after the
/// checks of RFC 6749 §4.1.2 / §4.1.2.1, §10.12 and RFC 9207 §2.4.
pub fn code_from(redirect: &str, pushed: &Pushed, issuer: &str) -> anyhow::Result<String> {
    let Some((_, query)) = redirect.split_once('?') else {
        // A bare code, copied from the sandbox callback page.
        if redirect.contains(['/', ' ', '&', '=']) {
            bail!("`{redirect}` is neither a code nor the redirect URL");
        }
        return Ok(redirect.to_string());
    };
    let query = query.split('#').next().unwrap_or(query);
    let param = |name: &str| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    if let Some(error) = param("error") {
        let description = param("error_description").unwrap_or_default();
        bail!("the authorization ended with {error}: {description}");
    }
    if param("state").as_deref() != Some(pushed.state.as_str()) {
        bail!("the redirect's state is not the one sent (RFC 6749 §10.12)");
    }
    if let Some(iss) = param("iss")
        && iss != issuer
    {
        bail!("the redirect's iss {iss} is not the issuer {issuer} (RFC 9207 §2.4)");
    }
    if param("response").is_some() {
        bail!("a JARM response; the demo registers no response_mode=jwt");
    }
    param("code").ok_or_else(|| anyhow!("the redirect carries no code: {redirect}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pushed() -> Pushed {
        Pushed {
            url: String::new(),
            verifier: String::new(),
            state: "s1".into(),
            nonce: "n1".into(),
            redirect_uri: "https://fintech/cb".into(),
            expires_in: 60,
        }
    }

    #[test]
    fn pkce_is_s256_of_a_43_character_verifier_rfc7636() {
        let (verifier, challenge) = pkce().unwrap();
        assert_eq!(verifier.len(), 43);
        let parsed = crate::protocol::pkce::CodeChallenge::parse(Some(&challenge), Some("S256")).unwrap();
        assert!(parsed.verify(&verifier).is_ok());
    }

    #[test]
    fn the_intent_is_an_essential_claim_oidc_core_s5_5() {
        let claims = intent_claims("pdc-1");
        assert_eq!(
            crate::consent::intent::requested(Some(&claims))
                .unwrap()
                .as_deref(),
            Some("pdc-1")
        );
    }

    #[test]
    fn the_redirect_back_is_checked() {
        let issuer = "https://op";
        let ok = "https://fintech/cb?code=c1&state=s1&iss=https%3A%2F%2Fop";
        assert_eq!(code_from(ok, &pushed(), issuer).unwrap(), "c1");
        assert_eq!(code_from("c1", &pushed(), issuer).unwrap(), "c1");
        let wrong_state = "https://fintech/cb?code=c1&state=s2";
        assert!(
            code_from(wrong_state, &pushed(), issuer)
                .unwrap_err()
                .to_string()
                .contains("state")
        );
        let mix_up = "https://fintech/cb?code=c1&state=s1&iss=https%3A%2F%2Fevil";
        assert!(
            code_from(mix_up, &pushed(), issuer)
                .unwrap_err()
                .to_string()
                .contains("RFC 9207")
        );
        let denied = "https://fintech/cb?error=access_denied&error_description=no&state=s1";
        assert_eq!(
            code_from(denied, &pushed(), issuer).unwrap_err().to_string(),
            "the authorization ended with access_denied: no"
        );
    }
}
