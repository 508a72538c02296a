//! Redeeming a refresh token in one transaction: the grant's revocation
//! marker is read, the token consumed (with `tokens.rotate_refresh_tokens`)
//! or its idle timeout restarted, and the new tokens stored, all together
//! with the request's `jti`s. A revocation running at the same time either
//! finds the new tokens in the grant index or makes this transaction
//! conflict and, retried, refuse (`store/repo/revoked.rs`).
//!
//! With rotation, a rotated-out token presented again is one of two things:
//!
//! - a **retry** after a lost response: FAPI 2.0 Security Profile §5.3.2.1
//!   item 10 allows rotation only if "retrying the request (with the
//!   previous refresh token) will succeed". Within
//!   `tokens.refresh_token_retry_grace_secs` of the rotation, and while the
//!   successor it issued is unused, the successor is deleted and a fresh
//!   one, bound the same way (the binding was checked against the presented
//!   token, which the successor copies), is returned in its place;
//! - a **replay**: outside that window, or once the successor was used (so
//!   the client did receive it), it means the token leaked; the caller
//!   revokes the grant (RFC 9700 §4.14.2).
//!
//! The access token of the lost response stays valid until it expires
//! (`access_token_ttl_secs`; it is bound like the others). Of two retries
//! at once, the later one wins: the first one's successor is replaced in
//! turn. Both refreshed tokens are sender-constrained, so a stolen
//! refresh token alone cannot use the window.
//!
//! The rotated-out token remembers its successor without a new field: the
//! `consume` call id (random, chosen once per request, `repo::Consumption`)
//! is the first 128 bits of the successor's store key (the SHA-256 of a
//! fresh 256-bit token), found again through the grant index.

use crate::model::records::RefreshToken;
use crate::oauth::op::OpState;
use crate::oauth::replay::OneTimeUses;
use crate::oauth::tokens::{self, ReadyAccessToken};
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::store::keys::Kind;
use crate::store::repo::{Consumed, Consumption, FreshId, ops, revoked};

/// What the transaction did.
#[derive(Debug, PartialEq, Eq)]
pub enum Redeemed {
    /// The access token (and the new refresh token, when rotating) stored.
    Issued {
        /// The successor refresh token, when rotating.
        refresh_token: Option<String>,
        /// Whether this answered a retry within the grace window.
        retry: bool,
    },
    /// A rotated-out token used again outside the retry window, or after
    /// its successor was used: the grant is to be revoked (RFC 9700 §4.14.2).
    Replayed,
    /// Gone: deleted, expired, or its grant revoked.
    Gone,
}

/// Whether a rotated-out token consumed `at` may still be retried at `now`
/// (FAPI 2.0 SP §5.3.2.1 item 10); `grace_secs == 0`: never.
pub fn within_retry_window(at: u64, now: u64, grace_secs: u64) -> bool {
    grace_secs > 0 && now >= at && now < at.saturating_add(grace_secs)
}

/// The `consume` call id that names `successor`: the first 128 bits of its
/// store key.
fn successor_tag(successor: &FreshId) -> u128 {
    let key = Kind::RefreshToken.id_key(successor.as_str());
    let mut first = [0u8; 16];
    first.copy_from_slice(&key[..16]);
    u128::from_be_bytes(first)
}

/// Redeems `presented` (whose stored `record` the caller read and checked:
/// client, binding, expiry) for `access`, in one transaction with `uses`.
pub async fn redeem(
    op: &OpState,
    presented: &str,
    record: &RefreshToken,
    access: &ReadyAccessToken,
    uses: &mut OneTimeUses,
    now: u64,
) -> Result<Redeemed, OAuthError> {
    let tokens = op.tokens();
    let grace = tokens.refresh_token_retry_grace_secs;
    let successor = if tokens.rotate_refresh_tokens {
        Some(
            FreshId::generate()
                .map_err(|_| OAuthError::new(ErrorCode::ServerError, "the random generator failed"))?,
        )
    } else {
        None
    };
    let mut next = record.clone();
    next.issued_at = now;
    let next_ttl = tokens::refresh_store_ttl(op, &next, now);
    let (successor, next) = (successor.as_ref(), &next);
    let redeemed = uses
        .commit_with(&op.services.repo, now, |tx| async move {
            if revoked::is_revoked(&tx, &record.grant_id, now).await? {
                return Ok(Redeemed::Gone);
            }
            let Some(found) = ops::find::<RefreshToken>(&tx, presented, now).await? else {
                return Ok(Redeemed::Gone);
            };
            let Some(successor) = successor else {
                // No rotation; a token consumed while rotation was on is
                // still a replay.
                if found.consumed_at().is_some() {
                    return Ok(Redeemed::Replayed);
                }
                // RFC 9700 §4.14.2: the idle timeout restarts with each use.
                let kept = tokens::refresh_store_ttl(op, &found.payload, now);
                ops::upsert(&tx, presented, &found.payload, Some(kept), now).await?;
                access.store(&tx, now).await?;
                return Ok(Redeemed::Issued {
                    refresh_token: None,
                    retry: false,
                });
            };
            let tag = successor_tag(successor);
            let mut retry = false;
            match found.meta.consumed {
                // First use, or this request's own earlier attempt whose
                // commit outcome was unknown.
                None => {}
                Some(consumption) if consumption.by == tag => {}
                Some(consumption) => {
                    if !within_retry_window(consumption.at, now, grace) {
                        return Ok(Redeemed::Replayed);
                    }
                    let lost = ops::find_in_grant_by_key_prefix::<RefreshToken>(
                        &tx,
                        &record.grant_id,
                        &consumption.by.to_be_bytes(),
                        now,
                    )
                    .await?;
                    match lost {
                        Some((key, lost)) if lost.meta.consumed.is_none() => {
                            ops::destroy_by_key(&tx, Kind::RefreshToken, &key).await?;
                        }
                        // The successor was used (or revoked): not a retry.
                        _ => return Ok(Redeemed::Replayed),
                    }
                    // The window stays counted from the first rotation.
                    let handed = Consumption {
                        at: consumption.at,
                        by: tag,
                    };
                    ops::set_consumption::<RefreshToken>(&tx, presented, now, handed).await?;
                    retry = true;
                }
            }
            if !retry {
                match ops::consume::<RefreshToken>(&tx, presented, now, tag).await? {
                    Consumed::Now(_) => {}
                    Consumed::Already(_) => return Ok(Redeemed::Replayed),
                    Consumed::Missing => return Ok(Redeemed::Gone),
                }
            }
            ops::insert_new(&tx, successor, next, Some(next_ttl), now).await?;
            access.store(&tx, now).await?;
            Ok(Redeemed::Issued {
                refresh_token: Some(successor.as_str().to_string()),
                retry,
            })
        })
        .await?;
    Ok(redeemed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FAPI 2.0 SP §5.3.2.1 item 10: a retry succeeds within the window
    /// from the rotation; 0 turns retries off.
    #[test]
    fn the_retry_window_runs_from_the_rotation_fapi2_sp_5_3_2_1_item_10() {
        assert!(within_retry_window(100, 100, 30));
        assert!(within_retry_window(100, 129, 30));
        assert!(!within_retry_window(100, 130, 30));
        assert!(!within_retry_window(100, 100, 0));
        assert!(!within_retry_window(100, 99, 30));
        assert!(!within_retry_window(u64::MAX - 1, u64::MAX, u64::MAX));
    }

    /// The tag is the successor's store key's first 128 bits, so it finds it.
    #[test]
    fn the_consume_tag_names_the_successor_key() {
        let successor = FreshId::generate().unwrap();
        let key = Kind::RefreshToken.id_key(successor.as_str());
        assert!(key.starts_with(&successor_tag(&successor).to_be_bytes()));
        assert_ne!(
            successor_tag(&successor),
            successor_tag(&FreshId::generate().unwrap())
        );
    }
}
