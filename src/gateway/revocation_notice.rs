//! The gateway's side of revocation notices (`POST /revocations` on its
//! admin listener, `admin::revocations`): a notice counts only if the OP
//! signed it — a JWS (RFC 7515) with the notice's own `typ` (RFC 8725
//! §3.11) verified with the OP's JWKS (`op_keys`), from the OP's issuer,
//! for this gateway's resource server id, not expired
//! (`protocol::revocation_notice::check`). Then every cached
//! introspection answer it names goes: by the token's SHA-256, and every
//! answer whose `grant_id` is a revoked grant (`introspection`).

use super::introspection::Introspector;
use super::op_keys::OpKeys;
use crate::admin::revocations::{Refused, RevocationSink};
use crate::protocol::jose::JoseError;
use crate::protocol::revocation_notice::{self as notice, NoticeError};
use futures::future::BoxFuture;
use std::sync::Arc;

/// Verifies notices and evicts what they name from the cache.
pub struct NoticeReceiver {
    keys: OpKeys,
    issuer: String,
    audience: String,
    cache: Arc<Introspector>,
    clock: Arc<dyn crate::clock::Clock>,
}

impl NoticeReceiver {
    /// Notices from `issuer` signed by `keys`, for the gateway `audience`
    /// (its `[[resource_servers]]` id), evicting from `cache`.
    pub fn new(
        keys: OpKeys,
        issuer: String,
        audience: String,
        cache: Arc<Introspector>,
        clock: Arc<dyn crate::clock::Clock>,
    ) -> Self {
        Self {
            keys,
            issuer,
            audience,
            cache,
            clock,
        }
    }

    async fn receive(&self, body: &[u8]) -> Result<usize, Refused> {
        let unauthenticated = |why: String| {
            tracing::warn!(reason = %why, "a revocation notice was refused");
            Refused::Unauthenticated(why)
        };
        let compact = std::str::from_utf8(body)
            .map(str::trim)
            .map_err(|_| unauthenticated("a revocation notice is a JWT signed by the OP".into()))?;
        let verified = self.keys.verify(compact, notice::TYP).await.map_err(|e| {
            unauthenticated(match e {
                JoseError::Malformed(_) => {
                    "a revocation notice is a JWT signed by the OP (RFC 7515 compact serialization)".into()
                }
                other => format!("the notice's signature is not the OP's: {other}"),
            })
        })?;
        let now = self.clock.now_unix();
        let named =
            notice::check(&verified.claims, &self.issuer, &self.audience, now).map_err(|e| match e {
                NoticeError::Malformed(_) => Refused::Malformed(e.to_string()),
                other => unauthenticated(other.to_string()),
            })?;
        let evicted = self.cache.forget(&named);
        tracing::info!(
            tokens = named.token_sha256.len(),
            grants = named.grant_ids.len(),
            evicted,
            "revocation notice applied"
        );
        Ok(named.token_sha256.len() + named.grant_ids.len())
    }
}

impl RevocationSink for NoticeReceiver {
    fn notice<'a>(&'a self, body: &'a [u8]) -> BoxFuture<'a, Result<usize, Refused>> {
        Box::pin(self.receive(body))
    }
}
