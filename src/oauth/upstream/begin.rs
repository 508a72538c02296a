//! `/authorize` for a client whose login goes to the upstream provider:
//! after the interaction is started (built-in runner: the consent stays
//! Fiducia's page), the pending login is stored and the browser sent up.
//!
//! - `state`, `nonce` and the PKCE verifier are 256 random bits each
//!   (RFC 6749 §10.10, OIDC Core §3.1.2.1, RFC 7636 §4.1, S256 §4.2); the
//!   store keeps the `state` only as its SHA-256 (the record's key) and the
//!   `nonce` only as its SHA-256;
//! - a `__Host-` cookie (`oauth::interaction_app::BROWSER_COOKIE`) binds
//!   the pending login to this browser; the record keeps its SHA-256;
//! - with PAR (RFC 9126 §2, `use_par`, default: when the provider offers
//!   it) the parameters are pushed with `private_key_jwt` and only
//!   `client_id` and `request_uri` travel through the browser;
//! - `acr_values` names the upstream values `acr_map` maps to what the
//!   request asks (its `acr_values`, an essential `acr`, and SCA for a
//!   payment, `oauth::sca::requirement`); `max_age` and `prompt=login` are
//!   passed up, so the upstream re-authenticates as the request demands;
//! - the claims `claims_map` names are asked into the ID token (OIDC Core
//!   §5.5 `claims`), the one document the callback reads.

use super::client_jwt::{self, JWT_BEARER};
use super::provider::Upstream;
use crate::model::records::PushedRequest;
use crate::model::upstream_login::UpstreamLogin;
use crate::oauth::interaction::browser_hash;
use crate::oauth::op::OpState;
use crate::oauth::secrets::new_secret;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::form::with_query;
use std::collections::BTreeMap;

/// Where the browser goes, and the cookie that binds it.
#[derive(Debug)]
pub struct Sent {
    /// The upstream authorization endpoint's URL.
    pub location: String,
    /// The browser-binding cookie's value.
    pub browser_secret: String,
}

fn unavailable(what: &str, error: &str) -> OAuthError {
    tracing::warn!(%error, "{what}");
    OAuthError::new(
        ErrorCode::TemporarilyUnavailable,
        "the bank's sign-in service cannot be reached now; please try again",
    )
}

/// Stores the pending login of interaction `interaction_id` (for
/// `request`) and answers where to send the browser.
pub async fn begin(
    op: &OpState,
    upstream: &Upstream,
    interaction_id: &str,
    request: &PushedRequest,
    now: u64,
) -> Result<Sent, OAuthError> {
    let config = &upstream.config;
    let (metadata, _) = upstream
        .provider(now)
        .await
        .map_err(|e| unavailable("upstream OpenID Provider metadata unavailable", &e))?;
    let (state, nonce, verifier, browser_secret) =
        (new_secret()?, new_secret()?, new_secret()?, new_secret()?);
    let challenge = {
        use base64::Engine;
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
    };
    let asked = &request.authentication;
    let pending = UpstreamLogin {
        interaction_id: interaction_id.to_string(),
        browser: browser_hash(&browser_secret),
        nonce: crate::protocol::upstream_id_token::hash(&nonce),
        code_verifier: verifier,
        max_age_sent: asked.max_age.is_some(),
        started: now,
    };
    op.services
        .repo
        .upsert(&state, &pending, Some(config.ttl_secs), now)
        .await
        .map_err(|e| OAuthError::new(ErrorCode::TemporarilyUnavailable, e.to_string()))?;

    let redirect_uri = op.config.endpoint_url(crate::protocol::paths::UPSTREAM_CALLBACK);
    let scope = config.scopes.join(" ");
    let wanted = wanted_acrs(op, request, now).await?;
    let acr_values = upstream_acr_values(&config.acr_map, &wanted);
    let max_age = asked.max_age.map(|m| m.to_string());
    let claims = id_token_claims(&config.claims_map);
    let mut params: Vec<(&str, &str)> = vec![
        ("response_type", "code"),
        ("client_id", &config.client_id),
        ("redirect_uri", &redirect_uri),
        ("scope", &scope),
        ("state", &state),
        ("nonce", &nonce),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ];
    if let Some(acr_values) = &acr_values {
        params.push(("acr_values", acr_values));
    }
    if let Some(max_age) = &max_age {
        params.push(("max_age", max_age));
    }
    if let Some(claims) = &claims {
        params.push(("claims", claims));
    }
    if asked.prompts("login") {
        params.push(("prompt", "login"));
    }
    let par = match config.use_par {
        Some(false) => None,
        _ => metadata.par_endpoint.as_deref(),
    };
    let Some(par) = par else {
        if config.use_par == Some(true) {
            return Err(unavailable(
                "the upstream OpenID Provider offers no PAR endpoint but [login.upstream] use_par is true",
                "no pushed_authorization_request_endpoint",
            ));
        }
        return Ok(Sent {
            location: with_query(&metadata.authorization_endpoint, &params),
            browser_secret,
        });
    };
    // RFC 9126 §2.1: the pushed request, with the client's authentication.
    let assertion = client_jwt::assertion(op, &config.client_id, &metadata.issuer, now).await?;
    params.push(("client_assertion_type", JWT_BEARER));
    params.push(("client_assertion", &assertion));
    let answer = upstream
        .fetcher()
        .post_form(par, &params, &[])
        .await
        .map_err(|e| unavailable("upstream PAR call failed", &e))?;
    let (status, body) = (answer.status, answer.body);
    let request_uri = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .filter(|_| status == http::StatusCode::CREATED)
        .and_then(|v| v.get("request_uri").and_then(|u| u.as_str()).map(str::to_string));
    let Some(request_uri) = request_uri else {
        let error = upstream_error(&body);
        return Err(unavailable("upstream PAR refused", &format!("{status} {error}")));
    };
    Ok(Sent {
        location: with_query(
            &metadata.authorization_endpoint,
            &[("client_id", &config.client_id), ("request_uri", &request_uri)],
        ),
        browser_secret,
    })
}

/// The `error` code of an OAuth error answer (RFC 6749 §5.2), for logs: a
/// short token, never the description or anything else of the body.
pub fn upstream_error(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
        .filter(|e| e.len() <= 64 && e.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or_else(|| "no OAuth error".into())
}

/// OIDC Core §5.5: the mapped claims asked into the ID token (a provider
/// may otherwise release them only at its userinfo endpoint, §5.4), as
/// voluntary claims; `None` when nothing is mapped.
pub fn id_token_claims(claims_map: &BTreeMap<String, String>) -> Option<String> {
    if claims_map.is_empty() {
        return None;
    }
    let asked: serde_json::Map<String, serde_json::Value> = claims_map
        .keys()
        .map(|name| (name.clone(), serde_json::Value::Null))
        .collect();
    Some(serde_json::json!({ "id_token": asked }).to_string())
}

/// The `acr` values the request wants of the login: its `acr_values`, an
/// essential `acr` (OIDC Core §5.5.1.1), and SCA when it needs it.
async fn wanted_acrs(op: &OpState, request: &PushedRequest, now: u64) -> Result<Vec<String>, OAuthError> {
    let mut wanted: Vec<String> = request
        .authentication
        .acr_values
        .as_deref()
        .map(|v| v.split(' ').map(str::to_string).collect())
        .unwrap_or_default();
    wanted.extend(crate::oauth::acr_requirement::essential(request.claims.as_deref()).unwrap_or_default());
    let terms = crate::oauth::sca::payment_terms(&op.services.repo, request, now)
        .await
        .map_err(|e| OAuthError::new(ErrorCode::TemporarilyUnavailable, e.to_string()))?;
    let payments_need_sca = !op.config.get().login.totp.danger_payments_without_sca;
    if crate::oauth::sca::requirement(request, !terms.is_empty(), payments_need_sca)
        != crate::oauth::sca::Requirement::Password
    {
        wanted.insert(0, crate::protocol::acr::SCA.to_string());
    }
    Ok(wanted)
}

/// The upstream values `acr_map` maps to one of `wanted`, in the order
/// wanted (OIDC Core §3.1.2.1: `acr_values` in order of preference).
pub fn upstream_acr_values(acr_map: &BTreeMap<String, String>, wanted: &[String]) -> Option<String> {
    let mut values: Vec<&str> = Vec::new();
    for want in wanted {
        for (upstream, ours) in acr_map {
            if ours == want && !values.contains(&upstream.as_str()) {
                values.push(upstream);
            }
        }
    }
    (!values.is_empty()).then(|| values.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// OIDC Core §3.1.2.1: the upstream is asked for the values that map
    /// to what the request wants, in its order; nothing when none map.
    #[test]
    fn acr_values_are_mapped_up_in_order() {
        let map: BTreeMap<String, String> = [
            ("loa-high", "urn:openbanking:psd2:sca"),
            ("loa-low", "urn:openbanking:psd2:ca"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        let wanted = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            upstream_acr_values(
                &map,
                &wanted(&["urn:openbanking:psd2:sca", "urn:openbanking:psd2:ca"])
            )
            .as_deref(),
            Some("loa-high loa-low")
        );
        assert_eq!(upstream_acr_values(&map, &wanted(&["urn:other"])), None);
    }
}
