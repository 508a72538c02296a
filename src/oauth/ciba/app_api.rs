//! CIBA through the bank's interaction app (issue 25): the interaction
//! API's operations on the backchannel requests handed to an app
//! (`backchannel.rs`, `BackchannelRequest::app`) instead of the device
//! channel. The app authenticates the customer on its own channel (CIBA
//! Core §1 leaves how the OP reaches the authentication device out of
//! scope) and reports the outcome:
//!
//! - [`pending`]: the app's requests still pending, a bounded page;
//! - [`read`]: what one asks (client, scopes, `binding_message`, the
//!   customer the hint resolved to, `acr_values`,
//!   `authorization_details`, the UK OBIE intent, whether SCA is needed);
//! - [`decide`]: the customer's approval or denial, recorded as the device
//!   channel's is (`decision::record`): once (409 after), before expiry,
//!   for the request's own customer only; a request that needs SCA is
//!   approved only with `acr` `urn:openbanking:psd2:sca`.
//!
//! A request is named by its `request_ref`: base64url of the SHA-256 of
//! its `auth_req_id`, the key the store holds it under. The `auth_req_id`
//! itself is the client's bearer secret at the token endpoint and is never
//! stored (store/keys.rs), so the app never learns it. Another app's
//! request, the device channel's, an unknown or expired one are the same
//! `NotFound`: an app learns nothing about requests that are not its own.

use super::decision::{self, Decider, DecisionFailure};
use super::service::Ciba;
use crate::config::ResourceServerConfig;
use crate::model::ciba::BackchannelRequest;
use crate::oauth::interaction_api::{ApiError, CLOCK_SKEW_SECS};
use crate::oauth::op::OpState;
use crate::protocol::ciba::{CibaStatus, Decision, DeviceAuthentication};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Value, json};

/// Requests answered by one [`pending`] call at most, and by default.
pub const MAX_PAGE: usize = 100;
const DEFAULT_PAGE: usize = 50;
/// Most `amr` values and the longest value accepted (as the device's).
const MAX_AMR: usize = 8;
const MAX_VALUE_LEN: usize = 128;

/// `POST /interaction-api/ciba/pending`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingQuery {
    /// How many at most (1 to [`MAX_PAGE`]; default 50).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// A body naming one request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestRef {
    /// The request, as [`pending`] named it.
    pub request_ref: String,
}

/// `POST /interaction-api/ciba/decision`: the customer's decision (CIBA
/// Core §7: the OP authenticates the user and obtains the consent).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionReport {
    /// The request, as [`pending`] named it.
    pub request_ref: String,
    /// Approve or deny.
    pub approve: bool,
    /// The customer's account id: must be the one the request's hint
    /// resolved to.
    pub sub: String,
    /// The Authentication Context Class Reference reached (the ID token's
    /// `acr`, OIDC Core §2).
    #[serde(default)]
    pub acr: Option<String>,
    /// The methods used (RFC 8176; the ID token's `amr`).
    #[serde(default)]
    pub amr: Vec<String>,
    /// When the customer authenticated, Unix seconds: within the request's
    /// life.
    pub auth_time: u64,
}

/// The store key of `request_ref`, or `None` when it is no SHA-256.
fn id_key(request_ref: &str) -> Option<Vec<u8>> {
    let bytes = URL_SAFE_NO_PAD.decode(request_ref).ok()?;
    (bytes.len() == 32).then_some(bytes)
}

/// The app's request under `request_ref`, not expired at `now`.
async fn load(
    op: &OpState,
    app: &ResourceServerConfig,
    request_ref: &str,
    now: u64,
) -> Result<BackchannelRequest, ApiError> {
    let key = id_key(request_ref).ok_or(ApiError::NotFound)?;
    let found = op
        .services
        .repo
        .find_by_id_key::<BackchannelRequest>(&key, now)
        .await
        .map_err(|_| ApiError::Unavailable)?
        .ok_or(ApiError::NotFound)?;
    let request = found.payload;
    if request.app.as_deref() != Some(app.id.as_str()) || request.is_expired(now) {
        return Err(ApiError::NotFound);
    }
    Ok(request)
}

/// The app's pending, unexpired requests: at most `limit`, with `more`
/// when others wait. One read of the kind (at most `[ciba] max_pending`
/// requests), bounded by the app's request budget.
pub async fn pending(
    op: &OpState,
    app: &ResourceServerConfig,
    query: PendingQuery,
    now: u64,
) -> Result<Value, ApiError> {
    let limit = match query.limit {
        None => DEFAULT_PAGE,
        Some(n) if (1..=MAX_PAGE).contains(&n) => n,
        Some(_) => return Err(ApiError::Invalid(format!("`limit` must be 1 to {MAX_PAGE}"))),
    };
    let mine = |r: &BackchannelRequest| {
        r.app.as_deref() == Some(app.id.as_str()) && r.status == CibaStatus::Pending && !r.is_expired(now)
    };
    let (found, more) = op
        .services
        .repo
        .list_keyed::<BackchannelRequest>(now, limit, mine)
        .await
        .map_err(|_| ApiError::Unavailable)?;
    let requests: Vec<Value> = found
        .iter()
        .map(|(key, f)| {
            json!({
                "request_ref": URL_SAFE_NO_PAD.encode(key),
                "client_id": f.payload.client_id,
                "sub": f.payload.account_id,
                "created_at": f.payload.created_at,
                "expires_at": f.payload.expires_at,
            })
        })
        .collect();
    Ok(json!({"requests": requests, "more": more}))
}

/// What the request asks, as the device channel is shown it
/// (`device_channel::claims`), and whether the login needs SCA
/// (`oauth::sca`: a payment, or `acr_values` demanding
/// `urn:openbanking:psd2:sca`).
pub async fn read(
    op: &OpState,
    app: &ResourceServerConfig,
    request_ref: &str,
    now: u64,
) -> Result<Value, ApiError> {
    let request = load(op, app, request_ref, now).await?;
    let client_name = op
        .services
        .clients
        .get(&request.client_id)
        .await
        .map(|c| c.client_name.clone());
    let consent = consent_of(op, &request, now).await?;
    let details = crate::protocol::rar::stored_value(request.authorization_details.as_deref());
    let sca = match sca_requirement(op, &request, consent.as_ref()) {
        crate::oauth::sca::Requirement::Required => "required",
        crate::oauth::sca::Requirement::Preferred => "preferred",
        crate::oauth::sca::Requirement::Password => "password",
    };
    let status = match request.status {
        CibaStatus::Pending => "pending",
        _ => "decided",
    };
    Ok(json!({
        "request_ref": request_ref,
        "status": status,
        "client": {"client_id": request.client_id, "client_name": client_name},
        "sub": request.account_id,
        "scopes": request.scopes,
        "binding_message": request.binding_message,
        "acr_values": request.acr_values,
        "authorization_details": details,
        "openbanking_intent_id": request.openbanking_intent_id,
        "intent": consent.as_ref().map(super::device_channel::intent),
        "sca": sca,
        "created_at": request.created_at,
        "expires_at": request.expires_at,
    }))
}

/// What the request needs of the login (`oauth::sca`): `Required` for a
/// payment (the UK OBIE payment consent it names, or a
/// `payment_initiation` detail; PSD2 RTS Art. 4, unless `[login.totp]
/// danger_payments_without_sca`) or `acr_values` demanding
/// `urn:openbanking:psd2:sca`.
fn sca_requirement(
    op: &OpState,
    request: &BackchannelRequest,
    consent: Option<&crate::consent::Consent>,
) -> crate::oauth::sca::Requirement {
    let details = crate::protocol::rar::stored_value(request.authorization_details.as_deref());
    let rar_payment = details.as_ref().and_then(Value::as_array).is_some_and(|all| {
        all.iter()
            .any(|d| d.get("type").and_then(Value::as_str) == Some("payment_initiation"))
    });
    let consent_payment =
        consent.is_some_and(|c| matches!(c.kind, crate::consent::ConsentKind::DomesticPayment(_)));
    let payments_need_sca = !op.config.get().login.totp.danger_payments_without_sca;
    crate::oauth::sca::requirement_for_acr_values(
        &request.acr_values,
        rar_payment || consent_payment,
        payments_need_sca,
    )
}

/// The UK OBIE consent `request` names, as the store holds it now.
async fn consent_of(
    op: &OpState,
    request: &BackchannelRequest,
    now: u64,
) -> Result<Option<crate::consent::Consent>, ApiError> {
    let Some(id) = &request.openbanking_intent_id else {
        return Ok(None);
    };
    let found = op
        .services
        .repo
        .find::<crate::consent::Consent>(id, now)
        .await
        .map_err(|_| ApiError::Unavailable)?;
    Ok(found.map(|f| f.payload))
}

/// Records the customer's decision the app reports (see the module
/// documentation); the client hears it at its next poll (CIBA Core §11:
/// tokens, or `access_denied`).
pub async fn decide(
    op: &OpState,
    ciba: &Ciba,
    app: &ResourceServerConfig,
    report: DecisionReport,
    now: u64,
) -> Result<Value, ApiError> {
    let bounded =
        |s: &str| !s.is_empty() && s.len() <= MAX_VALUE_LEN && s.chars().all(|c| c.is_ascii_graphic());
    if report.amr.len() > MAX_AMR
        || !report.amr.iter().all(|a| bounded(a))
        || report.acr.as_deref().is_some_and(|a| !bounded(a))
    {
        return Err(ApiError::Invalid(
            "`acr` and `amr` must be short printable values, at most 8 `amr`".into(),
        ));
    }
    if report.auth_time > now.saturating_add(CLOCK_SKEW_SECS) {
        return Err(ApiError::Invalid("`auth_time` is in the future".into()));
    }
    let request = load(op, app, &report.request_ref, now).await?;
    if report.sub != request.account_id {
        return Err(ApiError::Invalid(
            "`sub` is not the customer the request's hint identified (CIBA Core §7.1)".into(),
        ));
    }
    if request.status != CibaStatus::Pending {
        return Err(ApiError::AlreadyDecided);
    }
    // A request that needs SCA (a payment, or `acr_values` demanding it)
    // is never approved on less: PSD2 RTS Art. 4. The app denies instead
    // (the client hears `access_denied`, CIBA Core §11).
    if report.approve {
        let consent = consent_of(op, &request, now).await?;
        let required =
            sca_requirement(op, &request, consent.as_ref()) == crate::oauth::sca::Requirement::Required;
        if required && report.acr.as_deref() != Some(crate::protocol::acr::SCA) {
            return Err(ApiError::Invalid(format!(
                "this request needs strong customer authentication: approve with `acr` {} or deny",
                crate::protocol::acr::SCA
            )));
        }
    }
    let decision = match report.approve {
        true => Decision::Approved(DeviceAuthentication {
            acr: report.acr,
            amr: report.amr,
            auth_time: report.auth_time,
        }),
        false => Decision::Denied,
    };
    let key = id_key(&report.request_ref).ok_or(ApiError::NotFound)?;
    let decided = decision::record(op, ciba, &key, &report.sub, decision, Decider::App(&app.id))
        .await
        .map_err(|failure| match failure {
            DecisionFailure::NotFound | DecisionFailure::Unauthorized => ApiError::NotFound,
            DecisionFailure::AlreadyDecided => ApiError::AlreadyDecided,
            DecisionFailure::Malformed(detail) => ApiError::Invalid(detail.to_string()),
            DecisionFailure::Unavailable => ApiError::Unavailable,
        })?;
    let status = match decided.status {
        CibaStatus::Approved(_) => "approved",
        _ => "denied",
    };
    Ok(json!({"status": status}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::keys::Kind;

    /// A `request_ref` is the base64url SHA-256 the store keys the request
    /// by: the key of its `auth_req_id`, and nothing else decodes.
    #[test]
    fn a_request_ref_is_the_store_key_of_the_auth_req_id() {
        let auth_req_id = "q0s8VQ9b3oJm6b8u1m3tq0s8VQ9b3oJm6b8u1m3tq0s";
        let key = Kind::BackchannelAuthenticationRequest.id_key(auth_req_id);
        let request_ref = URL_SAFE_NO_PAD.encode(&key);
        assert_eq!(id_key(&request_ref), Some(key));
        // The auth_req_id is also 32 bytes of base64url, but not its own
        // key: presented as a ref, it names no request.
        assert_ne!(
            id_key(auth_req_id),
            Some(Kind::BackchannelAuthenticationRequest.id_key(auth_req_id))
        );
        assert_eq!(id_key("not base64!"), None);
        assert_eq!(id_key(&URL_SAFE_NO_PAD.encode([0u8; 16])), None);
    }
}
