//! Onboarding: a software statement (SSA) from the sandbox directory over
//! mutual TLS with the software's transport certificate, then dynamic
//! client registration at the bank (RFC 7591 §3.1) with it, as a
//! `tls_client_auth` client (RFC 8705 §2.1) with certificate-bound access
//! tokens (RFC 8705 §3; FAPI 2.0 Security Profile §5.3.2.1).

use super::http::{describe_failure, expect_json, text};
use super::setup::Setup;
use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// A software statement as fetched.
pub struct Statement {
    /// The compact JWS.
    pub jws: String,
    /// Its claims (shown, not trusted: the OP verifies the signature).
    pub claims: Value,
}

/// The registered client.
pub struct Registration {
    /// `client_id`.
    pub client_id: String,
    /// `scope`, split.
    pub scopes: Vec<String>,
    /// The first registered redirect URI.
    pub redirect_uri: String,
    /// `registration_access_token` (RFC 7592; a secret).
    pub access_token: String,
}

/// `POST {directory}/software/{software_id}/ssa` with the transport certificate.
pub async fn statement(setup: &Setup) -> anyhow::Result<Statement> {
    let url = format!(
        "{}/software/{}/ssa",
        setup.sandbox.directory_url.trim_end_matches('/'),
        setup.sandbox.sample_software_id
    );
    let response = setup.fintech.post_form(&url, &[], &[]).await?;
    if response.status() != 200 {
        anyhow::bail!("the directory answered {}", describe_failure(&response));
    }
    let jws = String::from_utf8(response.body().to_vec())
        .context("the directory's statement is not text")?
        .trim()
        .to_string();
    let payload = jws
        .split('.')
        .nth(1)
        .context("the directory's statement is not a compact JWS")?;
    let claims = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .context("the directory's statement has no JSON claims")?;
    Ok(Statement { jws, claims })
}

/// The registration request: the statement and the FAPI metadata the OP's
/// policy accepts (`protocol::registration::metadata`); redirect URIs and
/// scopes default to what the statement allows (RFC 7591 §2.3).
pub fn registration_request(statement: &Statement) -> Value {
    json!({
        "software_statement": statement.jws,
        "token_endpoint_auth_method": "tls_client_auth",
        "tls_client_certificate_bound_access_tokens": true,
        "grant_types": ["authorization_code", "client_credentials"],
        "response_types": ["code"],
    })
}

/// `POST /register` over mutual TLS with the transport certificate.
pub async fn register(setup: &Setup, statement: &Statement) -> anyhow::Result<Registration> {
    let request = registration_request(statement);
    let response = setup
        .fintech
        .post_json(&setup.op.registration, &request, &[])
        .await?;
    let body = expect_json(&response, 201, "registration")?;
    let scopes = text(&body, &["scope"], "the registration")?
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let redirect_uri = body["redirect_uris"][0]
        .as_str()
        .context("the registration has no redirect URI")?
        .to_string();
    Ok(Registration {
        client_id: text(&body, &["client_id"], "the registration")?,
        scopes,
        redirect_uri,
        access_token: text(&body, &["registration_access_token"], "the registration")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_asks_for_certificate_bound_tls_client_auth_rfc8705() {
        let statement = Statement {
            jws: "a.b.c".into(),
            claims: Value::Null,
        };
        let request = registration_request(&statement);
        assert_eq!(request["software_statement"], "a.b.c");
        assert_eq!(request["token_endpoint_auth_method"], "tls_client_auth");
        assert_eq!(request["tls_client_certificate_bound_access_tokens"], true);
        // Redirect URIs and scope come from the statement (RFC 7591 §2.3).
        assert!(request.get("redirect_uris").is_none() && request.get("scope").is_none());
    }
}
