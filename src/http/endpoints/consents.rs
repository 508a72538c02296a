//! The consent API (UK OBIE Read/Write API v3.1): `POST
//! /open-banking/v3.1/pisp/domestic-payment-consents` (scope `payments`),
//! `POST /open-banking/v3.1/aisp/account-access-consents` (scope
//! `accounts`), `GET .../{ConsentId}` for both, and `DELETE` of an account
//! access consent. The caller presents a sender-constrained access token of
//! the OP (`oauth::protected_resource`), usually from client_credentials; a
//! consent is only ever visible to the client that created it.

use crate::consent::error::ObieError;
use crate::consent::state::ConsentStatus;
use crate::consent::{self, Consent, ConsentKind, obie};
use crate::http::response;
use crate::model::records::AccessToken;
use crate::oauth::caller::Caller;
use crate::oauth::op::OpState;
use crate::oauth::protected_resource;
use crate::protocol::paths;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use serde_json::{Map, Value, json};

/// Longest `x-idempotency-key` (OBIE v3.1 "Request Headers": Max40Text).
const MAX_IDEMPOTENCY_KEY: usize = 40;

/// Longest consent id looked up.
const MAX_CONSENT_ID: usize = 64;

/// Which consent resource a request is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// Domestic payment consents.
    DomesticPayment,
    /// Account access consents.
    AccountAccess,
}

impl Resource {
    fn collection(self) -> &'static str {
        match self {
            Self::DomesticPayment => paths::PAYMENT_CONSENTS,
            Self::AccountAccess => paths::ACCOUNT_ACCESS_CONSENTS,
        }
    }
    fn scope(self) -> &'static str {
        match self {
            Self::DomesticPayment => "payments",
            Self::AccountAccess => "accounts",
        }
    }
    fn id_prefix(self) -> &'static str {
        match self {
            Self::DomesticPayment => "pdc-",
            Self::AccountAccess => "aac-",
        }
    }
}

/// Handles a request to `resource` (`path` is relative to the issuer).
pub async fn handle(
    op: &OpState,
    request: &Request<Bytes>,
    caller: &Caller,
    resource: Resource,
    path: &str,
) -> Response<Bytes> {
    let (token, scheme) = match protected_resource::presented_token(op, caller, path).await {
        Ok(found) => found,
        Err(refusal) => return response::refusal(refusal),
    };
    // FAPI 1.0 Part 1 §6.2.2: the customer-presence headers, well formed.
    if let Err(malformed) = crate::http::fapi_headers::customer_presence(request.headers()) {
        let name = crate::http::fapi_headers::header_name(malformed);
        let error = ObieError::header(name, false, &malformed.to_string());
        return obie_error(&error, &caller.interaction_id);
    }
    // The client's request budget, as at PAR and the token endpoint: one
    // client's burst of consents cannot crowd out the others (RFC 6585 §4).
    if let Err(limited) = op.services.clients.get_charged(&token.client_id).await {
        return over_budget(limited.0, &caller.interaction_id);
    }
    // RFC 6750 §3.1: a token without the resource's scope is 403 insufficient_scope.
    if !token.scopes.iter().any(|s| s == resource.scope()) {
        let error = crate::protocol::error::OAuthError::new(
            crate::protocol::error::ErrorCode::InsufficientScope,
            format!("this API needs the `{}` scope", resource.scope()),
        );
        return response::refusal((scheme, error));
    }
    let consent_id = path
        .strip_prefix(resource.collection())
        .and_then(|rest| rest.strip_prefix('/'));
    // Ids are 26 characters; a longer one names nothing (and never reaches
    // the store's key size limit).
    if consent_id.is_some_and(|id| id.len() > MAX_CONSENT_ID) {
        return obie_error(&ObieError::not_found(), &caller.interaction_id);
    }
    let result = match (request.method(), consent_id) {
        (&Method::POST, None) => create(op, request, &token, resource).await,
        (&Method::GET, Some(id)) => read(op, &token, resource, id).await,
        (&Method::DELETE, Some(id)) if resource == Resource::AccountAccess => revoke(op, &token, id).await,
        _ => Err(ObieError {
            status: StatusCode::METHOD_NOT_ALLOWED,
            code: "UK.OBIE.NotSupported",
            message: "method not allowed on this resource".into(),
            path: None,
        }),
    };
    result.unwrap_or_else(|error| obie_error(&error, &caller.interaction_id))
}

async fn create(
    op: &OpState,
    request: &Request<Bytes>,
    token: &AccessToken,
    resource: Resource,
) -> Result<Response<Bytes>, ObieError> {
    let key = idempotency_key(request)?;
    let body: Value = serde_json::from_slice(request.body()).map_err(|_| ObieError::malformed_body())?;
    if !body.is_object() {
        return Err(ObieError::malformed_body());
    }
    let now = op.now();
    let kind = match resource {
        Resource::DomesticPayment => {
            ConsentKind::DomesticPayment(Box::new(obie::parse_domestic_payment(&body)?))
        }
        Resource::AccountAccess => {
            let access = obie::parse_account_access(&body)?;
            // An expiration already past, or a reversed transaction range,
            // could never be used (`consent::dates`).
            access.check_dates(now)?;
            ConsentKind::AccountAccess(access)
        }
    };
    let id = consent::consent_id(resource.id_prefix(), &token.client_id, &key);
    let consent = Consent {
        consent_id: id.clone(),
        client_id: token.client_id.clone(),
        kind,
        status: ConsentStatus::AwaitingAuthorisation,
        created_at: now,
        status_updated_at: now,
        risk: body["Risk"].to_string(),
        request_digest: consent::request_digest(&body),
        account_id: None,
        grant_id: None,
    };
    let lifetimes = consent::Lifetimes::from(&op.config.get().consents);
    let (stored, created) = consent::create(&op.services.repo, &id, &consent, lifetimes, now).await?;
    if created {
        tracing::info!(target: "fiducia::audit", operation = "consent.create", consent_id = %id, client_id = %token.client_id, "consent created");
    }
    Ok(rendered(op, resource, &id, &stored, StatusCode::CREATED))
}

async fn read(
    op: &OpState,
    token: &AccessToken,
    resource: Resource,
    id: &str,
) -> Result<Response<Bytes>, ObieError> {
    let consent = consent::find_for_client(&op.services.repo, id, &token.client_id, op.now()).await?;
    let same_resource = matches!(
        (&consent.kind, resource),
        (ConsentKind::DomesticPayment(_), Resource::DomesticPayment)
            | (ConsentKind::AccountAccess(_), Resource::AccountAccess)
    );
    if !same_resource {
        return Err(ObieError::not_found());
    }
    Ok(rendered(op, resource, id, &consent, StatusCode::OK))
}

/// OBIE Account and Transaction API v3.1: DELETE withdraws the consent
/// (status Revoked); 204.
async fn revoke(op: &OpState, token: &AccessToken, id: &str) -> Result<Response<Bytes>, ObieError> {
    let existing = consent::find_for_client(&op.services.repo, id, &token.client_id, op.now()).await?;
    if !matches!(existing.kind, ConsentKind::AccountAccess(_)) {
        return Err(ObieError::not_found());
    }
    // The rule the customer's dashboard shares (`consent/withdraw.rs`).
    consent::withdraw::withdraw(
        &op.services.repo,
        (id, &token.client_id),
        crate::store::audit::Actor::Client(token.client_id.clone()),
        (op.now(), consent::Lifetimes::from(&op.config.get().consents)),
        crate::oauth::tokens::grant_revocation(
            op,
            op.now(),
            crate::store::repo::RevocationCause::ConsentRevoked,
        ),
    )
    .await?;
    tracing::info!(target: "fiducia::audit", operation = "consent.revoke", consent_id = %id, client_id = %token.client_id, "consent revoked");
    let mut response = Response::new(Bytes::new());
    *response.status_mut() = StatusCode::NO_CONTENT;
    Ok(response)
}

/// `x-idempotency-key`, required on every POST (OBIE Read/Write API v3.1
/// "Request Headers": mandatory for POST; "Idempotency"): the consent id is
/// derived from it, so a retry finds its consent instead of writing another
/// one. Missing is `UK.OBIE.Header.Missing`; more than one, or not 1 to 40
/// printable ASCII characters (Max40Text), `UK.OBIE.Header.Invalid`.
fn idempotency_key(request: &Request<Bytes>) -> Result<String, ObieError> {
    const NAME: &str = "x-idempotency-key";
    let mut values = request.headers().get_all(NAME).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return Err(ObieError::header(
            NAME,
            request.headers().get(NAME).is_none(),
            "exactly one x-idempotency-key is required",
        ));
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| {
            !k.is_empty() && k.len() <= MAX_IDEMPOTENCY_KEY && k.bytes().all(|b| b.is_ascii_graphic())
        })
        .ok_or_else(|| {
            ObieError::header(
                NAME,
                false,
                "x-idempotency-key must be 1 to 40 printable characters",
            )
        })?;
    Ok(key.to_string())
}

/// The response for `error` (OBIE v3.1 "Error Response Structure").
fn obie_error(error: &ObieError, interaction_id: &str) -> Response<Bytes> {
    response::json(error.status, Bytes::from(error.body(interaction_id).to_string()))
}

/// 429 with `Retry-After` (RFC 6585 §4; OBIE v3.1 "HTTP Status Codes":
/// the TPP exceeded its request quota) in the OBIE error shape.
fn over_budget(retry_after: u64, interaction_id: &str) -> Response<Bytes> {
    let error = ObieError {
        status: StatusCode::TOO_MANY_REQUESTS,
        code: "UK.OBIE.UnexpectedError",
        message: format!("too many requests from this client; retry in {retry_after} s"),
        path: None,
    };
    let mut response = obie_error(&error, interaction_id);
    response
        .headers_mut()
        .insert(http::header::RETRY_AFTER, http::HeaderValue::from(retry_after));
    response
}

fn rendered(
    op: &OpState,
    resource: Resource,
    id: &str,
    consent: &Consent,
    status: StatusCode,
) -> Response<Bytes> {
    let mut data = Map::new();
    data.insert("ConsentId".into(), json!(id));
    data.insert("Status".into(), json!(consent.status.as_str()));
    data.insert("CreationDateTime".into(), json!(date_time(consent.created_at)));
    data.insert(
        "StatusUpdateDateTime".into(),
        json!(date_time(consent.status_updated_at)),
    );
    match &consent.kind {
        ConsentKind::DomesticPayment(payment) => {
            data.insert("Initiation".into(), obie::domestic_payment_json(payment));
        }
        ConsentKind::AccountAccess(access) => obie::account_access_json(access, &mut data),
    }
    let risk: Value = serde_json::from_str(&consent.risk).unwrap_or_else(|_| json!({}));
    let self_link = format!("{}{}/{id}", op.config.issuer(), resource.collection());
    let body = json!({"Data": data, "Risk": risk, "Links": {"Self": self_link}, "Meta": {}});
    crate::http::response::json(status, Bytes::from(body.to_string()))
}

/// RFC 3339 in UTC, as OBIE's ISODateTime.
fn date_time(unix: u64) -> String {
    i64::try_from(unix)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}
