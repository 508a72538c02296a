//! The bank API's requests: who may call (only the gateway, by its client
//! certificate), the trusted headers it must set, and the routes.
//!
//! | route | needs |
//! |---|---|
//! | `GET /open-banking/v3.1/aisp/accounts[/{AccountId}[/balances\|/transactions]]` | scope `accounts`, a customer, within the token's consent (`bounds`) |
//! | `POST /open-banking/v3.1/pisp/domestic-payments` | scope `payments`, a customer, `x-idempotency-key`, the token's `payment_initiation` detail or OBIE consent (`gateway::payment`), `x-fiducia-consent-id` (and `Data.ConsentId` equal to it under an OBIE consent); paid from the consented debtor account |
//! | `GET /open-banking/v3.1/pisp/domestic-payments/{DomesticPaymentId}` | scope `payments`, the submitting client |

use super::accounts;
use super::bounds::{self, ReadBounds, Resource};
use super::gateway_identity::GatewayIdentity;
use super::ledger::Ledger;
use super::payment::{PaymentOrder, Refused};
use super::response::{Denied, error, json_response};
use crate::clock::Clock;
use crate::gateway::trusted_headers::{
    X_AUTHORIZATION_DETAILS, X_CLIENT_ID, X_CONSENT_ID, X_CUSTOMER, X_OPENBANKING_CONSENT, X_SCOPE,
};
use crate::http::context::{Handler, HandlerFuture, RequestContext, RouteLabel};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use serde_json::Value;
use std::sync::Arc;

/// Account and Transaction API base path.
pub const AISP: &str = "/open-banking/v3.1/aisp";
/// Payment Initiation API domestic payments.
pub const DOMESTIC_PAYMENTS: &str = "/open-banking/v3.1/pisp/domestic-payments";

/// The request handler.
pub struct BankApi {
    pub(super) ledger: Arc<Ledger>,
    pub(super) gateway: GatewayIdentity,
    pub(super) public_base: String,
    pub(super) clock: Arc<dyn Clock>,
}

/// What the gateway vouched for.
pub struct Caller {
    /// `x-fiducia-client-id`.
    pub client_id: String,
    /// `x-fiducia-customer`.
    pub customer: Option<String>,
    scopes: Vec<String>,
    authorization_details: Option<Value>,
    /// `x-fiducia-openbanking-consent`: the UK OBIE consent of the token.
    openbanking_consent: Option<Value>,
    /// `x-fiducia-consent-id`: the consent a payment uses up.
    consent_id: Option<String>,
}

impl Caller {
    /// What the token's consent lets it read at `now` (`bounds`).
    fn read_bounds(&self, now: u64) -> Result<ReadBounds, Denied> {
        ReadBounds::from_token(
            self.authorization_details.as_ref(),
            self.openbanking_consent.as_ref(),
            now,
        )
    }

    fn customer(&self) -> Result<&str, Denied> {
        self.customer.as_deref().ok_or_else(|| {
            error(
                StatusCode::FORBIDDEN,
                "UK.OBIE.Resource.ConsentMismatch",
                "the token has no customer",
            )
        })
    }

    fn needs(&self, scope: &str) -> Result<(), Denied> {
        match self.scopes.iter().any(|s| s == scope) {
            true => Ok(()),
            false => Err(error(
                StatusCode::FORBIDDEN,
                "UK.OBIE.Resource.ConsentMismatch",
                &format!("the token lacks the scope `{scope}`"),
            )),
        }
    }
}

impl Handler for BankApi {
    fn handle<'a>(&'a self, request: Request<Bytes>, context: &'a RequestContext) -> HandlerFuture<'a> {
        Box::pin(async move {
            let mut response = match self.route(request, context).await {
                Ok(response) => response,
                Err(denied) => denied.response(),
            };
            response.extensions_mut().insert(RouteLabel("bank"));
            response
        })
    }
}

impl BankApi {
    async fn route(
        &self,
        request: Request<Bytes>,
        context: &RequestContext,
    ) -> Result<Response<Bytes>, Denied> {
        // The trusted headers mean something only on the gateway's own connection.
        let gateway = context
            .client_cert
            .as_ref()
            .filter(|c| c.chain_verified() && self.gateway.admits(c.leaf().as_ref(), c.x5t_s256()));
        if gateway.is_none() {
            return Err(error(
                StatusCode::FORBIDDEN,
                "UK.OBIE.Header.Invalid",
                "only the API gateway may call the bank API",
            ));
        }
        let caller = trusted_headers(request.headers())?;
        let path = request.uri().path().trim_end_matches('/').to_string();
        let method = request.method().clone();
        if let Some(rest) = path.strip_prefix(AISP) {
            if method != Method::GET {
                return Err(not_found());
            }
            caller.needs("accounts")?;
            let resource = Resource::parse(rest).ok_or_else(not_found)?;
            // RFC 9396 §9 / OBIE "Permissions": the resource server
            // enforces what the customer approved.
            let bounds = caller.read_bounds(self.clock.now_unix())?;
            bounds.permits(resource)?;
            let customer = caller.customer()?;
            let ledger = self.ledger.snapshot();
            let self_url = format!("{}{path}", self.public_base);
            return accounts::read(&ledger, customer, resource, &bounds, &self_url).ok_or_else(not_found)?;
        }
        if path == DOMESTIC_PAYMENTS && method == Method::POST {
            caller.needs("payments")?;
            return self.submit(request, &caller).await;
        }
        if let Some(id) = path
            .strip_prefix(DOMESTIC_PAYMENTS)
            .and_then(|r| r.strip_prefix('/'))
            && method == Method::GET
        {
            caller.needs("payments")?;
            let ledger = self.ledger.snapshot();
            let record = ledger
                .payments
                .get(id)
                .filter(|p| p.client_id == caller.client_id)
                .ok_or_else(not_found)?;
            let url = format!("{}{DOMESTIC_PAYMENTS}/{id}", self.public_base);
            return Ok(json_response(StatusCode::OK, &record.response(&url)));
        }
        Err(not_found())
    }

    async fn submit(&self, request: Request<Bytes>, caller: &Caller) -> Result<Response<Bytes>, Denied> {
        let customer = caller.customer()?.to_string();
        let key = request
            .headers()
            .get("x-idempotency-key")
            .and_then(|v| v.to_str().ok())
            .filter(|k| !k.is_empty() && k.len() <= 40)
            .ok_or_else(|| {
                error(
                    StatusCode::BAD_REQUEST,
                    "UK.OBIE.Header.Missing",
                    "x-idempotency-key (1 to 40 characters) is required",
                )
            })?
            .to_string();
        // The gateway checked this already; the bank does not take its word
        // for the consent it cannot see (RFC 9396 §2 `payment_initiation`;
        // OBIE "Domestic Payments": the Initiation is the consent's).
        let now = self.clock.now_unix();
        bounds::consent_current(caller.openbanking_consent.as_ref(), now)?;
        let consented = crate::gateway::payment::check_payment(
            request.body(),
            caller.authorization_details.as_ref(),
            caller.openbanking_consent.as_ref(),
        )
        .map_err(|refusal| refused(&Refused::ConsentMismatch(refusal.to_string())))?;
        let mut order = PaymentOrder::parse(request.body(), &caller.client_id, &customer, &key)
            .map_err(|r| refused(&r))?;
        // The consent the gateway had the OP reserve for this payment is
        // the one used up; without it the payment was not vouched for.
        let vouched = caller.consent_id.as_deref().ok_or_else(|| {
            error(
                StatusCode::BAD_REQUEST,
                "UK.OBIE.Header.Missing",
                &format!("{X_CONSENT_ID} is missing: submit payments through the API gateway"),
            )
        })?;
        order
            .bind_consent(vouched, caller.openbanking_consent.is_some())
            .map_err(|r| refused(&r))?;
        // RFC 9396 §9 / OBIE "Domestic Payment Consents": the account the
        // customer approved paying from (named in the consent, or chosen at
        // the bank) is the one debited when the body leaves it out; a named
        // one was checked to be it. Never another of the customer's.
        if order.debtor.is_none()
            && let Some(debtor) = consented.debtor
        {
            order.debtor = Some(super::payment::AccountRef {
                scheme_name: debtor.scheme_name,
                identification: debtor.identification,
                name: None,
            });
        }
        // The remittance text the customer approved, when the body left it
        // out (RFC 9396 `remittanceInformationUnstructured`).
        if let Some(remittance) = consented.remittance
            && !order.remittance_sent()
        {
            order.reference = remittance;
        }
        let ledger = self.ledger.clone();
        let booked = tokio::task::spawn_blocking(move || ledger.pay(&order, now))
            .await
            .map_err(|_| refused(&Refused::Storage))?;
        let (record, created) = booked.map_err(|r| refused(&r))?;
        if created {
            tracing::info!(
                payment_id = %record.payment_id,
                consent_id = %record.consent_id,
                client_id = %record.client_id,
                "bank API: payment booked; its consent is used"
            );
        }
        let url = format!("{}{DOMESTIC_PAYMENTS}/{}", self.public_base, record.payment_id);
        Ok(json_response(StatusCode::CREATED, &record.response(&url)))
    }
}

/// The gateway's headers; a call without them was not vouched for.
fn trusted_headers(headers: &http::HeaderMap) -> Result<Caller, Denied> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let missing = |name: &str| {
        error(
            StatusCode::BAD_REQUEST,
            "UK.OBIE.Header.Missing",
            &format!("{name} is missing: call through the API gateway"),
        )
    };
    let client_id = text(X_CLIENT_ID)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| missing(X_CLIENT_ID))?;
    let scopes = text(X_SCOPE).ok_or_else(|| missing(X_SCOPE))?;
    let encoded_json = |name: &str| match text(name) {
        None => Ok(None),
        Some(encoded) => URL_SAFE_NO_PAD
            .decode(encoded.as_bytes())
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
            .map(Some)
            .ok_or_else(|| {
                error(
                    StatusCode::BAD_REQUEST,
                    "UK.OBIE.Header.Invalid",
                    &format!("{name} is not base64url JSON"),
                )
            }),
    };
    let authorization_details = encoded_json(X_AUTHORIZATION_DETAILS)?;
    let openbanking_consent = encoded_json(X_OPENBANKING_CONSENT)?;
    Ok(Caller {
        client_id,
        customer: text(X_CUSTOMER).filter(|c| !c.is_empty()),
        scopes: scopes
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        authorization_details,
        openbanking_consent,
        consent_id: text(X_CONSENT_ID).filter(|c| !c.is_empty()),
    })
}

fn not_found() -> Denied {
    error(
        StatusCode::NOT_FOUND,
        "UK.OBIE.Resource.NotFound",
        "no such resource",
    )
}

fn refused(refusal: &Refused) -> Denied {
    let (status, code) = refusal.status_and_code();
    error(status, code, &refusal.to_string())
}
