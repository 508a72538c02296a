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
//! A request that names a UK OBIE consent (`openbanking_intent_id`) cannot
//! also merge or replace: the consent is then the grant's record of what
//! was authorised (`consent::decision`), one consent per grant, and a
//! second consent folded into a grant would leave the first one's status
//! describing permissions it no longer bounds.

use crate::model::Client;
use crate::model::grant_update::PendingGrantUpdate;
use crate::model::records::Grant;
use crate::oauth::op::OpState;
use crate::protocol::authorization_params::AuthorizationParams;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::grant_management::{self, ACTION_PARAM, GRANT_ID_PARAM, GrantRequest};
use crate::store::repo::{ops, revoked};

/// The change of an existing grant `params` ask for (`None`: a fresh
/// grant), by `client`; `names_intent` when the request names an OBIE
/// consent.
pub async fn checked(
    op: &OpState,
    client: &Client,
    params: &AuthorizationParams,
    names_intent: bool,
) -> Result<Option<PendingGrantUpdate>, OAuthError> {
    let required = op.config.get().grant_management.action_required;
    let asked = grant_management::parse(params.get(ACTION_PARAM), params.get(GRANT_ID_PARAM), required)?;
    let GrantRequest::Update { update, grant_id } = asked else {
        return Ok(None);
    };
    if names_intent {
        return Err(OAuthError::invalid_request(
            "a request naming an openbanking_intent_id cannot merge or replace a grant: the consent is its own grant",
        ));
    }
    let now = op.now();
    let id = grant_id.as_str();
    let owner = op
        .services
        .repo
        .store()
        .run(|tx, _| async move {
            if revoked::is_revoked(&tx, id, now).await? {
                return Ok(None);
            }
            Ok(ops::find::<Grant>(&tx, id, now).await?.map(|found| found.payload.client_id))
        })
        .await
        .map_err(|_| OAuthError::bare(ErrorCode::TemporarilyUnavailable))?;
    if owner.as_deref() != Some(client.client_id.as_str()) {
        return Err(unknown_grant());
    }
    Ok(Some(PendingGrantUpdate { update, grant_id }))
}

/// §5.4 `invalid_grant_id`, worded the same for every cause.
pub fn unknown_grant() -> OAuthError {
    OAuthError::new(
        ErrorCode::InvalidGrantId,
        "grant_id names no live grant of this client (Grant Management §5.4)",
    )
}
