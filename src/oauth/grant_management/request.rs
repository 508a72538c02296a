//! Grant Management §5.2 / §5.4 at PAR (and for a request object by value
//! at the authorization endpoint): what the request asks of grant
//! management, with the named grant checked against the store.
//!
//! A `merge` or `replace` must name a grant that exists, is not revoked
//! (`store/repo/revoked.rs`) and belongs to the requesting client;
//! anything else is `invalid_grant_id`, the same answer for an unknown and
//! for another client's grant, so that a client learns nothing of grants
//! that are not its own (§5.4, §9). Whether the customer who logs in is
//! the grant's is known only then (`super::apply`).
//!
//! Two kinds of grant are their own consent and are never merged or
//! replaced (`invalid_request`), whether the existing grant or the new
//! request is of the kind:
//!
//! - a grant made on a UK OBIE consent (`openbanking_intent_id`): the
//!   consent is the record of what was authorised (`consent::decision`),
//!   one consent per grant; folded into another grant, its status would
//!   bound (or stop bounding) permissions it never described;
//! - a grant with an RFC 9396 `payment_initiation` detail: it authorises
//!   one payment and everything issued under it is revoked once the payment
//!   is made (`oauth::payment_consumption`); merged with account access,
//!   that access would die with the payment, and a payment replaced under a
//!   reservation would no longer be the one reserved.

use crate::model::Client;
use crate::model::grant_update::PendingGrantUpdate;
use crate::model::records::Grant;
use crate::oauth::op::OpState;
use crate::oauth::payment_consumption::carries_payment;
use crate::protocol::authorization_params::AuthorizationParams;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::grant_management::{self, ACTION_PARAM, GRANT_ID_PARAM, GrantRequest};
use crate::store::repo::{ops, revoked};

/// What else the request asks that decides whether it may change a grant.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    /// It names a UK OBIE consent (`openbanking_intent_id`).
    pub names_intent: bool,
    /// Its checked RFC 9396 `authorization_details`, as JSON text.
    pub details: Option<&'a str>,
}

/// The change of an existing grant `params` ask for (`None`: a fresh
/// grant), by `client`.
pub async fn checked(
    op: &OpState,
    client: &Client,
    params: &AuthorizationParams,
    asked: Asked<'_>,
) -> Result<Option<PendingGrantUpdate>, OAuthError> {
    let required = op.config.get().grant_management.action_required;
    let parsed = grant_management::parse(params.get(ACTION_PARAM), params.get(GRANT_ID_PARAM), required)?;
    let GrantRequest::Update { update, grant_id } = parsed else {
        return Ok(None);
    };
    if asked.names_intent || carries_payment(asked.details) {
        return Err(own_consent());
    }
    let now = op.now();
    let id = grant_id.as_str();
    let repo = &op.services.repo;
    let unavailable = |_| OAuthError::bare(ErrorCode::TemporarilyUnavailable);
    let grant = repo
        .store()
        .run(|tx, _| async move {
            if revoked::is_revoked(&tx, id, now).await? {
                return Ok(None);
            }
            Ok(ops::find::<Grant>(&tx, id, now).await?.map(|found| found.payload))
        })
        .await
        .map_err(unavailable)?;
    let grant = match grant {
        Some(grant) if grant.client_id == client.client_id => grant,
        _ => return Err(unknown_grant()),
    };
    if carries_payment(grant.authorization_details.as_deref())
        || crate::consent::of_grant(repo, id, now)
            .await
            .map_err(unavailable)?
            .is_some()
    {
        return Err(own_consent());
    }
    Ok(Some(PendingGrantUpdate { update, grant_id }))
}

/// A payment or OBIE consent grant on either side (module documentation).
fn own_consent() -> OAuthError {
    OAuthError::invalid_request(
        "a grant made on a UK OBIE consent or for a payment (payment_initiation) is its own consent: it is neither merged nor replaced, nor merged into another",
    )
}

/// §5.4 `invalid_grant_id`, worded the same for every cause.
pub fn unknown_grant() -> OAuthError {
    OAuthError::new(
        ErrorCode::InvalidGrantId,
        "grant_id names no live grant of this client (Grant Management §5.4)",
    )
}
