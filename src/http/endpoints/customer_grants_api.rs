//! The consent dashboard in JSON for the bank's own apps, on the
//! interaction API (`interaction_api.rs`: the same callers, credentials,
//! budget and RFC 9457 problem documents):
//!
//! - `GET /interaction-api/customers/{account_id}/grants` (the app's
//!   certificate, RFC 8705 §2.1), or `POST` of the same path with a JSON
//!   body (`{}`, or the RFC 7523 client assertion as its members): the
//!   customer's live grants, at most `customer_grants::MAX_LISTED`, and
//!   `more` when there are others;
//! - `POST /interaction-api/customers/{account_id}/grants/{grant_id}/revoke`
//!   (a JSON body as above): withdraws the grant as the customer would on
//!   the dashboard (`oauth::customer_grants::revoke`); its tokens are dead
//!   when the answer comes.
//!
//! Refusals: 404 `unknown-customer` (no enabled customer has the id), 404
//! `unknown-grant` (no grant of this customer has the id: unknown, expired,
//! revoked or another customer's alike), 503 `unavailable`, and the
//! interaction API's own (401, 403, 413, 415, 429).

use super::interaction_api::{BodyRefusal, body_object, calling_app, json_response, problem};
use crate::oauth::caller::Caller;
use crate::oauth::customer_grants::{self, Channel, GrantSummary, RevokeError};
use crate::oauth::op::OpState;
use bytes::Bytes;
use http::header::HeaderValue;
use http::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};

/// What a route names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// A customer's grants.
    Grants {
        /// The customer.
        account_id: &'a str,
    },
    /// One grant of theirs, to revoke.
    Revoke {
        /// The customer.
        account_id: &'a str,
        /// The grant.
        grant_id: &'a str,
    },
}

/// The customer (and grant) a path relative to the issuer names, if it is
/// one of this file's.
pub fn target(path: &str) -> Option<Target<'_>> {
    let rest = path.strip_prefix("/interaction-api/customers/")?;
    let segments: Vec<&str> = rest.split('/').collect();
    match segments.as_slice() {
        [account_id, "grants"] if !account_id.is_empty() => Some(Target::Grants { account_id }),
        [account_id, "grants", grant_id, "revoke"] if !account_id.is_empty() && !grant_id.is_empty() => {
            Some(Target::Revoke { account_id, grant_id })
        }
        _ => None,
    }
}

/// Handles one call (see the module).
pub async fn handle(op: &OpState, request: &Request<Bytes>, caller: &Caller, path: &str) -> Response<Bytes> {
    let Some(target) = target(path) else {
        return problem(StatusCode::NOT_FOUND, "not-found", "no such resource");
    };
    let servers = op
        .services
        .sections
        .get::<crate::oauth::live_sections::ResourceServers>();
    // A GET has no body: the certificate is its credential.
    let assertion = match request.method() == Method::GET {
        true => None,
        false => match body_object(request) {
            Ok((_, assertion)) => assertion,
            Err(refused) => return BodyRefusal::response(&refused),
        },
    };
    let app = match calling_app(op, &servers, caller, assertion, path).await {
        Ok(app) => app,
        Err(refused) => return refused,
    };
    let now = op.now();
    let account_id = match target {
        Target::Grants { account_id } | Target::Revoke { account_id, .. } => account_id,
    };
    match op.services.users.find_by_account_id(account_id, now).await {
        Ok(Some(_)) => {}
        Ok(None) => {
            return problem(
                StatusCode::NOT_FOUND,
                "unknown-customer",
                "no enabled customer has this account id",
            );
        }
        Err(_) => return unavailable(),
    }
    match target {
        Target::Grants { account_id } => match customer_grants::list(op, account_id, now).await {
            Ok(listing) => {
                let grants: Vec<Value> = listing.grants.iter().map(grant_json).collect();
                let body = json!({
                    "account_id": account_id,
                    "grants": grants,
                    "more": listing.more,
                    "limit": customer_grants::MAX_LISTED,
                });
                json_response(StatusCode::OK, &body, "application/json")
            }
            Err(_) => unavailable(),
        },
        Target::Revoke { account_id, grant_id } => {
            match customer_grants::revoke(op, account_id, grant_id, Channel::App(&app.id), now).await {
                Ok(revoked) => {
                    let consent = revoked
                        .consent
                        .map(|(id, status)| json!({"consent_id": id, "status": status.as_str()}));
                    let body = json!({
                        "grant_id": revoked.grant_id,
                        "client_id": revoked.client_id,
                        "revoked": true,
                        "consent": consent,
                    });
                    json_response(StatusCode::OK, &body, "application/json")
                }
                Err(RevokeError::NotFound) => problem(
                    StatusCode::NOT_FOUND,
                    "unknown-grant",
                    "no live grant of this customer has this id",
                ),
                Err(RevokeError::Unavailable) => unavailable(),
            }
        }
    }
}

/// One grant as JSON: times in Unix seconds, the consent's id, type and
/// OBIE status, the consented details as label and value.
fn grant_json(grant: &GrantSummary) -> Value {
    let consent = grant.consent.as_ref().map(|c| {
        let kind = match c.kind {
            crate::consent::ConsentKind::DomesticPayment(_) => "domestic_payment",
            crate::consent::ConsentKind::AccountAccess(_) => "account_access",
        };
        json!({"consent_id": c.consent_id, "type": kind, "status": c.status.as_str()})
    });
    let details: Vec<Value> = grant
        .details
        .iter()
        .map(|(label, value)| json!({"label": label, "value": value}))
        .collect();
    json!({
        "grant_id": grant.grant_id,
        "client_id": grant.client_id,
        "client_name": grant.client_name,
        "scopes": grant.scopes,
        "granted_at": grant.granted_at,
        "expires_at": grant.expires_at,
        "last_used_at": grant.last_used_at,
        "consent": consent,
        "details": details,
        "accounts": grant.accounts,
    })
}

fn unavailable() -> Response<Bytes> {
    let mut response = problem(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "try again");
    response
        .headers_mut()
        .insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_one_customer_and_grant() {
        assert_eq!(
            target("/interaction-api/customers/acc-1/grants"),
            Some(Target::Grants { account_id: "acc-1" })
        );
        assert_eq!(
            target("/interaction-api/customers/acc-1/grants/g-1/revoke"),
            Some(Target::Revoke {
                account_id: "acc-1",
                grant_id: "g-1"
            })
        );
        for other in [
            "/interaction-api/customers//grants",
            "/interaction-api/customers/acc-1/grants/",
            "/interaction-api/customers/acc-1/grants//revoke",
            "/interaction-api/customers/acc-1/grants/g/revoke/x",
            "/interaction-api/read",
        ] {
            assert_eq!(target(other), None, "{other}");
        }
    }
}
