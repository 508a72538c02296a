//! The app's side of the OP's interaction API: JSON POSTs over mTLS with
//! the app's certificate (RFC 8705 §2: the OP knows the app by its
//! certificate, as it knows a resource server). Read what an interaction
//! asks; report the login (`sub`, `acr`, `amr` per RFC 8176, `auth_time`)
//! and the consent (the answer carries `return_to`). A refusal is an RFC
//! 9457 problem document; its `type` and `detail` are kept for the page.

use super::settings::OpApiConfig;
use crate::gateway::https_client::HttpsClient;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

/// Largest answer read from the OP.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The OP refused: status, problem `type`, `detail`.
    Refused(u16, String, String),
    /// No usable answer (transport, 5xx, not JSON).
    Unreachable(String),
}

/// The client named in the request.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AskingClient {
    /// `client_name`, shown to the customer.
    #[serde(default)]
    pub client_name: Option<String>,
}

/// A payment the interaction authorises.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Payment {
    /// The amount as asked.
    #[serde(default)]
    pub amount: String,
    /// ISO 4217.
    #[serde(default)]
    pub currency: String,
    /// The payee's name.
    #[serde(default)]
    pub payee_name: String,
    /// The payee's account.
    #[serde(default)]
    pub payee_account: Account,
}

/// An account: its identification, and for the customer's own a
/// currency and name.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Account {
    /// The account number in that scheme.
    #[serde(default)]
    pub identification: String,
    /// The account's currency (the customer's own accounts).
    #[serde(default)]
    pub currency: String,
    /// The account's name (the customer's own accounts).
    #[serde(default)]
    pub name: String,
}

/// What an interaction asks (`POST /interaction-api/read`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Asked {
    /// The client.
    #[serde(default)]
    pub client: AskingClient,
    /// `login`, `consent` or `decided`.
    #[serde(default)]
    pub stage: String,
    /// The scopes asked.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The payments to authorise.
    #[serde(default)]
    pub payments: Vec<Payment>,
    /// The accounts the customer may pay from, once signed in.
    #[serde(default)]
    pub debtor_accounts: Vec<Account>,
    /// `required`, `preferred` or `password`: what the login must be.
    #[serde(default)]
    pub sca: String,
    /// The client's redirect URI (where the browser ends: the pages'
    /// `form-action` must allow its origin).
    #[serde(default)]
    pub redirect_uri: String,
    /// `login_hint`.
    #[serde(default)]
    pub login_hint: Option<String>,
}

impl Asked {
    /// Whether the customer must give a second factor (`preferred`: when
    /// they have one).
    pub fn needs_second_factor(&self, has_factor: bool) -> bool {
        match self.sca.as_str() {
            "required" => true,
            "preferred" => has_factor,
            _ => false,
        }
    }
}

/// A login to report.
pub struct Login<'a> {
    /// The customer's `sub`.
    pub sub: &'a str,
    /// The `acr` reached.
    pub acr: &'a str,
    /// The methods used.
    pub amr: &'a [&'a str],
    /// When the customer authenticated.
    pub auth_time: u64,
}

/// The OP's interaction API.
pub struct OpApi {
    client: HttpsClient,
    config: OpApiConfig,
}

impl OpApi {
    /// A client presenting the app's certificate.
    pub fn new(config: &OpApiConfig) -> anyhow::Result<Self> {
        Ok(Self {
            client: HttpsClient::new(
                &config.client_cert,
                &config.client_key,
                &config.ca,
                Duration::from_millis(config.timeout_ms),
                MAX_ANSWER_BYTES,
            )?,
            config: config.clone(),
        })
    }

    /// What interaction `id` asks.
    pub async fn read(&self, id: &str) -> Result<Asked, Failure> {
        let answer = self
            .post(&self.config.read, json!({"interaction_id": id}))
            .await?;
        serde_json::from_value(answer).map_err(|e| Failure::Unreachable(format!("the OP's answer: {e}")))
    }

    /// Reports the login of interaction `id`.
    pub async fn login(&self, id: &str, login: &Login<'_>) -> Result<(), Failure> {
        let body = json!({
            "interaction_id": id, "sub": login.sub, "acr": login.acr,
            "amr": login.amr, "auth_time": login.auth_time,
        });
        self.post(&self.config.login, body).await.map(|_| ())
    }

    /// Reports the consent of interaction `id`; the URL to send the browser to.
    pub async fn consent(
        &self,
        id: &str,
        approve: bool,
        debtor_account: Option<&str>,
    ) -> Result<String, Failure> {
        let mut body = json!({"interaction_id": id, "approve": approve});
        if let Some(account) = debtor_account {
            body["debtor_account"] = json!(account);
        }
        let answer = self.post(&self.config.consent, body).await?;
        answer["return_to"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| Failure::Unreachable("the OP's answer has no return_to".into()))
    }

    /// Gives interaction `id` up for `reason` (`sca_unavailable`,
    /// `customer_cancelled`, `login_required`); the URL to send the
    /// browser to, where the client hears the reason's error.
    pub async fn abandon(&self, id: &str, reason: &str) -> Result<String, Failure> {
        let body = json!({"interaction_id": id, "reason": reason});
        let answer = self.post(&self.config.abandon, body).await?;
        answer["return_to"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| Failure::Unreachable("the OP's answer has no return_to".into()))
    }

    async fn post(&self, url: &str, body: Value) -> Result<Value, Failure> {
        let request = http::Request::post(url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::ACCEPT, "application/json")
            .body(Bytes::from(body.to_string()))
            .map_err(|e| Failure::Unreachable(e.to_string()))?;
        let answer = self
            .client
            .send(request)
            .await
            .map_err(|e| Failure::Unreachable(e.to_string()))?;
        let status = answer.status().as_u16();
        let json: Value = serde_json::from_slice(answer.body()).unwrap_or(Value::Null);
        match status {
            200..=299 => Ok(json),
            400..=499 => Err(Failure::Refused(
                status,
                json["type"].as_str().unwrap_or_default().to_string(),
                json["detail"].as_str().unwrap_or_default().to_string(),
            )),
            _ => Err(Failure::Unreachable(format!("the OP answered {status}"))),
        }
    }
}
