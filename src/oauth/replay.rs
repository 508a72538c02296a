//! One-time use of `jti`s (client assertions: RFC 7523 §3 item 7; DPoP
//! proofs: RFC 9449 §11.1; request objects: RFC 9101 §10.8), cluster-wide
//! through the store: the first transaction to record a jti wins, every
//! later one sees a replay.
//!
//! A request that issues something (a token, a `request_uri`) records its
//! `jti`s in the same transaction as what it issues ([`OneTimeUses`]): one
//! durable commit per request instead of one per `jti`, and nothing is
//! issued under a replayed one. A request that fails records them on its
//! own, so a failed request still uses its assertion and proof up.

use crate::model::records::SeenJti;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::store::kv::{KvError, Transaction};
use crate::store::repo::{Repo, ops};

/// Records `jti` in `namespace` until `expires_at`; `true` the first time,
/// `false` for a replay. A retry after an unknown commit outcome recognises
/// its own write by a random marker, so it is not mistaken for a replay.
pub async fn first_use(
    repo: &Repo,
    namespace: &str,
    jti: &str,
    expires_at: u64,
    now: u64,
) -> Result<bool, KvError> {
    let id = jti_id(namespace, jti);
    let marker = random_marker();
    let ttl = expires_at.saturating_sub(now).max(1);
    repo.store()
        .run(|tx, _maybe_committed| {
            let id = id.clone();
            async move { mark(&tx, &id, marker, ttl, now).await }
        })
        .await
}

/// The `jti`s a request has checked and not yet recorded, each with the
/// error its replay gets.
#[derive(Debug, Default)]
pub struct OneTimeUses {
    pending: Vec<OneTimeUse>,
}

#[derive(Debug)]
struct OneTimeUse {
    id: String,
    marker: u128,
    expires_at: u64,
    on_replay: OAuthError,
}

impl OneTimeUses {
    /// Holds `jti` of `namespace` (valid until `expires_at`) for recording;
    /// `on_replay` is the request's error if it was used before.
    pub fn defer(&mut self, namespace: &str, jti: &str, expires_at: u64, on_replay: OAuthError) {
        self.pending.push(OneTimeUse {
            id: jti_id(namespace, jti),
            marker: random_marker(),
            expires_at,
            on_replay,
        });
    }

    /// Nothing left to record.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Records the pending `jti`s inside `tx`, before its other writes:
    /// `Some(error)` (the first replay's) when one was used before, and then
    /// the caller must write nothing else and answer with the error. The
    /// fresh ones are recorded either way: a refused request uses them up.
    async fn record_in(&self, tx: &Transaction, now: u64) -> Result<Option<OAuthError>, KvError> {
        let mut replay = None;
        for pending in &self.pending {
            let ttl = pending.expires_at.saturating_sub(now).max(1);
            if !mark(tx, &pending.id, pending.marker, ttl, now).await? && replay.is_none() {
                replay = Some(pending.on_replay.clone());
            }
        }
        Ok(replay)
    }

    /// Runs `write` in one transaction after the pending `jti`s; they count
    /// as recorded once it commits. The replay's error when one was used
    /// before (then `write` does not run); `temporarily_unavailable` when
    /// the store fails (they stay pending).
    pub async fn commit_with<T, F, Fut>(&mut self, repo: &Repo, now: u64, write: F) -> Result<T, OAuthError>
    where
        F: Fn(Transaction) -> Fut,
        Fut: Future<Output = Result<T, KvError>>,
    {
        let uses = &*self;
        let outcome = repo
            .store()
            .run(|tx, _maybe_committed| {
                let write = &write;
                async move {
                    if let Some(replay) = uses.record_in(&tx, now).await? {
                        return Ok(Err(replay));
                    }
                    write(tx).await.map(Ok)
                }
            })
            .await
            .map_err(|_| OAuthError::bare(ErrorCode::TemporarilyUnavailable))?;
        // Committed: each is recorded now, or was before (the replay).
        self.pending.clear();
        outcome
    }

    /// Records the pending `jti`s in a transaction of their own (a request
    /// that issued nothing, or failed first); the replay's error if one was
    /// used before. Nothing pending: no transaction.
    pub async fn record(&mut self, repo: &Repo, now: u64) -> Result<(), OAuthError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.commit_with(repo, now, |_tx| async { Ok(()) }).await
    }
}

/// Marks `id` seen with `marker` unless it is; `true` when this call (or an
/// earlier attempt of the same transaction, by its marker) marked it.
async fn mark(tx: &Transaction, id: &str, marker: u128, ttl: u64, now: u64) -> Result<bool, KvError> {
    let seen = SeenJti { seen_at: now, marker };
    Ok(
        match ops::insert_unless_live(tx, id, &seen, Some(ttl), now).await? {
            Some(found) => found.payload.marker == marker,
            None => true,
        },
    )
}

/// The keys and values recording a fresh `jti` of `namespace` (valid until
/// `expires_at`) writes: its mark and the mark's expiry entry. What a
/// request's one-time use costs the store (the footprint tests).
pub fn mark_entries(namespace: &str, jti: &str, expires_at: u64, now: u64) -> Result<ops::Entries, KvError> {
    let seen = SeenJti {
        seen_at: now,
        marker: random_marker(),
    };
    let ttl = expires_at.saturating_sub(now).max(1);
    ops::new_record_entries(&jti_id(namespace, jti), &seen, Some(ttl), now)
}

fn jti_id(namespace: &str, jti: &str) -> String {
    format!("{namespace}\u{0}{jti}")
}

fn random_marker() -> u128 {
    let mut bytes = [0u8; 16];
    // A failed RNG leaves zeros: the marker then only weakens retry
    // recognition, never replay detection.
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    u128::from_le_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Binding;
    use crate::model::records::AccessToken;
    use crate::store::embedded::{EmbeddedBackend, EmbeddedOptions};
    use crate::store::kv::Store;
    use crate::store::repo::FreshId;
    use std::sync::Arc;

    const NOW: u64 = 1_800_000_000;

    async fn repo(dir: &tempfile::TempDir) -> Repo {
        let backend = Arc::new(EmbeddedBackend::open(dir.path(), EmbeddedOptions::default()).unwrap());
        Repo::open(Store::new(backend)).await.unwrap()
    }

    fn token() -> AccessToken {
        AccessToken {
            client_id: "c".into(),
            account_id: None,
            scopes: vec![],
            grant_id: "g".into(),
            binding: Binding::Dpop("jkt".into()),
            issued_at: NOW,
            expires_at: NOW + 60,
            authorization_details: None,
            claims: None,
        }
    }

    fn replayed(what: &'static str) -> OAuthError {
        OAuthError::new(ErrorCode::InvalidClient, what)
    }

    /// RFC 7523 §3 item 7, RFC 9449 §11.1: the `jti`s and what the request
    /// issues commit together; a replayed one writes nothing else, answers
    /// with its own error, and the fresh `jti`s beside it are used up.
    #[tokio::test]
    async fn the_jtis_commit_with_the_write_and_a_replay_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let repo = repo(&dir).await;
        let mut uses = OneTimeUses::default();
        uses.defer("client_assertion:c", "a1", NOW + 60, replayed("assertion"));
        uses.defer("dpop", "p1", NOW + 60, replayed("proof"));
        let first = FreshId::generate().unwrap();
        let (id, record) = (&first, &token());
        uses.commit_with(&repo, NOW, |tx| async move {
            ops::insert_new(&tx, id, record, Some(60), NOW).await
        })
        .await
        .unwrap();
        assert!(uses.is_empty(), "recorded with the token");
        assert!(
            repo.find::<AccessToken>(first.as_str(), NOW)
                .await
                .unwrap()
                .is_some()
        );

        // The proof again, with a fresh assertion: the proof's error, no token.
        uses.defer("client_assertion:c", "a2", NOW + 60, replayed("assertion"));
        uses.defer("dpop", "p1", NOW + 60, replayed("proof"));
        let second = FreshId::generate().unwrap();
        let id = &second;
        let refused = uses
            .commit_with(&repo, NOW, |tx| async move {
                ops::insert_new(&tx, id, record, Some(60), NOW).await
            })
            .await
            .unwrap_err();
        assert_eq!(refused.description.as_deref(), Some("proof"));
        assert!(
            repo.find::<AccessToken>(second.as_str(), NOW)
                .await
                .unwrap()
                .is_none()
        );
        // ... and the fresh assertion is used up by the refusal.
        assert!(
            !first_use(&repo, "client_assertion:c", "a2", NOW + 60, NOW)
                .await
                .unwrap()
        );
        assert!(
            first_use(&repo, "client_assertion:c", "a3", NOW + 60, NOW)
                .await
                .unwrap()
        );
    }

    /// A request refused before it issued anything records its `jti`s on
    /// their own; with nothing pending, no transaction runs.
    #[tokio::test]
    async fn a_refused_request_records_its_jtis_on_their_own() {
        let dir = tempfile::tempdir().unwrap();
        let repo = repo(&dir).await;
        let mut uses = OneTimeUses::default();
        uses.record(&repo, NOW).await.unwrap();
        uses.defer("request_object:c", "r1", NOW + 60, replayed("request object"));
        uses.record(&repo, NOW).await.unwrap();
        assert!(uses.is_empty());
        uses.defer("request_object:c", "r1", NOW + 60, replayed("request object"));
        let refused = uses.record(&repo, NOW).await.unwrap_err();
        assert_eq!(refused.description.as_deref(), Some("request object"));
        // Another namespace is another jti.
        assert!(
            first_use(&repo, "client_assertion:c", "r1", NOW + 60, NOW)
                .await
                .unwrap()
        );
    }
}
