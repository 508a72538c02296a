//! The backchannel authentication request (CIBA Core §7.1), parsed from
//! its parameters (the form, or a verified signed request's claims:
//! `signed_request.rs`) into a typed request. The client is already
//! authenticated (§7.1: as at the token endpoint); what it registered
//! comes in as a [`ClientCibaPolicy`].
//!
//! | parameter | rule | source | error |
//! |---|---|---|---|
//! | `scope` | required, contains `openid`, each scope allowed to the client | §7.1, RFC 6749 §3.3 | `invalid_request`, `invalid_scope` |
//! | hints | exactly one of `login_hint_token`, `id_token_hint`, `login_hint` | §7.1 | `invalid_request` |
//! | `binding_message` | ≤ 64 characters, no control or invisible characters | §7.1 | `invalid_binding_message` |
//! | `binding_message` | required for a FAPI client when no `authorization_details` or intent makes the request unique | FAPI CIBA §5.2.2-2 | `invalid_request` |
//! | `user_code` | required when the client registered `backchannel_user_code_parameter` (the value is the caller's to check) | §7.1, §4 | `missing_user_code` |
//! | `requested_expiry` | positive integer | §7.1 | `invalid_request` |
//! | `acr_values` | space-separated, bounded | §7.1 | `invalid_request` |
//! | `client_notification_token` | required for ping and push, ≤ 1024, Bearer syntax | §7.1 | `invalid_request` |
//! | `authorization_details` | RFC 9396 types allowed to the client | RFC 9396 §5 | `invalid_authorization_details` |
//! | `claims` `openbanking_intent_id` | the UK OBIE consent to authorise (its state is the caller's) | OIDC Core §5.5, OBIE | `invalid_request` |
//! | `request_uri` | not used at this endpoint | §7.1 | `invalid_request` |

use super::binding_message::BindingMessage;
use super::delivery_mode::DeliveryMode;
use super::hint::Hint;
use super::notification_token::ClientNotificationToken;
use super::requested_expiry::RequestedExpiry;
use crate::protocol::authorization_params::AuthorizationParams;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::intent_claim;
use crate::protocol::rar::{self, AuthorizationDetails, DetailType};

/// Longest `user_code` read (CIBA Core §7.1 sets none; a PIN or password).
pub const MAX_USER_CODE_LEN: usize = 64;

/// Most `acr_values` (OIDC Core §3.1.2.1: space-separated, in order of preference).
pub const MAX_ACR_VALUES: usize = 8;

/// Longest single `acr_values` entry.
pub const MAX_ACR_VALUE_LEN: usize = 128;

/// Most scopes in one request.
pub const MAX_SCOPES: usize = 32;

/// What the request's client registered, as the parser needs it.
#[derive(Debug, Clone, Copy)]
pub struct ClientCibaPolicy<'a> {
    /// CIBA Core §4 `backchannel_token_delivery_mode`.
    pub delivery_mode: DeliveryMode,
    /// CIBA Core §4 `backchannel_user_code_parameter`.
    pub user_code_parameter: bool,
    /// Scopes the client may ask for.
    pub allowed_scopes: &'a [String],
    /// RFC 9396 types the client may ask for.
    pub allowed_details: &'a [DetailType],
    /// Whether the client follows the FAPI CIBA profile.
    pub fapi: bool,
}

/// A checked backchannel authentication request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackchannelAuthenticationRequest {
    /// Requested scopes, `openid` among them, each once, in request order.
    pub scopes: Vec<String>,
    /// Whom it is about (to be resolved by the caller).
    pub hint: Hint,
    /// Shown on both devices.
    pub binding_message: Option<BindingMessage>,
    /// What the customer typed on the consumption device; present whenever
    /// the client registered `backchannel_user_code_parameter`.
    pub user_code: Option<String>,
    /// The lifetime the client asked for.
    pub requested_expiry: Option<RequestedExpiry>,
    /// OIDC Core §3.1.2.1 `acr_values`, in order of preference.
    pub acr_values: Vec<String>,
    /// The bearer token for the client's notification endpoint (ping, push).
    pub client_notification_token: Option<ClientNotificationToken>,
    /// RFC 9396 details, checked against the client's allowed types.
    pub authorization_details: Option<AuthorizationDetails>,
    /// The UK OBIE consent the customer is asked to authorise.
    pub openbanking_intent_id: Option<String>,
}

/// CIBA Core §7.1: parses `params` of a client registered as `policy`.
pub fn parse_backchannel_request(
    params: &AuthorizationParams,
    policy: &ClientCibaPolicy<'_>,
) -> Result<BackchannelAuthenticationRequest, OAuthError> {
    if params.get("request_uri").is_some() {
        return Err(OAuthError::invalid_request(
            "request_uri is not used at the backchannel authentication endpoint (CIBA Core §7.1)",
        ));
    }
    let scopes = scopes(params, policy.allowed_scopes)?;
    let hint = Hint::from_params(params)?;
    let binding_message = params
        .get("binding_message")
        .map(BindingMessage::try_from)
        .transpose()?;
    let user_code = user_code(params, policy.user_code_parameter)?;
    let requested_expiry = params
        .get("requested_expiry")
        .map(RequestedExpiry::try_from)
        .transpose()?;
    let acr_values = acr_values(params.get("acr_values"))?;
    let client_notification_token = match (
        policy.delivery_mode.notifies(),
        params.get("client_notification_token"),
    ) {
        (true, None) => {
            return Err(OAuthError::invalid_request(
                "client_notification_token is required for ping and push clients (CIBA Core §7.1)",
            ));
        }
        (true, Some(token)) => Some(ClientNotificationToken::try_from(token)?),
        // A poll client has no endpoint to call: the token is ignored.
        (false, _) => None,
    };
    let authorization_details = rar::parse(params.get("authorization_details"), policy.allowed_details)?;
    let openbanking_intent_id = intent_claim::requested(params.get("claims"))?;
    // FAPI CIBA §5.2.2-2: a unique authorization context, or a binding message.
    if policy.fapi
        && binding_message.is_none()
        && authorization_details.is_none()
        && openbanking_intent_id.is_none()
    {
        return Err(OAuthError::invalid_request(
            "binding_message is required when neither authorization_details nor openbanking_intent_id makes the request unique (FAPI CIBA §5.2.2)",
        ));
    }
    Ok(BackchannelAuthenticationRequest {
        scopes,
        hint,
        binding_message,
        user_code,
        requested_expiry,
        acr_values,
        client_notification_token,
        authorization_details,
        openbanking_intent_id,
    })
}

/// CIBA Core §7.1: `scope` is required and holds `openid`; RFC 6749 §3.3:
/// each scope the client may ask for (`invalid_scope`).
fn scopes(params: &AuthorizationParams, allowed: &[String]) -> Result<Vec<String>, OAuthError> {
    let mut scopes: Vec<String> = Vec::new();
    for scope in params.require("scope")?.split(' ').filter(|s| !s.is_empty()) {
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_string());
        }
    }
    if scopes.len() > MAX_SCOPES {
        return Err(OAuthError::new(ErrorCode::InvalidScope, "too many scopes"));
    }
    if !scopes.iter().any(|s| s == "openid") {
        return Err(OAuthError::invalid_request(
            "scope must contain openid (CIBA Core §7.1)",
        ));
    }
    if let Some(scope) = scopes.iter().find(|s| !allowed.contains(s)) {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            format!("scope `{}` is not allowed for this client", truncated(scope)),
        ));
    }
    Ok(scopes)
}

/// CIBA Core §7.1 / §4: `missing_user_code` when the client registered
/// `backchannel_user_code_parameter` and sent none.
fn user_code(params: &AuthorizationParams, required: bool) -> Result<Option<String>, OAuthError> {
    match params.get("user_code") {
        None if required => Err(OAuthError::new(
            ErrorCode::MissingUserCode,
            "user_code is required for this client (CIBA Core §7.1)",
        )),
        None => Ok(None),
        Some(code) if code.len() > MAX_USER_CODE_LEN || code.chars().any(char::is_control) => {
            Err(OAuthError::new(
                ErrorCode::InvalidUserCode,
                "user_code is malformed (CIBA Core §13)",
            ))
        }
        Some(code) => Ok(Some(code.to_string())),
    }
}

/// OIDC Core §3.1.2.1 (CIBA Core §7.1): space-separated, bounded, printable ASCII.
fn acr_values(raw: Option<&str>) -> Result<Vec<String>, OAuthError> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    let values: Vec<String> = raw
        .split(' ')
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect();
    if values.len() > MAX_ACR_VALUES {
        return Err(OAuthError::invalid_request("too many acr_values"));
    }
    if values
        .iter()
        .any(|v| v.len() > MAX_ACR_VALUE_LEN || !v.bytes().all(|b| b.is_ascii_graphic()))
    {
        return Err(OAuthError::invalid_request(
            "acr_values must be printable ASCII values of at most 128 characters",
        ));
    }
    Ok(values)
}

/// A scope cut short for an error description.
fn truncated(text: &str) -> String {
    text.chars().take(64).filter(|c| c.is_ascii_graphic()).collect()
}

#[cfg(test)]
mod tests;
