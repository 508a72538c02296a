//! The authentication parameters of an authorization request (OIDC Core
//! §3.1.2.1): `max_age`, `acr_values`, `login_hint`, `prompt`, checked at
//! PAR (or in a request object by value) and kept on the pushed request
//! for the login that serves it, built-in or the bank's app.

use crate::model::authentication::AuthenticationRequest;
use crate::protocol::authorization_params::AuthorizationParams;
use crate::protocol::error::OAuthError;

/// The longest value of one of these parameters accepted.
const MAX_LEN: usize = 512;
/// OIDC Core §3.1.2.1 `prompt` values.
const PROMPTS: &[&str] = &["none", "login", "consent", "select_account"];

/// The parameters of `params`, checked: a bounded length, `max_age` a
/// non-negative integer, `prompt` known values with `none` alone.
pub fn parse(params: &AuthorizationParams) -> Result<AuthenticationRequest, OAuthError> {
    let bounded = |name: &str| -> Result<Option<String>, OAuthError> {
        match params.get(name) {
            Some(v) if v.len() > MAX_LEN => Err(OAuthError::invalid_request(format!("`{name}` is too long"))),
            other => Ok(other.map(str::to_string)),
        }
    };
    let max_age = match bounded("max_age")? {
        None => None,
        Some(v) => Some(v.parse::<u64>().map_err(|_| {
            OAuthError::invalid_request(
                "max_age must be a non-negative number of seconds (OIDC Core §3.1.2.1)",
            )
        })?),
    };
    let prompt = bounded("prompt")?;
    if let Some(prompt) = &prompt {
        let values: Vec<&str> = prompt.split(' ').collect();
        if values.iter().any(|v| !PROMPTS.contains(v)) {
            return Err(OAuthError::invalid_request(
                "unknown prompt value (OIDC Core §3.1.2.1)",
            ));
        }
        if values.contains(&"none") && values.len() > 1 {
            return Err(OAuthError::invalid_request(
                "prompt=none cannot be combined with another value (OIDC Core §3.1.2.1)",
            ));
        }
    }
    Ok(AuthenticationRequest {
        max_age,
        acr_values: bounded("acr_values")?,
        login_hint: bounded("login_hint")?,
        prompt,
    })
}
