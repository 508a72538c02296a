//! The backchannel authentication request (CIBA Core §7.1) of the CIBA
//! fintech: a signed request (§7.1.1; required by FAPI CIBA §5.2.2 and by
//! the client's `backchannel_authentication_request_signing_alg`) whose
//! claims are `iss` (the client), `aud` (the issuer), `iat`, `nbf`, `exp`,
//! `jti`, `scope`, `login_hint` (the customer), `binding_message` and
//! `claims` naming the UK OBIE consent as `openbanking_intent_id` (OIDC
//! Core §5.5, as at PAR), sent over mutual TLS with client
//! authentication; the §7.3 answer: `auth_req_id`, `expires_in`, `interval`.

use super::authorize::{intent_claims, random};
use super::ciba_client::{CibaClient, JWT_LIFETIME_SECS, now, pairs};
use super::http::{expect_json, text};
use super::setup::Setup;
use anyhow::{Context, anyhow, bail};
use serde_json::{Value, json};

/// CIBA Core §7.3: the poll interval when the OP names none.
pub const DEFAULT_INTERVAL_SECS: u64 = 5;

/// What the customer is asked.
pub struct Ask<'a> {
    /// `login_hint`: the customer's username.
    pub user: &'a str,
    /// `scope` (with `openid`).
    pub scope: &'a str,
    /// `binding_message`, shown on the till and on the phone.
    pub binding_message: &'a str,
    /// The consent the customer authorises.
    pub consent_id: &'a str,
}

/// The OP's §7.3 answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    /// `auth_req_id`: what the client polls with.
    pub auth_req_id: String,
    /// `expires_in`, seconds.
    pub expires_in: u64,
    /// `interval`, seconds between polls.
    pub interval: u64,
}

/// The signed request's claims (CIBA Core §7.1.1).
pub fn request_claims(
    client_id: &str,
    issuer: &str,
    ask: &Ask<'_>,
    now: u64,
    jti: &str,
) -> anyhow::Result<Value> {
    let claims: Value = serde_json::from_str(&intent_claims(ask.consent_id)).context("the intent claims")?;
    Ok(json!({
        "iss": client_id, "aud": issuer, "iat": now, "nbf": now,
        "exp": now + JWT_LIFETIME_SECS, "jti": jti,
        "scope": ask.scope, "login_hint": ask.user,
        "binding_message": ask.binding_message, "claims": claims,
    }))
}

/// The §7.3 answer's members.
pub fn started(body: &Value) -> anyhow::Result<Started> {
    let auth_req_id = text(body, &["auth_req_id"], "the backchannel authentication response")?;
    let expires_in = body["expires_in"].as_u64().ok_or_else(|| {
        anyhow!("the backchannel authentication response lacks `expires_in` (CIBA Core §7.3)")
    })?;
    Ok(Started {
        auth_req_id,
        expires_in,
        interval: body["interval"].as_u64().unwrap_or(DEFAULT_INTERVAL_SECS),
    })
}

/// A binding message for this run: short, plain, easy to compare on two
/// screens (CIBA Core §7.1).
pub fn binding_code() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("PAY-{}", id[..6].to_ascii_uppercase())
}

/// `POST /bc-authorize` (the mTLS alias) with the signed request.
pub async fn request(setup: &Setup, client: &CibaClient, ask: &Ask<'_>) -> anyhow::Result<Started> {
    let Some(endpoint) = &setup.op.backchannel else {
        bail!("the OP advertises no backchannel_authentication_endpoint: is [ciba] enabled?");
    };
    let claims = request_claims(&client.client_id, &setup.op.issuer, ask, now(), &random(16)?)?;
    let signed = client.sign(&claims).await?;
    let mut params = client.authentication(&setup.op.issuer).await?;
    params.push(("request", signed));
    let response = setup.fintech.post_form(endpoint, &pairs(&params), &[]).await?;
    started(&expect_json(
        &response,
        200,
        "the backchannel authentication endpoint",
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask() -> Ask<'static> {
        Ask {
            user: "alice",
            scope: "openid payments",
            binding_message: "PAY-ABC123",
            consent_id: "pdc-1",
        }
    }

    #[test]
    fn the_signed_request_carries_what_ciba_core_7_1_1_and_the_intent_need() {
        let claims = request_claims("c1", "https://op", &ask(), 100, "j1").unwrap();
        for (name, value) in [
            ("iss", json!("c1")),
            ("aud", json!("https://op")),
            ("iat", json!(100)),
            ("nbf", json!(100)),
            ("exp", json!(100 + JWT_LIFETIME_SECS)),
            ("jti", json!("j1")),
            ("scope", json!("openid payments")),
            ("login_hint", json!("alice")),
            ("binding_message", json!("PAY-ABC123")),
        ] {
            assert_eq!(claims[name], value, "{name}");
        }
        // The OP reads the intent as at PAR (OIDC Core §5.5).
        let params = crate::protocol::authorization_params::AuthorizationParams::from_request_object(
            claims.as_object().unwrap().clone(),
        );
        assert_eq!(
            crate::protocol::intent_claim::requested(params.get("claims"))
                .unwrap()
                .as_deref(),
            Some("pdc-1")
        );
    }

    #[test]
    fn the_answer_needs_an_id_and_an_expiry_ciba_core_7_3() {
        let body = json!({"auth_req_id": "r1", "expires_in": 120, "interval": 2});
        assert_eq!(
            started(&body).unwrap(),
            Started {
                auth_req_id: "r1".into(),
                expires_in: 120,
                interval: 2
            }
        );
        let no_interval = json!({"auth_req_id": "r1", "expires_in": 120});
        assert_eq!(started(&no_interval).unwrap().interval, DEFAULT_INTERVAL_SECS);
        assert!(started(&json!({"expires_in": 120})).is_err());
        assert!(started(&json!({"auth_req_id": "r1"})).is_err());
    }

    #[test]
    fn binding_codes_are_valid_binding_messages() {
        let code = binding_code();
        assert_eq!(code.len(), 10, "{code}");
        assert!(crate::protocol::ciba::BindingMessage::try_from(code.as_str()).is_ok());
    }
}
