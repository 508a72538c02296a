//! Finding a token presented to the revocation endpoint (RFC 7009 §2.1):
//! `token_type_hint` only orders the search; a token not found under the
//! hinted type is looked for under the others (RFC 7009 §2.1). Unknown
//! hints are ignored. Introspection and the payment endpoints look up
//! access tokens only ([`find_access_token`]): a refresh token is never an
//! access token (RFC 6749 §1.5), whatever the caller hints.

use crate::model::records::{AccessToken, RefreshToken};
use crate::oauth::op::OpState;
use crate::protocol::error::{ErrorCode, OAuthError};

/// A token found in the store.
#[derive(Debug)]
pub enum PresentedToken {
    /// An access token.
    Access(AccessToken),
    /// A refresh token, not rotated out.
    Refresh(RefreshToken),
}

impl PresentedToken {
    /// The client it was issued to.
    pub fn client_id(&self) -> &str {
        match self {
            PresentedToken::Access(t) => &t.client_id,
            PresentedToken::Refresh(t) => &t.client_id,
        }
    }

    /// The grant it was issued under.
    pub fn grant_id(&self) -> &str {
        match self {
            PresentedToken::Access(t) => &t.grant_id,
            PresentedToken::Refresh(t) => &t.grant_id,
        }
    }
}

/// Looks `token` up (unexpired, unrevoked, not rotated out, its grant not
/// revoked: `store/repo/revoked.rs`); `None` when there is no such token.
pub async fn find(
    op: &OpState,
    token: &str,
    hint: Option<&str>,
    now: u64,
) -> Result<Option<PresentedToken>, OAuthError> {
    if hint == Some("refresh_token") {
        if let Some(found) = find_refresh(op, token, now).await? {
            return Ok(Some(found));
        }
        return find_access(op, token, now).await;
    }
    if let Some(found) = find_access(op, token, now).await? {
        return Ok(Some(found));
    }
    find_refresh(op, token, now).await
}

/// [`find`] for revocation (RFC 7009 §2.1): a rotated-out refresh token is
/// found too. It still names its grant, and revoking it revokes the grant:
/// a client revoking the refresh token it holds while a refresh of its own
/// rotates it must not leave the grant, and the successor, alive.
pub async fn find_for_revocation(
    op: &OpState,
    token: &str,
    hint: Option<&str>,
    now: u64,
) -> Result<Option<PresentedToken>, OAuthError> {
    if let Some(found) = find(op, token, hint, now).await? {
        return Ok(Some(found));
    }
    let found = op
        .services
        .repo
        .find_under_live_grant::<RefreshToken>(token, now)
        .await
        .map_err(|_| OAuthError::bare(ErrorCode::TemporarilyUnavailable))?;
    Ok(found.map(|f| PresentedToken::Refresh(f.payload)))
}

async fn find_access(op: &OpState, token: &str, now: u64) -> Result<Option<PresentedToken>, OAuthError> {
    Ok(find_access_token(op, token, now)
        .await?
        .map(PresentedToken::Access))
}

/// The access token `token` (unexpired, unrevoked); `None` for anything
/// else, a refresh token included.
pub async fn find_access_token(
    op: &OpState,
    token: &str,
    now: u64,
) -> Result<Option<AccessToken>, OAuthError> {
    let found = op
        .services
        .repo
        .find_under_live_grant::<AccessToken>(token, now)
        .await
        .map_err(|_| OAuthError::bare(ErrorCode::TemporarilyUnavailable))?;
    Ok(found.map(|f| f.payload))
}

async fn find_refresh(op: &OpState, token: &str, now: u64) -> Result<Option<PresentedToken>, OAuthError> {
    let found = op
        .services
        .repo
        .find_under_live_grant::<RefreshToken>(token, now)
        .await
        .map_err(|_| OAuthError::bare(ErrorCode::TemporarilyUnavailable))?;
    // A rotated-out refresh token is kept only to detect its reuse.
    Ok(found
        .filter(|f| f.consumed_at().is_none())
        .map(|f| PresentedToken::Refresh(f.payload)))
}
