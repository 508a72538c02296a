//! The revocation outbox: written with the revocation, read oldest first,
//! bounded by age and by count.

use super::*;
use crate::model::records::own_grant_id;
use crate::store::repo::{GrantRevocation, RevocationCause};

use crate::model::Binding;
use crate::model::records::AccessToken;
use crate::store::embedded::{EmbeddedBackend, EmbeddedOptions};
use std::sync::Arc;

async fn repo() -> (tempfile::TempDir, Repo) {
    let dir = tempfile::tempdir().unwrap();
    let backend = Arc::new(EmbeddedBackend::open(dir.path(), EmbeddedOptions::default()).unwrap());
    let repo = Repo::open(crate::store::kv::Store::new(backend)).await.unwrap();
    (dir, repo)
}

fn access_token(grant_id: &str) -> AccessToken {
    AccessToken {
        client_id: "client-1".into(),
        account_id: None,
        scopes: vec!["accounts".into()],
        grant_id: grant_id.into(),
        binding: Binding::Mtls("thumbprint".into()),
        issued_at: 1_000,
        expires_at: 1_600,
        authorization_details: None,
        claims: None,
    }
}

fn notice(at: u64, n: u8) -> RevocationNotice {
    RevocationNotice {
        created_at: at,
        token_sha256: vec![[n; 32]],
        grant_ids: Vec::new(),
    }
}

async fn write_one(repo: &Repo, notice: &RevocationNotice) {
    repo.store()
        .run(|tx, _| async move { write(&tx, notice).await })
        .await
        .unwrap();
}

#[tokio::test]
async fn records_read_oldest_first_and_go_when_deleted() {
    let (_dir, repo) = repo().await;
    for (at, n) in [(300, 3), (100, 1), (200, 2)] {
        write_one(&repo, &notice(at, n)).await;
    }
    write_one(&repo, &RevocationNotice::default()).await;
    let pending = repo.pending_notices(10, 300).await.unwrap();
    let order: Vec<u64> = pending.iter().map(|p| p.notice.created_at).collect();
    assert_eq!(
        order,
        [100, 200, 300],
        "oldest first; an empty notice is not written"
    );
    assert_eq!(repo.pending_notices(2, 300).await.unwrap().len(), 2);
    let first = vec![pending[0].id.clone(), "gone-already".to_string()];
    repo.delete_notices(&first).await.unwrap();
    assert_eq!(repo.pending_notices(10, 300).await.unwrap().len(), 2);
}

/// The age bound: records older than it go; the count bound: beyond it
/// the oldest go first, the newest stay.
#[tokio::test]
async fn the_outbox_drops_aged_records_then_the_oldest_beyond_its_bound() {
    let (_dir, repo) = repo().await;
    for at in [10, 20, 1_000, 1_001, 1_002, 1_003] {
        write_one(&repo, &notice(at, at as u8)).await;
    }
    let trimmed = repo.trim_outbox(1_100, 3, 600).await.unwrap();
    assert_eq!(trimmed, Trimmed { aged: 2, overflow: 1 });
    let left: Vec<u64> = repo
        .pending_notices(10, 1_100)
        .await
        .unwrap()
        .iter()
        .map(|p| p.notice.created_at)
        .collect();
    assert_eq!(left, [1_001, 1_002, 1_003]);
    assert_eq!(repo.trim_outbox(1_100, 3, 600).await.unwrap(), Trimmed::default());
}

/// RFC 7009 §2.1: revoking an access token writes its SHA-256 in the same
/// transaction; revoking a grant writes the grant id and the SHA-256 of
/// each access token deleted under it; an unknown token writes nothing.
#[tokio::test]
async fn revocations_write_what_they_deleted() {
    let (_dir, repo) = repo().await;
    let now = 1_000;
    let mut token = access_token("grant-1");
    repo.upsert("at-1", &token, Some(600), now).await.unwrap();
    token.grant_id = "grant-2".into();
    repo.upsert("at-2", &token, Some(600), now).await.unwrap();
    repo.upsert("at-3", &token, Some(600), now).await.unwrap();

    assert!(repo.revoke_access_token("at-1", now).await.unwrap());
    assert!(!repo.revoke_access_token("at-1", now).await.unwrap());
    let revocation = GrantRevocation {
        now,
        keep_secs: 60,
        cause: RevocationCause::ConsentRevoked,
    };
    assert_eq!(repo.revoke_by_grant_id("grant-2", revocation).await.unwrap(), 2);

    let pending = repo.pending_notices(10, now).await.unwrap();
    assert_eq!(pending.len(), 2);
    let hash = |t: &str| keys::sha256(t.as_bytes());
    // Same second: the ids' random parts order them; find each by content.
    let (token, grant) = match pending[0].notice.grant_ids.is_empty() {
        true => (&pending[0], &pending[1]),
        false => (&pending[1], &pending[0]),
    };
    assert_eq!(token.notice.token_sha256, [hash("at-1")]);
    assert!(token.notice.grant_ids.is_empty());
    let mut grant = grant.notice.clone();
    grant.token_sha256.sort();
    let mut expected = vec![hash("at-2"), hash("at-3")];
    expected.sort();
    assert_eq!(grant.token_sha256, expected);
    assert_eq!(grant.grant_ids, ["grant-2"]);

    // A client_credentials token is its own grant (`records::own_grant_id`).
    repo.upsert("cc-1", &access_token(&own_grant_id("cc-1")), Some(600), now)
        .await
        .unwrap();
    repo.revoke_by_grant_id(&own_grant_id("cc-1"), revocation)
        .await
        .unwrap();
    let pending = repo.pending_notices(10, now).await.unwrap();
    assert_eq!(pending.len(), 3);
    assert!(pending.iter().any(|p| p.notice.token_sha256 == [hash("cc-1")]));
}
