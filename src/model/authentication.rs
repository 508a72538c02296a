//! What an authorization request asks of the customer's authentication,
//! what the login reported, and the consent answer: the pieces of an
//! interaction (`records::Interaction`) that the built-in login and
//! consent and the bank's own app (the interaction API) both fill in.

use serde::{Deserialize, Serialize};

/// The authentication parameters of an authorization request (OIDC Core
/// §3.1.2.1), kept as sent so the login (built-in or the bank's app) can
/// honour them. Added in store schema 13.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthenticationRequest {
    /// `max_age`: seconds since the customer's last active authentication
    /// after which they must authenticate again.
    pub max_age: Option<u64>,
    /// `acr_values`: requested (voluntary) Authentication Context Class
    /// References, space-separated, in order of preference.
    pub acr_values: Option<String>,
    /// `login_hint`: the customer the client believes is signing in.
    pub login_hint: Option<String>,
    /// `prompt`: space-separated `none`, `login`, `consent`, `select_account`.
    pub prompt: Option<String>,
}

impl AuthenticationRequest {
    /// Whether `prompt` carries `value`.
    pub fn prompts(&self, value: &str) -> bool {
        self.prompt
            .as_deref()
            .is_some_and(|p| p.split(' ').any(|v| v == value))
    }
}

/// A customer's completed authentication (OIDC Core §2 `sub`, `acr`,
/// `amr`, `auth_time`): what the login reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authenticated {
    /// The customer's account id (`sub`).
    pub account_id: String,
    /// When they authenticated, Unix seconds.
    pub auth_time: u64,
    /// The Authentication Context Class Reference they reached.
    pub acr: Option<String>,
    /// The methods used (RFC 8176 values such as `pwd`, `otp`, `hwk`).
    pub amr: Vec<String>,
    /// Dynamic linking (PSD2 RTS Art. 5(1)(b)): the digest of the payment
    /// (amount, currency, payee) the second factor was given for
    /// (`login/payment_link.rs`); checked again when the consent is
    /// authorised. `None` when no payment was linked. Schema 14.
    pub payment_link: Option<String>,
}

/// The customer's consent answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentAnswer {
    /// Approve or deny.
    pub approve: bool,
    /// The scopes granted: the ones asked, or fewer.
    pub scopes: Vec<String>,
    /// The `claims` request granted, as JSON text: the one asked, or its
    /// members reduced to the claims granted.
    pub claims: Option<String>,
    /// The identification of the account chosen to pay from, for a UK OBIE
    /// payment consent that left it open (`consent::debtor`).
    pub debtor_account: Option<String>,
}
