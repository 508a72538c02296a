//! Withdrawing a consent: its status becomes `Revoked` (UK OBIE Account and
//! Transaction API v3.1, "Account Access Consents": a consent withdrawn by
//! the TPP's DELETE or by the PSU at the ASPSP is `Revoked`; the state
//! machine in `state.rs` allows it from `AwaitingAuthorisation` and
//! `Authorised` only) and every token of the grant it was authorised under
//! dies with it (`Repo::revoke_by_grant_id`). One rule for both callers:
//! the consent API's DELETE (`http/endpoints/consents.rs`, the client as
//! actor) and the customer's dashboard and the bank app's JSON form of it
//! (`oauth/customer_grants.rs`, the customer as actor).

use super::error::ObieError;
use super::state::ConsentEvent;
use super::{Consent, Lifetimes, apply_by};
use crate::store::audit::Actor;
use crate::store::repo::{GrantRevocation, Repo};

/// Moves consent `id` of `client_id` to `Revoked` for `actor` (one
/// transaction, with its audit record), then revokes what its grant
/// issued. A consent the state machine does not let go to `Revoked` is
/// refused (`UK.OBIE.Resource.InvalidConsentStatus`) and nothing is
/// revoked.
pub async fn withdraw(
    repo: &Repo,
    (id, client_id): (&str, &str),
    actor: Actor,
    (now, lifetimes): (u64, Lifetimes),
    revocation: GrantRevocation,
) -> Result<Consent, ObieError> {
    let revoked = apply_by(
        repo,
        (id, client_id),
        actor,
        ConsentEvent::Revoke,
        (now, lifetimes),
        |_| {},
    )
    .await?;
    if let Some(grant_id) = &revoked.grant_id {
        // Its tokens stop working with it.
        repo.revoke_by_grant_id(grant_id, revocation)
            .await
            .map_err(|_| ObieError::unavailable())?;
    }
    Ok(revoked)
}
