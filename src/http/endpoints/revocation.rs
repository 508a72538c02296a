//! `POST /revoke` (RFC 7009 §2): the client authenticates (401 otherwise,
//! RFC 7009 §2.1 with FAPI 2.0 §5.3.2.1's methods) and names a `token`,
//! optionally with `token_type_hint`. A token of another client is left
//! alone and an unknown one is ignored: both answer 200 (RFC 7009 §2.1,
//! §2.2), so the endpoint tells nobody whether a token exists.

use crate::oauth::caller::Caller;
use crate::oauth::client_auth;
use crate::oauth::op::OpState;
use crate::oauth::token_lookup::{self, PresentedToken};
use crate::protocol::error::{ErrorCode, OAuthError};
use bytes::Bytes;
use http::{Request, Response};

/// Handles a revocation request.
pub async fn post(
    op: &OpState,
    request: &Request<Bytes>,
    caller: &Caller,
) -> Result<Response<Bytes>, OAuthError> {
    let form = super::form_body(request)?;
    let client = client_auth::authenticate(op, &form, caller).await?;
    let token = form.require("token")?;
    let now = op.now();
    let unavailable = |_| OAuthError::bare(ErrorCode::TemporarilyUnavailable);
    match token_lookup::find_for_revocation(op, token, form.get("token_type_hint"), now).await? {
        // RFC 7009 §2.1: only the client the token was issued to may revoke it.
        Some(found) if found.client_id() != client.client_id => {
            tracing::info!(client_id = %client.client_id, "revocation of another client's token ignored");
        }
        Some(PresentedToken::Access(_)) => {
            // With its SHA-256 in the revocation outbox, in the same
            // transaction: the API gateways hear of it
            // (`oauth/revocation_notices/`).
            op.services
                .repo
                .revoke_access_token(token, now)
                .await
                .map_err(unavailable)?;
            tracing::info!(target: "fiducia::audit", client_id = %client.client_id, "access token revoked");
        }
        // RFC 7009 §2.1: revoking a refresh token also invalidates the
        // access tokens of its grant; here the whole grant goes, also for a
        // rotated-out one (its successor may have been issued concurrently),
        // and nothing issued concurrently survives (`store/repo/revoked.rs`).
        Some(PresentedToken::Refresh(refresh)) => {
            let revoked = op
                .services
                .repo
                .revoke_by_grant_id(
                    &refresh.grant_id,
                    crate::oauth::tokens::grant_revocation(
                        op,
                        now,
                        crate::store::repo::RevocationCause::ClientRevocation,
                    ),
                )
                .await
                .map_err(unavailable)?;
            tracing::info!(target: "fiducia::audit", client_id = %client.client_id, revoked, "refresh token revoked with its grant");
        }
        None => {}
    }
    // RFC 7009 §2.2: 200; the content of the body is ignored by the client.
    Ok(Response::new(Bytes::new()))
}
